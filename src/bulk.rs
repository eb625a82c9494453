//! [`Client::reset_many`]: log out many users, one outcome per user, through rate limits.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use crate::client::{Budget, Client};
use crate::error::{Error, ErrorClass, TransportErrorKind};
use crate::meta::WithMeta;
use crate::method::SlackMethod;
use crate::methods::reset::ResetRequest;
use crate::retry::Wait;
use crate::transport::Transport;

/// Options of a [`Client::reset_many`] run.
///
/// ```
/// use slack_sessions::BulkOptions;
///
/// // Share the token's Tier 2 budget with another job: at most 10 resets a minute.
/// let options = BulkOptions::new().web_only(true).per_minute(10);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOptions {
    mobile_only: bool,
    web_only: bool,
    per_minute: Option<u32>,
    max_rate_limit_waits: u32,
    max_consecutive_failures: u32,
    max_silence: Duration,
    max_wait_per_user: Option<Duration>,
    max_run_time: Option<Duration>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        BulkOptions {
            mobile_only: false,
            web_only: false,
            per_minute: None,
            max_rate_limit_waits: 1000,
            max_consecutive_failures: 5,
            max_silence: Self::DEFAULT_MAX_SILENCE,
            max_wait_per_user: Some(Self::DEFAULT_MAX_WAIT_PER_USER),
            max_run_time: None,
        }
    }
}

impl BulkOptions {
    /// How long a run goes on without any answer from Slack before it stops: 2 minutes.
    pub const DEFAULT_MAX_SILENCE: Duration = Duration::from_secs(120);

    /// How long one user's reset may take, rate-limit waits included, before the run
    /// gives up on that user and goes on: 10 minutes (Slack's `Retry-After` is a minute
    /// or less; ten minutes of them for one user is not a budget that will come back).
    pub const DEFAULT_MAX_WAIT_PER_USER: Duration = Duration::from_secs(600);

    /// Reset every session of every user, as fast as Slack allows.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only expire mobile sessions.
    pub fn mobile_only(mut self, yes: bool) -> Self {
        self.mobile_only = yes;
        self
    }

    /// Only expire web sessions.
    pub fn web_only(mut self, yes: bool) -> Self {
        self.web_only = yes;
        self
    }

    /// Start at most `n` calls a minute (evenly spaced), for a token whose rate budget is
    /// shared with other jobs. Without it, calls go back to back and Slack's 429s pace
    /// the run. `0` means no pacing.
    pub fn per_minute(mut self, n: u32) -> Self {
        self.per_minute = (n > 0).then_some(n);
        self
    }

    /// How many 429s in a row one user may get, past the client's own retries, before
    /// the run stops (default 1000: in practice the time bound,
    /// [`max_wait_per_user`](Self::max_wait_per_user), comes first).
    pub fn max_rate_limit_waits(mut self, n: u32) -> Self {
        self.max_rate_limit_waits = n;
        self
    }

    /// How many users in a row may fail without an answer from Slack (connection or
    /// timeout, after retries) before the run stops, since the network is likely down
    /// (default 5).
    pub fn max_consecutive_failures(mut self, n: u32) -> Self {
        self.max_consecutive_failures = n.max(1);
        self
    }

    /// How long the run may go without any answer from Slack (any HTTP answer counts,
    /// a 429 or an error code too) before it stops, checked after each user (default
    /// [`DEFAULT_MAX_SILENCE`](Self::DEFAULT_MAX_SILENCE)). With the default bounds a
    /// hanging server costs about two minutes, not the five users' worth of attempts
    /// (over ten minutes) that [`max_consecutive_failures`](Self::max_consecutive_failures)
    /// alone would take.
    pub fn max_silence(mut self, limit: Duration) -> Self {
        self.max_silence = limit;
        self
    }

    /// How long one user's call may take, attempts and rate-limit waits included
    /// (default [`DEFAULT_MAX_WAIT_PER_USER`](Self::DEFAULT_MAX_WAIT_PER_USER); `None`:
    /// only [`max_rate_limit_waits`](Self::max_rate_limit_waits) bounds it). A wait that
    /// would end past it is not started: that user's outcome is
    /// [`Error::RateLimited`](crate::Error::RateLimited) with a detail saying the run gave
    /// up on them, and the run goes on with the next user, so one user Slack keeps
    /// refusing never holds everyone after them. Users given up on count towards
    /// [`max_consecutive_failures`](Self::max_consecutive_failures), so a token that is
    /// rate limited for good stops the run after that many bounds in a row.
    pub fn max_wait_per_user(mut self, limit: Option<Duration>) -> Self {
        self.max_wait_per_user = limit;
        self
    }

