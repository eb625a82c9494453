//! Logging out a whole org in minutes: [`Client::reset_verified`] (resetBulk, verified
//! user by user against `admin.users.session.list`), [`Client::reset_everyone`] (the
//! same for every user the session list names), [`Client::org_targets`] (who
//! "everyone" is) and [`Client::resolve_users`] (emails to ids before any write).
//!
//! One home per phase of a run: [`targets`] (who a run is for), [`snapshot`] (who has
//! which session), [`enqueue`] (`resetBulk`, and isolating the ids that make Slack refuse
//! a whole call), [`verify`] (are the snapshot's sessions gone), [`fallback`] (a single
//! `reset` for whoever the bulk job missed); [`walk`] fetches pages for all of them.
//! This file holds the run's state and hands each user's outcome out as soon as it is
//! known.

mod enqueue;
mod fallback;
mod snapshot;
mod targets;
mod verify;
mod walk;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bulk::{Patience, Patient, ResetHow, ResetOutcome};
use crate::client::Client;
use crate::error::Error;
use crate::meta::WithMeta;
use crate::method::SlackMethod;
use crate::transport::Transport;

pub(crate) use snapshot::certainly_web;
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
    max_wait_per_call: Option<Duration>,
    max_run_time: Option<Duration>,
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
            max_wait_per_call: Some(Self::DEFAULT_MAX_WAIT_PER_CALL),
            max_run_time: None,
        }
    }
}

impl VerifyOptions {
    /// How long one call of a run may go on waiting out rate limits: 10 minutes (as
    /// [`BulkOptions::DEFAULT_MAX_WAIT_PER_USER`](crate::BulkOptions::DEFAULT_MAX_WAIT_PER_USER)).
    pub const DEFAULT_MAX_WAIT_PER_CALL: Duration = Duration::from_secs(600);

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

    /// How many 429s in a row one call may get before the run stops (default 1000: in
    /// practice the time bound, [`max_wait_per_call`](Self::max_wait_per_call), comes
    /// first).
    pub fn max_rate_limit_waits(mut self, n: u32) -> Self {
        self.max_rate_limit_waits = n;
        self
    }

    /// How long one call (a `resetBulk`, a single `reset`, one page of the session list,
    /// `auth.test`, ...) may take, attempts and rate-limit waits included (default
    /// [`DEFAULT_MAX_WAIT_PER_CALL`](Self::DEFAULT_MAX_WAIT_PER_CALL); `None`: only
    /// [`max_rate_limit_waits`](Self::max_rate_limit_waits) bounds it). A wait that would
    /// end past it is not started. Then a `resetBulk`'s users each get an
    /// [`Error::RateLimited`](crate::Error::RateLimited) outcome saying nothing was reset
    /// for them and the run stops (the token's budget is taken); a single `reset`'s user
    /// gets that outcome and the run goes on, stopping after 5 such users in a row; a
    /// snapshot page stops the run; a check of the session list counts as inconclusive
    /// (the [deadline](Self::deadline) bounds the checks).
    pub fn max_wait_per_call(mut self, limit: Option<Duration>) -> Self {
        self.max_wait_per_call = limit;
        self
    }

    /// How long the whole run may take, waits included (default: no bound). No wait
    /// that would end past it is started and no call starts after it: the run stops,
    /// every user whose reset Slack accepted gets an unverified outcome,
    /// [`ResetVerified::stopped`] says why and [`ResetVerified::remaining`] lists the
    /// others.
    pub fn max_run_time(mut self, limit: Option<Duration>) -> Self {
        self.max_run_time = limit;
        self
    }

    fn scope(&self) -> Scope {
        match (self.mobile_only, self.web_only) {
            (true, _) => Scope::Mobile,
            (_, true) => Scope::Web,
            _ => Scope::All,
        }
    }
}

/// Which sessions a run resets (and so which it must see gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    All,
    Mobile,
    Web,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Whole-org runs only: who the token is, and who the owners are.
    Targets,
    Snapshot,
    Enqueue,
    Verify,
    Fallback,
    FinalVerify,
    Done,
}

