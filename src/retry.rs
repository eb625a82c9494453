//! [`RetryPolicy`]: what is retried, how long to wait, and the [`Sleep`] that waits.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use crate::error::Error;

/// When and how the client retries a failed call.
///
/// The default retries, at most 3 times:
/// - **HTTP 429** (and `"error": "ratelimited"` with any status: both are
///   [`Error::RateLimited`](crate::Error::RateLimited)), after the `Retry-After` Slack names,
///   capped by [`max_wait`](Self::max_wait); when the header is missing or unreadable,
///   after [`rate_limit_fallback`](Self::rate_limit_fallback). Retried for every method:
///   Slack refused the call without acting on it.
/// - **Transient failures**, with exponential backoff and jitter: a connection that
///   could not be made (any method: nothing reached Slack); timeouts and connections
///   that broke mid-call, HTTP 5xx, and Slack's `internal_error`, `fatal_error`,
///   `service_unavailable`, `request_timeout`, `user_session_reset_failed` and
///   `session_invalidation_failed` (only for [idempotent](crate::SlackMethod::IDEMPOTENT)
///   methods, since Slack may have acted before failing).
///
/// Nothing else is retried: an invalid request, a bad token, a missing scope, an unknown
/// user, a redirect, an answer that cannot be decoded will fail the same way again.
///
/// Every `admin.users.session.*` method is idempotent (resetting or invalidating twice
/// leaves the same sessions gone), which is what makes retrying them safe.
///
/// ```
/// use std::time::Duration;
/// use slack_sessions::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_retries(10)
///     .max_wait(Duration::from_secs(300));
/// let never = RetryPolicy::none();
/// assert_eq!(never.retries(), 0);
/// # let _ = patient;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_backoff: Duration,
    max_wait: Duration,
    rate_limit_fallback: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_backoff: Duration::from_secs(20),
            max_wait: Duration::from_secs(120),
            rate_limit_fallback: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// The default policy (see the type's documentation).
    pub fn new() -> Self {
        Self::default()
    }

    /// Never retry: every failure is returned at once.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// At most `n` retries after the first attempt (default 3).
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// Exponential backoff for transient failures: `base` before the first retry, doubling
    /// each time, never more than `max` (defaults 500 ms and 20 s).
    pub fn backoff(mut self, base: Duration, max: Duration) -> Self {
        self.base_delay = base;
        self.max_backoff = max.max(base);
        self
    }

    /// The longest wait for one 429: a larger `Retry-After` is cut to this (default 120 s).
    pub fn max_wait(mut self, max: Duration) -> Self {
        self.max_wait = max;
        self
    }

    /// The wait after a 429 whose `Retry-After` is missing or unreadable (default 30 s).
    pub fn rate_limit_fallback(mut self, wait: Duration) -> Self {
        self.rate_limit_fallback = wait;
        self
    }

    /// Randomise backoff delays (default on): half the delay is fixed and half is random,
    /// so that many clients failing together do not retry together. A 429's wait only
    /// ever grows, by at most a quarter second, and never falls below `Retry-After`.
    pub fn jitter(mut self, yes: bool) -> Self {
        self.jitter = yes;
        self
    }

    /// The most retries made after the first attempt.
    pub fn retries(&self) -> u32 {
        self.max_retries
    }

    /// Whether, and after what wait, to retry after `error` ended attempt number
    /// `attempt` (1-based) of a method that is `idempotent` or not.
    pub(crate) fn decide(
        &self,
        error: &Error,
        attempt: u32,
        idempotent: bool,
    ) -> Option<(Duration, &'static str)> {
        if attempt > self.max_retries {
            return None;
        }
        let reason = retry_reason(error, idempotent)?;
        let delay = match error {
            Error::RateLimited { retry_after, .. } => self.rate_limit_wait(*retry_after),
            _ => self.backoff_delay(attempt),
        };
        Some((delay, reason))
    }

    /// The wait before retrying a rate-limited call.
    pub(crate) fn rate_limit_wait(&self, retry_after: Option<Duration>) -> Duration {
        let base = retry_after
            .unwrap_or(self.rate_limit_fallback)
            .min(self.max_wait);
        if self.jitter {
            base + Duration::from_millis(random() % 250)
        } else {
            base
        }
    }

    fn backoff_delay(&self, attempt: u32) -> Duration {
        let exp = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let full = self.base_delay.saturating_mul(exp).min(self.max_backoff);
        if self.jitter && !full.is_zero() {
            let half = full / 2;
            let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX).max(1);
            half + Duration::from_nanos(random() % spread)
        } else {
            full
        }
    }
}

/// Why `error` may be retried, or `None` when it must not be.
fn retry_reason(error: &Error, idempotent: bool) -> Option<&'static str> {
    match error {
        Error::RateLimited { .. } => Some("rate limited (HTTP 429)"),
        Error::Transport(t) if t.kind() == crate::TransportErrorKind::Connect => {
            Some("connection failed")
        }
        _ if !idempotent => None,
        Error::Transport(t) if t.kind().is_transient() => Some("transport failure"),
        Error::Http { status, .. } if status.is_server_error() => Some("HTTP 5xx"),
        Error::Api(e) if e.code().is_transient() => Some("transient Slack error"),
        _ => None,
    }
}