    /// How long the whole run may take (default: no bound). No wait that would end past
    /// it is started, and no user is started after it: the run stops,
    /// [`ResetMany::stopped`] says why and [`ResetMany::remaining`] lists who was not
    /// attempted.
    pub fn max_run_time(mut self, limit: Option<Duration>) -> Self {
        self.max_run_time = limit;
        self
    }
}

impl<T: Transport> Client<T> {
    /// Resets the sessions of many users with `admin.users.session.reset`, one call per
    /// user (duplicates once), yielding one [`ResetOutcome`](crate::ResetOutcome) per user
    /// as each finishes; see [`ResetMany`] for what is retried and what stops the run.
    ///
    /// ```
    /// use slack_sessions::{BulkOptions, Client, FakeTransport};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true}"#)
    ///     .push_json(200, r#"{"ok":false,"error":"user_not_found"}"#)
    ///     .push_json(200, r#"{"ok":true}"#);
    /// let client = Client::with_transport("xoxp-test", fake);
    ///
    /// let outcomes: Vec<_> = client.reset_many(["W1", "W404", "W2", "W1"], BulkOptions::new()).collect();
    /// let ok: Vec<_> = outcomes.iter().map(|o| (o.user_id.as_str(), o.is_ok())).collect();
    /// assert_eq!(ok, [("W1", true), ("W404", false), ("W2", true)]);
    /// ```
    pub fn reset_many<I, S>(&self, user_ids: I, options: BulkOptions) -> ResetMany<'_, T>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        ResetMany::new(self, user_ids, options)
    }
}

/// What happened to one user of a [`Client::reset_many`] run.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResetOutcome {
    /// The user.
    pub user_id: String,
    /// `Ok` when Slack reset the user's sessions.
    pub result: Result<(), Error>,
    /// Slack's request id of the last attempt, when there was an answer.
    pub request_id: Option<String>,
    /// Calls made for this user (retries and waited-out 429s included). For a bulk run,
    /// the calls of the `resetBulk` chunk the user was in count once for each of its users.
    pub attempts: u32,
    /// How the user was logged out: one `reset` call, or a `resetBulk` job.
    pub how: ResetHow,
    /// Whether `admin.users.session.list` showed the user's sessions gone afterwards.
    /// [`Client::reset_many`] does not check (`false`); [`Client::reset_verified`] does.
    pub verified: bool,
    /// What else there is to know: "no active session at the snapshot", the sessions
    /// still listed after the deadline, sessions whose kind could not be told.
    pub detail: Option<String>,
}

/// How a user was logged out, in a [`ResetOutcome`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResetHow {
    /// One `admin.users.session.reset` call.
    Single,
    /// An `admin.users.session.resetBulk` job.
    Bulk,
    /// Nothing to log out: `admin.users.session.list` named no session of the user (in
    /// the run's scope) at the snapshot ([`Client::reset_verified`]); the outcome's
    /// request id is the snapshot's.
    NoSession,
}

impl ResetHow {
    /// `"single"`, `"bulk"` or `"no_session"`, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResetHow::Single => "single",
            ResetHow::Bulk => "bulk",
            ResetHow::NoSession => "no_session",
        }
    }
}