/// Everything a run knows about one target user. Kept small: a whole-org run holds
/// 100,000 of them.
#[derive(Debug)]
struct UserState {
    id: String,
    /// The sessions whose going away verifies the user: (workspace, session id, whether
    /// its kind is unproven), the workspace an index into [`ResetVerified::teams`].
    sessions: Vec<(u32, u64, bool)>,
    /// How many watched sessions are of a kind the device fields cannot prove (scoped
    /// runs only), and one example of what the fields said.
    unproven: u32,
    unproven_example: Option<Box<str>>,
    /// Sessions a scoped run left out because they are certainly of the other kind.
    left_out: u32,
    /// The workspaces where the snapshot listed a record of the user without a usable
    /// session id, and how many such records: the user is not verified while any record
    /// of theirs without an id is still listed.
    without_id: Vec<u32>,
    without_id_count: u32,
    /// Whether the snapshot listed any session of the user, of any kind.
    listed: bool,
    /// Whether Slack accepted a reset for the user (a resetBulk call or a single reset).
    accepted: bool,
    how: ResetHow,
    /// Request id of the call that reset the user, shared by the users of one chunk.
    request_id: Option<Arc<str>>,
    /// Calls made for the user (for a chunk: every call of the chunk, 429s included).
    attempts: u32,
    pending: bool,
    finished: bool,
}

impl UserState {
    fn new(id: String) -> Self {
        UserState {
            id,
            sessions: Vec::new(),
            unproven: 0,
            unproven_example: None,
            left_out: 0,
            without_id: Vec::new(),
            without_id_count: 0,
            listed: false,
            accepted: false,
            how: ResetHow::Bulk,
            request_id: None,
            attempts: 0,
            pending: false,
            finished: false,
        }
    }
}

/// A whole-org run ([`Client::reset_everyone`]): who is left out, and who was found.
#[derive(Debug, Default)]
struct OrgMode {
    include_self: bool,
    skip: HashSet<String>,
    found: OrgTargets,
}

/// A [`Client::reset_verified`] (or [`Client::reset_everyone`]) run: an iterator of one
/// [`ResetOutcome`] per user, each yielded as soon as that user's answer is known,
/// during every phase: a kill loses at most what the call in flight was deciding (a
/// whole walk of the session list decides many users at once: see below).
///
/// The phases, each with its own file under `src/org/`:
/// - **targets** (whole-org runs only): `auth.test` (who the token is, left out unless
///   asked) and `admin.users.list` with `include_owners` (the primary owner, whom Slack
///   refuses to reset, is left out): a couple of calls, not a walk of every user.
/// - **snapshot**: one walk of `admin.users.session.list`, 1,000 sessions a page, page
///   by page (nothing but the target users' session ids is kept). Each target's
///   sessions, on every workspace, are what must go away. A whole-org run targets every
///   user the list names: a user without a session has nothing to log out. A mobile- or
///   web-only run leaves a session out only when its kind is certain (desktop operating
///   systems are certainly web; a phone's fields fit the mobile app and a phone browser
///   alike, so such a session is watched in every run, and the user's line says so).
/// - **enqueue**: `resetBulk` in chunks of 1,000, the users the snapshot listed first.
///   When Slack refuses a whole call because of some of its users (`user_not_found`,
///   `cannot_reset_bot`, `cannot_reset_primary_owner`, `session_reset_not_allowed`,
///   `restricted_action`, or a code this crate does not know), the chunk is split in
///   halves and each is sent again, until the refused users stand alone: they get
///   Slack's code, everyone else goes through `resetBulk` (k bad ids cost about
///   2·k·log2(1000) calls, not 1,000 single resets). A user with nothing to watch is
///   verified as soon as the call is accepted.
/// - **verify**: until the [deadline](VerifyOptions::deadline): ask a rotating sample of
///   3 users whether the job has applied, walk the whole list when it has (or ask each
///   user alone, on every workspace they held a session in, when fewer users are left
///   than a walk has pages). New sessions, people logging back in, do not count.
/// - **fall back**: a single `reset` for each user not verified, then verify them again
///   under the same deadline.
///
/// A fatal error (an org- or token-wide code, see
/// [`ErrorCode::class`](crate::ErrorCode::class)) stops the run: every user whose reset
/// Slack had accepted still gets a line (reset sent, not verified, and why),
/// [`stopped`](Self::stopped) says why and [`remaining`](Self::remaining) who has no
/// answer.
#[must_use = "iterators do nothing unless consumed"]
pub struct ResetVerified<'a, T> {
    client: &'a Client<T>,
    options: VerifyOptions,
    users: Vec<UserState>,
    index: HashMap<String, usize>,
    /// Workspace ids, interned (a run has few).
    teams: Vec<String>,
    org: Option<OrgMode>,
    phase: Phase,
    /// resetBulk calls still to make: the users of each, and the top-level chunk it came
    /// from (splits of a refused chunk go to the front).
    chunks: VecDeque<(Vec<usize>, usize)>,
    /// Per top-level chunk: calls spent isolating refused users.
    split_calls: HashMap<usize, u32>,
    pending: Vec<usize>,
    fallback: VecDeque<usize>,
    round: verify::Round,
    /// Pages of the last whole walk of the list (the snapshot's, then the checks').
    walk_pages: usize,
    ready: VecDeque<ResetOutcome>,
    stopped: Option<String>,
    /// Calls made, by method, for the run's report, and the time slept.
    calls_by_method: Spent,
    /// When the first step ran (the run's time bound counts from it).
    started: Option<Instant>,
    /// Single resets in a row given up on at the bound per call.
    given_up_in_a_row: u32,
    /// The request id of the snapshot's last page: the evidence for users it names no
    /// session of.
    snapshot_request: Option<Arc<str>>,
}