fn random() -> u64 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(0x5eed);
    hasher.finish()
}

/// A wait the client is about to make before trying a call again, as told to the
/// callback of [`ClientBuilder::on_wait`](crate::ClientBuilder::on_wait): so that a
/// program (the CLI, a service's log) can say what it is waiting for and how long,
/// instead of going silent through a two-minute `Retry-After`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Wait<'a> {
    /// The Slack method being called.
    pub method: &'static str,
    /// How long the client will wait.
    pub delay: Duration,
    /// Why, in words: `"rate limited (HTTP 429)"`, `"connection failed"`, …
    pub reason: &'a str,
    /// The attempt that just failed (1-based).
    pub attempt: u32,
    /// The error that ended it.
    pub error: &'a Error,
    /// How much longer, this wait included, the caller keeps waiting on this call before
    /// giving up (a run's per-user bound, [`BulkOptions::max_wait_per_user`]); `None`
    /// when only the retry counts bound it. Say it when the wait starts.
    ///
    /// [`BulkOptions::max_wait_per_user`]: crate::BulkOptions::max_wait_per_user
    pub gives_up_after: Option<Duration>,
}

/// The callback of [`ClientBuilder::on_wait`](crate::ClientBuilder::on_wait).
pub(crate) type OnWait = std::sync::Arc<dyn Fn(&Wait<'_>) + Send + Sync>;

/// Waits between retries. The client sleeps the thread ([`ThreadSleep`]); tests
/// substitute a [`Sleep`] that records the waits instead of sleeping through them.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
/// use slack_sessions::Sleep;
///
/// #[derive(Default, Clone)]
/// struct Recorder(Arc<Mutex<Vec<Duration>>>);
///
/// impl Sleep for Recorder {
///     fn sleep(&self, duration: Duration) {
///         self.0.lock().unwrap().push(duration);
///     }
/// }
/// ```
pub trait Sleep: Send + Sync {
    /// Blocks for `duration` (or pretends to).
    fn sleep(&self, duration: Duration);
}

/// The real [`Sleep`]: `std::thread::sleep`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ThreadSleep;

impl Sleep for ThreadSleep {
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{TransportError, TransportErrorKind};

    fn transport(kind: TransportErrorKind) -> Error {
        Error::Transport(TransportError::new(kind, "x"))
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default()
            .jitter(false)
            .backoff(Duration::from_millis(100), Duration::from_millis(700));
        let e = transport(TransportErrorKind::Timeout);
        let delays: Vec<_> = (1..=3).map(|a| p.decide(&e, a, true).unwrap().0).collect();
        assert_eq!(
            delays,
            [
                Duration::from_millis(100),
                Duration::from_millis(200),
                Duration::from_millis(400)
            ]
        );
        let p = p.max_retries(10);
        assert_eq!(p.decide(&e, 9, true).unwrap().0, Duration::from_millis(700));
        assert!(p.decide(&e, 11, true).is_none());
    }

    #[test]
    fn jitter_stays_within_half_and_full() {
        let p = RetryPolicy::default().backoff(Duration::from_millis(400), Duration::from_secs(10));
        let e = transport(TransportErrorKind::Io);
        for _ in 0..200 {
            let d = p.decide(&e, 1, true).unwrap().0;
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
        }
    }

    #[test]
    fn non_idempotent_methods_retry_only_what_never_reached_slack() {
        let p = RetryPolicy::default();
        assert!(p
            .decide(&transport(TransportErrorKind::Connect), 1, false)
            .is_some());
        assert!(p
            .decide(&transport(TransportErrorKind::Timeout), 1, false)
            .is_none());
        assert!(p
            .decide(&transport(TransportErrorKind::Timeout), 1, true)
            .is_some());
        assert!(p
            .decide(&transport(TransportErrorKind::BodyTooLarge), 1, true)
            .is_none());
        assert!(p
            .decide(&transport(TransportErrorKind::NoResponse), 1, true)
            .is_none());
    }

    #[test]
    fn none_never_retries() {
        assert!(RetryPolicy::none()
            .decide(&transport(TransportErrorKind::Connect), 1, true)
            .is_none());
    }

    #[test]
    fn rate_limit_wait_caps_and_falls_back() {
        let p = RetryPolicy::default()
            .jitter(false)
            .max_wait(Duration::from_secs(60))
            .rate_limit_fallback(Duration::from_secs(5));
        assert_eq!(
            p.rate_limit_wait(Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.rate_limit_wait(Some(Duration::from_secs(86_400))),
            Duration::from_secs(60)
        );
        assert_eq!(p.rate_limit_wait(None), Duration::from_secs(5));
        let j = p.jitter(true);
        for _ in 0..100 {
            let d = j.rate_limit_wait(Some(Duration::from_secs(3)));
            assert!(d >= Duration::from_secs(3) && d < Duration::from_millis(3250));
        }
    }
}
