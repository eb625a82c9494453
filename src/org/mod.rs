//! Logging out a whole org in minutes: [`Client::reset_verified`] (resetBulk, verified
//! user by user against `admin.users.session.list`), [`Client::org_targets`] (who
//! "everyone" is), and [`Client::resolve_users`] (emails to ids before any write).
//!
//! One home per phase of a run: [`snapshot`] (who has which session), [`enqueue`]
//! (`resetBulk`), [`verify`] (are the snapshot's sessions gone), [`fallback`] (a single
//! `reset` for whoever the bulk job missed); [`walk`] fetches pages for all of them, and
//! [`targets`] says who a run is for.

mod enqueue;
mod fallback;
mod snapshot;
mod targets;
mod verify;
mod walk;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use crate::bulk::{Patience, Patient, ResetHow, ResetOutcome};
use crate::client::Client;
use crate::error::Error;
use crate::meta::WithMeta;
use crate::method::SlackMethod;
use crate::transport::Transport;

use snapshot::Watched;
pub(crate) use snapshot::{session_kind, SessionKind};
pub use targets::OrgTargets;

/// Options of a [`Client::reset_verified`] run.
///
/// ```
/// use std::time::Duration;
/// use slack_sessions::VerifyOptions;
///
/// // Give Slack's bulk job ten minutes before falling back to one reset per user.
/// let options = VerifyOptions::new().deadline(Duration::from_secs(600));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    mobile_only: bool,
    web_only: bool,
    deadline: Duration,
    first_check: Duration,
    max_check_interval: Duration,
    max_rate_limit_waits: u32,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            mobile_only: false,
            web_only: false,
            deadline: Duration::from_secs(600),
            first_check: Duration::from_secs(5),
            max_check_interval: Duration::from_secs(60),
            max_rate_limit_waits: 1000,
        }
    }
}

impl VerifyOptions {
    /// Every session of every user; verify for up to 10 minutes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only mobile sessions (and only they are verified).
    pub fn mobile_only(mut self, yes: bool) -> Self {
        self.mobile_only = yes;
        self
    }

    /// Only web sessions (and only they are verified).
    pub fn web_only(mut self, yes: bool) -> Self {
        self.web_only = yes;
        self
    }

    /// How long, from the end of the enqueue, the bulk job gets to show every user's
    /// sessions gone before the users it has not logged out get a single reset (default
    /// 10 minutes). The same deadline bounds the check after the single resets.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = limit;
        self
    }

    /// The first check waits this long after the enqueue (default 5 s), later checks
    /// twice as long as the one before, up to [`max_check_interval`](Self::max_check_interval).
    pub fn first_check(mut self, wait: Duration) -> Self {
        self.first_check = wait;
        self
    }

    /// The longest wait between two checks (default 60 s).
    pub fn max_check_interval(mut self, wait: Duration) -> Self {
        self.max_check_interval = wait;
        self
    }

    /// How many 429s in a row one call may get before the run stops (default 1000).
    pub fn max_rate_limit_waits(mut self, n: u32) -> Self {
        self.max_rate_limit_waits = n;
        self
    }

    fn kind(&self) -> Option<SessionKind> {
        match (self.mobile_only, self.web_only) {
            (true, _) => Some(SessionKind::Mobile),
            (_, true) => Some(SessionKind::Web),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Snapshot,
    Enqueue,
    Verify,
    Fallback,
    FinalVerify,
    Done,
}

/// A [`Client::reset_verified`] run: an iterator of one [`ResetOutcome`] per user, each
/// yielded as that user gets a final answer (verified by the bulk job, reset and
/// verified singly, or failed).
///
/// The steps: **snapshot** (walk `admin.users.session.list` for the whole org, 1,000 a
/// page, and keep each target user's session ids; for a mobile- or web-only run, only
/// sessions of that kind); **enqueue** (`resetBulk` in chunks of 1,000; the users
/// `failed_for_some_users` names go straight to the fallback); **verify** (walk the list
/// again, backing off between walks, until every user's snapshot sessions are gone or
/// the deadline passes; new sessions, people logging back in, do not count against
/// them); **fall back** (a single `reset` for each user not verified, then verify them
/// again). A fatal error (an org- or token-wide code, see
/// [`ErrorCode::class`](crate::ErrorCode::class)) stops the run: [`stopped`](Self::stopped)
/// says why and [`remaining`](Self::remaining) who has no answer yet.
#[must_use = "iterators do nothing unless consumed"]
pub struct ResetVerified<'a, T> {
    client: &'a Client<T>,
    options: VerifyOptions,
    targets: Vec<String>,
    phase: Phase,
    watched: HashMap<String, Watched>,
    /// Users enqueued (or singly reset) and waiting to be verified, with what was
    /// learned of their call so far.
    pending: Vec<String>,
    fallback: VecDeque<String>,
    /// Per user: request id and calls of the reset that reached them.
    calls: HashMap<String, (Option<String>, u32)>,
    ready: VecDeque<ResetOutcome>,
    finished: HashSet<String>,
    stopped: Option<String>,
    /// Calls made, by method, for the run's report.
    calls_by_method: HashMap<&'static str, u32>,
    /// Attempts the last [`send`](Self::send) made (its waited-out 429s included).
    last_attempts: u32,
    last_walk_pages: usize,
    /// Where the next sample of pending users starts.
    sample_at: usize,
}