impl ResetOutcome {
    /// Whether the user's sessions were reset.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// A [`Client::reset_many`] run: an iterator of one [`ResetOutcome`] per user, each
/// yielded as soon as that user is done.
///
/// A rate-limited user is waited out (per `Retry-After`) and retried, for at most
/// [`BulkOptions::max_wait_per_user`] (10 minutes by default): then the run gives up on
/// that user (their outcome says so) and goes on with the next one.
/// What other errors do follows [`ErrorCode::class`](crate::ErrorCode::class):
/// [`Request`](ErrorClass::Request) codes (`user_not_found`, `cannot_reset_bot`, …) are
/// reported for that user and the run goes on; [`Transient`](ErrorClass::Transient) codes
/// are retried by the client first; [`Fatal`](ErrorClass::Fatal) codes, which doom every
/// later call (`invalid_auth`, `missing_scope`, `not_an_admin`, `feature_not_enabled`,
/// `unknown_method`, `admin_unauthorized`, …), and an unusable client setup stop the run
/// at once: the iterator yields that user's outcome and ends; [`stopped`](Self::stopped) says why and [`remaining`](Self::remaining) lists
/// who was not attempted.
#[must_use = "iterators do nothing unless consumed"]
pub struct ResetMany<'a, T> {
    client: &'a Client<T>,
    queue: VecDeque<String>,
    options: BulkOptions,
    last_start: Option<Instant>,
    consecutive_failures: u32,
    /// When Slack last answered anything (or the run started).
    last_answer: Instant,
    stopped: Option<String>,
    /// When the run started, and the time it slept between attempts: the run's time is
    /// the larger of the real time passed and the time slept.
    started: Instant,
    waited: Duration,
    /// Why the run gave up on the last user, when a time bound did it.
    gave_up: Option<GaveUp>,
}

/// Which time bound made a run give up on a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GaveUp {
    User,
    Run,
}

impl<'a, T: Transport> ResetMany<'a, T> {
    pub(crate) fn new<I, S>(client: &'a Client<T>, user_ids: I, options: BulkOptions) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut seen = HashSet::new();
        let queue = user_ids
            .into_iter()
            .map(|s| s.as_ref().to_owned())
            .filter(|id: &String| seen.insert(id.clone()))
            .collect();
        ResetMany {
            client,
            queue,
            options,
            last_start: None,
            consecutive_failures: 0,
            last_answer: Instant::now(),
            stopped: None,
            started: Instant::now(),
            waited: Duration::ZERO,
            gave_up: None,
        }
    }

    /// Time the run has taken: real, or slept when more (a test's `Sleep`).
    fn run_time(&self) -> Duration {
        self.started.elapsed().max(self.waited)
    }

    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// The users not attempted yet (all of them after an early stop that are not done).
    pub fn remaining(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.queue.iter().map(String::as_str)
    }

    fn pace(&mut self) {
        if let (Some(n), Some(last)) = (self.options.per_minute, self.last_start) {
            let interval = Duration::from_secs(60) / n;
            let since = last.elapsed();
            if since < interval {
                self.client.sleep(interval - since);
            }
        }
        self.last_start = Some(Instant::now());
    }

    fn reset_one(&mut self, user_id: String) -> ResetOutcome {
        let request = ResetRequest::scoped(
            user_id.as_str(),
            self.options.mobile_only,
            self.options.web_only,
        );
        let client = self.client;
        let per_user = self.options.max_wait_per_user;
        let run_left = self
            .options
            .max_run_time
            .map(|max| max.saturating_sub(self.run_time()));
        let patience = Patience::waits(self.options.max_rate_limit_waits)
            .for_at_most(per_user)
            .for_at_most(run_left);
        let Patient {
            result,
            attempts,
            waited,
            out_of_time,
        } = client.send_patiently(&request, patience, || self.pace());
        self.waited += waited;
        let mut detail = None;
        self.gave_up = None;
        if out_of_time {
            let run_bound = run_left.is_some_and(|r| per_user.is_none_or(|u| r < u));
            self.gave_up = Some(if run_bound { GaveUp::Run } else { GaveUp::User });
            detail = Some(if run_bound {
                format!(
                    "still rate limited when the run's time bound ({}) ran out",
                    secs(self.options.max_run_time.unwrap_or_default())
                )
            } else {
                format!(
                    "gave up on this user: still rate limited after {} (the bound per user), the run went on",
                    secs(per_user.unwrap_or_default())
                )
            });
        }
        let request_id = match &result {
            Ok(answer) => answer.meta.request_id().map(str::to_owned),
            Err(error) => error.request_id().map(str::to_owned),
        };
        ResetOutcome {
            request_id,
            attempts,
            result: result.map(drop),
            user_id,
            how: ResetHow::Single,
            verified: false,
            detail,
        }
    }
}

/// A duration in whole seconds, for messages.
fn secs(d: Duration) -> String {
    format!("{}s", d.as_secs_f64().round())
}