impl<T: Transport> Client<T> {
    /// Logs these users out with `admin.users.session.resetBulk` (1,000 a call) and
    /// verifies each one against `admin.users.session.list`, falling back to a single
    /// `reset` for anyone the bulk job does not log out by the deadline; see
    /// [`ResetVerified`]. Every user whose reset was sent gets an outcome.
    ///
    /// For 10,000 users that is 10 `resetBulk` calls and a few walks of the session list,
    /// where [`reset_many`](Client::reset_many) needs 10,000 Tier-2 calls (over 8 hours).
    pub fn reset_verified<I, S>(&self, user_ids: I, options: VerifyOptions) -> ResetVerified<'_, T>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut run = ResetVerified::new(self, options, Phase::Snapshot, None);
        for id in user_ids {
            run.add(id.as_ref().to_owned());
        }
        run
    }

    /// Logs out every user of the org who has an active session, verified as
    /// [`reset_verified`](Client::reset_verified) does: the targets are the users the
    /// session snapshot names (a user without a session has nothing to log out), minus
    /// the primary owner(s) (from `admin.users.list` with `include_owners`: Slack refuses
    /// to reset them) and, unless `include_self`, the token's own user (from
    /// `auth.test`), so that the responder keeps a working console. Bots have no sessions
    /// in the list (`bots_not_allowed`); should one appear, Slack's refusal is isolated
    /// like any other. [`org`](ResetVerified::org) says who was found and left out.
    ///
    /// For 100,000 users with 3 sessions each: about 300 `list` calls for the snapshot,
    /// 100 `resetBulk` calls and a few checks, against 1,000 `admin.users.list` calls for
    /// [`org_targets`](Client::org_targets) alone.
    pub fn reset_everyone(
        &self,
        include_self: bool,
        options: VerifyOptions,
    ) -> ResetVerified<'_, T> {
        let org = OrgMode {
            include_self,
            ..OrgMode::default()
        };
        ResetVerified::new(self, options, Phase::Targets, Some(org))
    }
}

impl<'a, T: Transport> ResetVerified<'a, T> {
    fn new(
        client: &'a Client<T>,
        options: VerifyOptions,
        phase: Phase,
        org: Option<OrgMode>,
    ) -> Self {
        ResetVerified {
            client,
            options,
            users: Vec::new(),
            index: HashMap::new(),
            teams: Vec::new(),
            org,
            phase,
            chunks: VecDeque::new(),
            split_calls: HashMap::new(),
            pending: Vec::new(),
            fallback: VecDeque::new(),
            round: verify::Round::default(),
            walk_pages: 1,
            ready: VecDeque::new(),
            stopped: None,
            calls_by_method: Spent::default(),
            started: None,
            given_up_in_a_row: 0,
            snapshot_request: None,
        }
    }