impl<T: Transport> Client<T> {
    /// Logs these users out with `admin.users.session.resetBulk` (1,000 a call) and
    /// verifies each one against `admin.users.session.list`, falling back to a single
    /// `reset` for anyone the bulk job does not log out by the deadline; see
    /// [`ResetVerified`]. Nobody is left without a final answer.
    ///
    /// For 10,000 users that is 10 `resetBulk` calls and a few walks of the session list,
    /// where [`reset_many`](Client::reset_many) needs 10,000 Tier-2 calls (over 8 hours).
    pub fn reset_verified<I, S>(&self, user_ids: I, options: VerifyOptions) -> ResetVerified<'_, T>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = HashSet::new();
        let targets = user_ids
            .into_iter()
            .map(Into::into)
            .filter(|id: &String| seen.insert(id.clone()))
            .collect();
        ResetVerified {
            client: self,
            options,
            targets,
            phase: Phase::Snapshot,
            watched: HashMap::new(),
            pending: Vec::new(),
            fallback: VecDeque::new(),
            calls: HashMap::new(),
            ready: VecDeque::new(),
            finished: HashSet::new(),
            stopped: None,
            calls_by_method: HashMap::new(),
            last_attempts: 0,
            last_walk_pages: 1,
            sample_at: 0,
        }
    }
}

impl<'a, T: Transport> ResetVerified<'a, T> {
    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// The users with no final answer yet (all of them left after an early stop).
    pub fn remaining(&self) -> impl Iterator<Item = &str> + '_ {
        self.targets
            .iter()
            .filter(|u| !self.finished.contains(*u))
            .map(String::as_str)
    }

    /// Calls made so far, by Slack method.
    pub fn calls(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.calls_by_method.iter().map(|(m, n)| (*m, *n))
    }

    fn send<R: SlackMethod>(&mut self, request: &R) -> Result<WithMeta<R::Response>, Error> {
        let Patient {
            result, attempts, ..
        } = self.client.send_patiently(
            request,
            Patience::waits(self.options.max_rate_limit_waits),
            || {},
        );
        *self.calls_by_method.entry(R::NAME).or_default() += attempts;
        self.last_attempts = attempts;
        result
    }

    fn stop(&mut self, why: String) {
        self.stopped = Some(why);
        self.phase = Phase::Done;
    }

    fn finish(
        &mut self,
        user: &str,
        result: Result<(), Error>,
        how: ResetHow,
        verified: bool,
        detail: Option<String>,
    ) {
        if !self.finished.insert(user.to_owned()) {
            return;
        }
        let (request_id, attempts) = self.calls.get(user).cloned().unwrap_or((None, 0));
        self.ready.push_back(ResetOutcome {
            user_id: user.to_owned(),
            result,
            request_id,
            attempts,
            how,
            verified,
            detail,
        });
    }

    /// Runs the current phase to its end (or to a stop).
    fn step(&mut self) {
        match self.phase {
            Phase::Snapshot => self.snapshot(),
            Phase::Enqueue => self.enqueue(),
            Phase::Verify => {
                let unverified = self.verify(ResetHow::Bulk);
                if self.phase == Phase::Done {
                    return;
                }
                self.fallback.extend(unverified);
                self.phase = Phase::Fallback;
            }
            Phase::Fallback => self.fall_back(),
            Phase::FinalVerify => {
                let unverified = self.verify(ResetHow::Single);
                for user in unverified {
                    let sessions = self
                        .watched
                        .get(&user)
                        .map(|w| w.sessions.clone())
                        .unwrap_or_default();
                    let detail = format!(
                        "reset answered ok, but session(s) {sessions:?} were still listed at the deadline"
                    );
                    self.finish(&user, Ok(()), ResetHow::Single, false, Some(detail));
                }
                if self.phase != Phase::Done {
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => {}
        }
    }
}

impl<T: Transport> Iterator for ResetVerified<'_, T> {
    type Item = ResetOutcome;

    fn next(&mut self) -> Option<ResetOutcome> {
        loop {
            if let Some(outcome) = self.ready.pop_front() {
                return Some(outcome);
            }
            if self.phase == Phase::Done {
                return None;
            }
            self.step();
        }
    }
}

impl<T> fmt::Debug for ResetVerified<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetVerified")
            .field("phase", &self.phase)
            .field("targets", &self.targets.len())
            .field("finished", &self.finished.len())
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}