/// How long [`Client::send_patiently`] may go on waiting out rate limits for one call:
/// at most `max_waits` waits past the client's own retries, and at most `max_time` in all
/// (attempts and every wait, the client's own retries included), counted from the call.
/// A wait that would end past `max_time` is not started: the rate-limit error is returned.
///
/// ```ignore
/// // At most 1,000 waits, and never past the run's deadline:
/// let patience = Patience::waits(1000).for_at_most(deadline.checked_duration_since(Instant::now()));
/// let Patient { result, attempts, waited } = client.send_patiently(&request, patience, || {});
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Patience {
    pub(crate) max_waits: u32,
    pub(crate) max_time: Option<Duration>,
}

impl Patience {
    /// At most `max_waits` waits, no bound in time.
    pub(crate) fn waits(max_waits: u32) -> Self {
        Patience {
            max_waits,
            max_time: None,
        }
    }

    /// And at most `max` in time (the smaller bound wins; `None` changes nothing).
    pub(crate) fn for_at_most(mut self, max: Option<Duration>) -> Self {
        if let Some(max) = max {
            self.max_time = Some(self.max_time.map_or(max, |m| m.min(max)));
        }
        self
    }
}

/// A call whose rate limits were waited out, and every attempt it took.
pub(crate) struct Patient<T> {
    pub(crate) result: Result<WithMeta<T>, Error>,
    /// All attempts, the waited-out 429s included.
    pub(crate) attempts: u32,
    /// Time slept between attempts (the client's own retries included).
    pub(crate) waited: Duration,
    /// Whether the call ended rate limited because the next wait would pass
    /// [`Patience::max_time`] (not because the waits ran out in number).
    pub(crate) out_of_time: bool,
}

impl<T: Transport> Client<T> {
    /// Sends `request` as a run does: when the client's own retries are spent on 429s,
    /// keeps waiting as Slack asks, at most `max_waits` more times and never past
    /// `max_time` from now (the client's own retries included; `None`: no bound in
    /// time), telling [`on_wait`](crate::ClientBuilder::on_wait) each wait's
    /// `gives_up_after`. A wait that would end past `max_time` is not started: the
    /// call's [`Error::RateLimited`] is returned.
    ///
    /// ```
    /// use std::time::Duration;
    /// use slack_sessions::{Client, FakeTransport, InvalidateRequest};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true}"#);
    /// let client = Client::with_transport("xoxp-test", fake);
    /// let request = InvalidateRequest::new("W1", 42).team("T1");
    /// client.send_waiting(&request, 1000, Some(Duration::from_secs(600)))?;
    /// # Ok::<(), slack_sessions::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The call's last error: [`Error::RateLimited`] when the bound ran out.
    pub fn send_waiting<R: SlackMethod>(
        &self,
        request: &R,
        max_waits: u32,
        max_time: Option<Duration>,
    ) -> Result<WithMeta<R::Response>, Error> {
        let patience = Patience::waits(max_waits).for_at_most(max_time);
        self.send_patiently(request, patience, || {}).result
    }
}

impl<T: Transport> Client<T> {
    /// Sends `request`, and when the client's own retries are spent on 429s, keeps
    /// waiting as Slack asks, within `patience` (telling
    /// [`on_wait`](crate::ClientBuilder::on_wait) each time, with the time left): a run
    /// over many users never skips one over a rate limit before its bound. `before_each`
    /// runs before every attempt (pacing).
    pub(crate) fn send_patiently<R: SlackMethod>(
        &self,
        request: &R,
        patience: Patience,
        mut before_each: impl FnMut(),
    ) -> Patient<R::Response> {
        let mut budget = Budget::at_most(patience.max_time);
        let mut attempts = 0;
        let mut waits = 0;
        loop {
            before_each();
            let result = self.send_within(request, &mut budget);
            let next_wait = match &result {
                Err(Error::RateLimited { retry_after, .. }) if waits < patience.max_waits => {
                    Some(self.retry_policy().rate_limit_wait(*retry_after))
                }
                _ => None,
            };
            match (result, next_wait) {
                (
                    Err(Error::RateLimited {
                        retry_after, meta, ..
                    }),
                    Some(delay),
                ) if budget.allows(delay) => {
                    attempts += meta.attempts();
                    waits += 1;
                    log::info!(
                        target: "slack_sessions",
                        "{} rate limited past the client's retries, waiting {delay:?} before trying again{}",
                        R::NAME,
                        budget.left().map_or_else(String::new, |left| format!(" (giving up after {left:?} more)")),
                    );
                    let error = Error::RateLimited {
                        retry_after,
                        method: R::NAME,
                        meta,
                    };
                    self.wait(&Wait {
                        method: R::NAME,
                        delay,
                        reason: "rate limited (HTTP 429), the client's retries spent",
                        attempt: attempts,
                        error: &error,
                        gives_up_after: budget.left(),
                    });
                    budget.spend(delay);
                }
                (result, next_wait) => {
                    let last = match &result {
                        Ok(answer) => answer.meta.attempts(),
                        Err(error) => error.attempts(),
                    };
                    return Patient {
                        result,
                        attempts: attempts + last,
                        waited: budget.slept(),
                        out_of_time: next_wait.is_some(),
                    };
                }
            }
        }
    }
}