    /// A target user, once.
    fn add(&mut self, id: String) -> Option<usize> {
        if self.index.contains_key(&id) {
            return None;
        }
        let at = self.users.len();
        self.index.insert(id.clone(), at);
        self.users.push(UserState::new(id));
        Some(at)
    }

    /// For a whole-org run ([`Client::reset_everyone`]): users to leave out, e.g. the ones
    /// an earlier report shows done. Ignored by [`Client::reset_verified`] runs (leave
    /// them out of the ids instead).
    pub fn skipping<I, S>(mut self, user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Some(org) = &mut self.org {
            org.skip.extend(user_ids.into_iter().map(Into::into));
        }
        self
    }

    /// For a whole-org run, once the snapshot is taken: the users it targets (`users`),
    /// the primary owner(s) and the caller it left out. `bots` stays empty: bots have no
    /// sessions to list.
    pub fn org(&self) -> Option<&OrgTargets> {
        self.org
            .as_ref()
            .filter(|_| !matches!(self.phase, Phase::Targets | Phase::Snapshot))
            .map(|o| &o.found)
    }

    /// Takes the session snapshot now (and, for a whole-org run, finds its users) with
    /// read calls only, so that a caller can show who will be logged out before the
    /// first write; iterating does it otherwise. Nothing is written, no outcome is
    /// produced; a failure shows in [`stopped`](Self::stopped).
    pub fn take_snapshot(&mut self) {
        while matches!(self.phase, Phase::Targets | Phase::Snapshot) {
            self.step();
        }
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// The users with no final answer yet (after an early stop: the users no reset was
    /// accepted for). A whole-org run knows its users once the snapshot is taken.
    pub fn remaining(&self) -> impl Iterator<Item = &str> + '_ {
        self.users
            .iter()
            .filter(|u| !u.finished)
            .map(|u| u.id.as_str())
    }

    /// Calls made so far, by Slack method.
    pub fn calls(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.calls_by_method.by_method.iter().map(|(m, n)| (*m, *n))
    }

    fn send<R: SlackMethod>(&mut self, request: &R) -> Patient<R::Response> {
        let patience = self.patience();
        send(self.client, &mut self.calls_by_method, patience, request)
    }

    /// How long the next call may wait out rate limits: the bound per call, and what is
    /// left of the run's.
    fn patience(&self) -> Patience {
        Patience::waits(self.options.max_rate_limit_waits)
            .for_at_most(self.options.max_wait_per_call)
            .for_at_most(self.run_left())
    }

    /// What is left of the run's time bound, if it has one.
    fn run_left(&self) -> Option<Duration> {
        let max = self.options.max_run_time?;
        let spent = self
            .started
            .map_or(Duration::ZERO, |s| s.elapsed())
            .max(self.calls_by_method.waited);
        Some(max.saturating_sub(spent))
    }

    /// When the run's time bound passes, if it has one.
    fn run_deadline(&self) -> Option<Instant> {
        self.run_left()
            .map(|left| deadline_of(Instant::now(), left))
    }

    /// Whether the run's time bound is nearer than the bound per call: asked before a
    /// call, it tells which of them a call that runs out of time met.
    fn run_bound_nearer(&self) -> bool {
        let per_call = self.options.max_wait_per_call;
        self.run_left()
            .is_some_and(|l| per_call.is_none_or(|c| l <= c))
    }

    /// Why a call that ran out of time (`Patient::out_of_time`) gave up: the run's bound
    /// (`run_bound`, from [`run_bound_nearer`](Self::run_bound_nearer)) or the bound per
    /// call.
    fn out_of_time(&self, what: &str, run_bound: bool) -> String {
        if run_bound {
            format!(
                "{what} was still rate limited when the run's time bound ({}) ran out",
                secs(self.options.max_run_time.unwrap_or_default())
            )
        } else {
            format!(
                "{what} was still rate limited after the bound per call ({})",
                secs(self.options.max_wait_per_call.unwrap_or_default())
            )
        }
    }

