//! [`Client::reset_many`]: log out many users, one outcome per user, through rate limits.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use crate::client::Client;
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
        }
    }
}

impl BulkOptions {
    /// How long a run goes on without any answer from Slack before it stops: 2 minutes.
    pub const DEFAULT_MAX_SILENCE: Duration = Duration::from_secs(120);

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

    /// How many 429s in a row one user may get before the run stops (default 1000: in
    /// practice, wait as long as Slack asks). A user is never skipped over a 429.
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
        S: Into<String>,
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
}

impl ResetHow {
    /// `"single"` or `"bulk"`, as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            ResetHow::Single => "single",
            ResetHow::Bulk => "bulk",
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
/// A rate-limited user is waited out (per `Retry-After`) and retried, never skipped.
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
}

impl<'a, T: Transport> ResetMany<'a, T> {
    pub(crate) fn new<I, S>(client: &'a Client<T>, user_ids: I, options: BulkOptions) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = HashSet::new();
        let queue = user_ids
            .into_iter()
            .map(Into::into)
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
        }
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
        let waits = self.options.max_rate_limit_waits;
        let Patient { result, attempts } = client.send_patiently(&request, waits, || self.pace());
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
            detail: None,
        }
    }
}

/// A call whose rate limits were waited out, and every attempt it took.
pub(crate) struct Patient<T> {
    pub(crate) result: Result<WithMeta<T>, Error>,
    /// All attempts, the waited-out 429s included.
    pub(crate) attempts: u32,
}

impl<T: Transport> Client<T> {
    /// Sends `request`, and when the client's own retries are spent on 429s, keeps
    /// waiting as Slack asks (at most `max_waits` times, telling
    /// [`on_wait`](crate::ClientBuilder::on_wait)): a run over many users never skips one
    /// over a rate limit. `before_each` runs before every attempt (pacing).
    pub(crate) fn send_patiently<R: SlackMethod>(
        &self,
        request: &R,
        max_waits: u32,
        mut before_each: impl FnMut(),
    ) -> Patient<R::Response> {
        let mut attempts = 0;
        let mut waits = 0;
        loop {
            before_each();
            match self.send_with_meta(request) {
                Err(Error::RateLimited {
                    retry_after, meta, ..
                }) if waits < max_waits => {
                    attempts += meta.attempts();
                    waits += 1;
                    let delay = self.retry_policy().rate_limit_wait(retry_after);
                    log::info!(
                        target: "slack_sessions",
                        "{} rate limited past the client's retries, waiting {delay:?} before trying again",
                        R::NAME
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
                    });
                }
                result => {
                    let last = match &result {
                        Ok(answer) => answer.meta.attempts(),
                        Err(error) => error.attempts(),
                    };
                    return Patient {
                        result,
                        attempts: attempts + last,
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
        Error::Config(_) | Error::RateLimited { .. } => true,
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
        if self.stopped.is_some() {
            return None;
        }
        let user_id = self.queue.pop_front()?;
        let outcome = self.reset_one(user_id);
        if let Err(error) = &outcome.result {
            if no_answer(error) {
                self.consecutive_failures += 1;
            } else {
                self.consecutive_failures = 0;
                self.last_answer = Instant::now();
            }
            let silence = self.last_answer.elapsed();
            if dooms_the_run(error) {
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