/// Whether `error` means no later call of the run can succeed: a [`Fatal`] code (see
/// [`ErrorCode::class`](crate::ErrorCode::class) for the table), a broken client setup,
/// a rate limit that outlasted every wait, or an HTTP 401/403 from whatever is in between.
///
/// [`Fatal`]: ErrorClass::Fatal
pub(crate) fn dooms_the_run(error: &Error) -> bool {
    match error {
        Error::Api(e) => e.code().class() == ErrorClass::Fatal,
        Error::Config(_) | Error::RateLimited { .. } | Error::Renewal(_) => true,
        Error::Http { status, .. } => *status == 401 || *status == 403,
        _ => false,
    }
}

fn no_answer(error: &Error) -> bool {
    matches!(error, Error::Transport(t) if t.kind().is_transient() || t.kind() == TransportErrorKind::NoResponse)
}

impl<T: Transport> Iterator for ResetMany<'_, T> {
    type Item = ResetOutcome;

    fn next(&mut self) -> Option<ResetOutcome> {
        if self.stopped.is_some() || self.queue.is_empty() {
            return None;
        }
        if let Some(max) = self.options.max_run_time {
            if self.run_time() >= max {
                self.stopped = Some(format!(
                    "the run's time bound ({}) ran out; {} user(s) not attempted",
                    secs(max),
                    self.queue.len()
                ));
                return None;
            }
        }
        let user_id = self.queue.pop_front()?;
        let outcome = self.reset_one(user_id);
        if let Err(error) = &outcome.result {
            if self.gave_up == Some(GaveUp::Run) {
                self.stopped = Some(format!(
                    "the run's time bound ({}) ran out while {} was rate limited",
                    secs(self.options.max_run_time.unwrap_or_default()),
                    outcome.user_id
                ));
                return Some(outcome);
            }
            let given_up = self.gave_up == Some(GaveUp::User);
            if given_up {
                // Slack answered (with 429s), but nothing was done for this user.
                self.consecutive_failures += 1;
                self.last_answer = Instant::now();
            } else if no_answer(error) {
                self.consecutive_failures += 1;
            } else {
                self.consecutive_failures = 0;
                self.last_answer = Instant::now();
            }
            let silence = self.last_answer.elapsed();
            if given_up && self.consecutive_failures >= self.options.max_consecutive_failures {
                self.stopped = Some(format!(
                    "{} users in a row were still rate limited after the bound per user ({}): the token's rate budget is taken",
                    self.consecutive_failures,
                    secs(self.options.max_wait_per_user.unwrap_or_default())
                ));
            } else if given_up {
                // Given up on this user only; the run goes on.
            } else if dooms_the_run(error) {
                self.stopped = Some(format!(
                    "{} failed with an error every later call would share: {error}",
                    outcome.user_id
                ));
            } else if self.consecutive_failures >= self.options.max_consecutive_failures {
                self.stopped = Some(format!(
                    "{} users in a row got no answer from Slack (last: {error})",
                    self.consecutive_failures
                ));
            } else if self.consecutive_failures > 0 && silence >= self.options.max_silence {
                self.stopped = Some(format!(
                    "no answer from Slack for {:.0}s, over the {:.0}s limit (last: {error})",
                    silence.as_secs_f64(),
                    self.options.max_silence.as_secs_f64()
                ));
            }
        } else {
            self.consecutive_failures = 0;
            self.last_answer = Instant::now();
        }
        Some(outcome)
    }
}

impl<T> fmt::Debug for ResetMany<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetMany")
            .field("remaining", &self.queue.len())
            .field("options", &self.options)
            .field("stopped", &self.stopped)
            .finish()
    }
}