    /// Ends the run at its time bound.
    fn stop_at_run_bound(&mut self) {
        let why = format!(
            "the run's time bound ({}) ran out",
            secs(self.options.max_run_time.unwrap_or_default())
        );
        if self.org.is_some() && matches!(self.phase, Phase::Targets | Phase::Snapshot) {
            // A whole-org run's users are who a complete snapshot names.
            self.users.clear();
            self.index.clear();
        }
        self.stop(why);
    }

    /// Ends the run early. Every user Slack accepted a reset for gets a line now: what
    /// was done, that it is not verified, and why.
    fn stop(&mut self, why: String) {
        self.phase = Phase::Done;
        self.chunks.clear();
        self.fallback.clear();
        self.pending.clear();
        for at in 0..self.users.len() {
            let u = &self.users[at];
            if u.accepted && !u.finished {
                let detail = format!(
                    "{} accepted; not verified: the run stopped ({why})",
                    match u.how {
                        ResetHow::Single => "the single reset was",
                        _ => "the resetBulk job was",
                    }
                );
                let how = u.how;
                self.finish(at, Ok(()), how, false, Some(detail));
            }
        }
        self.stopped = Some(why);
    }

    /// The user's final answer, handed out by the next call of `next`.
    fn finish(
        &mut self,
        at: usize,
        result: Result<(), Error>,
        how: ResetHow,
        verified: bool,
        detail: Option<String>,
    ) {
        let u = &mut self.users[at];
        if u.finished {
            return;
        }
        u.finished = true;
        u.pending = false;
        self.ready.push_back(ResetOutcome {
            user_id: u.id.clone(),
            result,
            request_id: u.request_id.as_deref().map(str::to_owned),
            attempts: u.attempts,
            how,
            verified,
            detail,
        });
    }

    /// Runs one step of the current phase: at most one call, or one walk of the list.
    /// None starts past the run's time bound.
    fn step(&mut self) {
        self.started.get_or_insert_with(Instant::now);
        if self.phase != Phase::Done && self.run_left().is_some_and(|l| l.is_zero()) {
            return self.stop_at_run_bound();
        }
        match self.phase {
            Phase::Targets => self.targets(),
            Phase::Snapshot => self.snapshot(),
            Phase::Enqueue => self.enqueue_next(),
            Phase::Verify => self.verify_step(ResetHow::Bulk),
            Phase::Fallback => self.fall_back_next(),
            Phase::FinalVerify => self.verify_step(ResetHow::Single),
            Phase::Done => {}
        }
    }
}

/// What a run spent: calls by method, and time slept (waits and pauses between checks;
/// the run's time bound counts it when a test's sleeper does not really sleep).
#[derive(Default)]
struct Spent {
    by_method: HashMap<&'static str, u32>,
    waited: Duration,
    /// The request id of the last call answered (after the snapshot: its last page's).
    last_request: Option<Arc<str>>,
}

impl Spent {
    /// Sleeps `d` on `client`'s sleeper, counted.
    fn sleep<T: Transport>(&mut self, client: &Client<T>, d: Duration) {
        client.sleep(d);
        self.waited += d;
    }
}

/// Sends `request` as a run does, rate limits waited out within `patience`, counting
/// every attempt by method and the time waited.
fn send<T: Transport, R: SlackMethod>(
    client: &Client<T>,
    spent: &mut Spent,
    patience: Patience,
    request: &R,
) -> Patient<R::Response> {
    let patient = client.send_patiently(request, patience, || {});
    *spent.by_method.entry(R::NAME).or_default() += patient.attempts;
    spent.waited += patient.waited;
    if let Some(id) = request_id(&patient.result) {
        spent.last_request = Some(id);
    }
    patient
}

/// The request id of an answer or an error, shared.
fn request_id<R>(result: &Result<WithMeta<R>, Error>) -> Option<Arc<str>> {
    match result {
        Ok(a) => a.meta.request_id().map(Arc::from),
        Err(e) => e.request_id().map(Arc::from),
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
            .field("targets", &self.users.len())
            .field(
                "finished",
                &self.users.iter().filter(|u| u.finished).count(),
            )
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}

/// A duration in whole seconds, for messages.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round())
}

/// When a deadline that started at `started` and lasts `limit` passes.
fn deadline_of(started: Instant, limit: Duration) -> Instant {
    started
        .checked_add(limit)
        .unwrap_or(started + Duration::from_secs(86_400 * 365))
}
