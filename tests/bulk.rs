//! `Client::reset_many`: one outcome per user, through rate limits, stopping on errors
//! that doom the run.

mod support;

use std::time::Duration;

use slack_sessions::{
    BulkOptions, Client, Error, ErrorCode, FakeTransport, RetryPolicy, TransportError,
    TransportErrorKind,
};
use support::scripted;

fn r429(secs: u64) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(429)
        .header("retry-after", secs.to_string())
        .body(b"{}".to_vec())
        .unwrap()
}

fn ok_with_id(id: &str) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .header("x-slack-req-id", id)
        .body(br#"{"ok":true}"#.to_vec())
        .unwrap()
}

fn bodies(fake: &FakeTransport) -> Vec<String> {
    fake.requests()
        .iter()
        .map(|r| String::from_utf8(r.body().clone()).unwrap())
        .collect()
}

#[test]
fn rate_limits_are_waited_out_for_the_same_user() {
    // Client retries off: the bulk loop itself must keep the user.
    let (fake, sleep, client) = scripted("xoxp-test", RetryPolicy::none());
    fake.push_response(ok_with_id("r1"))
        .push_response(r429(2))
        .push_response(r429(3))
        .push_response(ok_with_id("r2"))
        .push_response(ok_with_id("r3"));
    let outcomes: Vec<_> = client
        .reset_many(["W1", "W2", "W3"], BulkOptions::new())
        .collect();
    let summary: Vec<_> = outcomes
        .iter()
        .map(|o| {
            (
                o.user_id.as_str(),
                o.is_ok(),
                o.request_id.as_deref(),
                o.attempts,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("W1", true, Some("r1"), 1),
            ("W2", true, Some("r2"), 3),
            ("W3", true, Some("r3"), 1)
        ]
    );
    assert_eq!(
        sleep.waits(),
        [Duration::from_secs(2), Duration::from_secs(3)]
    );
    assert_eq!(
        bodies(&fake),
        [
            "user_id=W1",
            "user_id=W2",
            "user_id=W2",
            "user_id=W2",
            "user_id=W3"
        ]
    );
}

#[test]
fn duplicates_are_reset_once_and_options_are_sent() {
    let (fake, _, client) = scripted("xoxp-test", RetryPolicy::none());
    for _ in 0..2 {
        fake.push_json(200, r#"{"ok":true}"#);
    }
    let n = client
        .reset_many(
            ["W1", "W2", "W1", "W2"],
            BulkOptions::new().mobile_only(true),
        )
        .count();
    assert_eq!(n, 2);
    assert_eq!(
        bodies(&fake),
        ["user_id=W1&mobile_only=true", "user_id=W2&mobile_only=true"]
    );
}

#[test]
fn permanent_errors_are_reported_and_the_run_goes_on() {
    let (fake, _, client) = scripted("xoxp-test", RetryPolicy::default());
    fake.push_json(200, r#"{"ok":false,"error":"user_not_found"}"#)
        .push_json(200, r#"{"ok":false,"error":"cannot_reset_bot"}"#)
        .push_json(200, r#"{"ok":true}"#);
    let mut run = client.reset_many(["W404", "B1", "W1", "W 2"], BulkOptions::new());
    let outcomes: Vec<_> = run.by_ref().collect();
    let codes: Vec<_> = outcomes
        .iter()
        .map(|o| o.result.as_ref().err().and_then(Error::code).cloned())
        .collect();
    assert_eq!(
        codes,
        [
            Some(ErrorCode::UserNotFound),
            Some(ErrorCode::CannotResetBot),
            None,
            None
        ]
    );
    assert!(matches!(outcomes[3].result, Err(Error::InvalidRequest(_))));
    assert_eq!(outcomes[3].attempts, 0);
    assert!(run.stopped().is_none());
    assert_eq!(fake.requests().len(), 3, "the invalid id was never sent");
}

#[test]
fn auth_failures_stop_the_run_and_say_who_is_left() {
    for code in [
        "invalid_auth",
        "missing_scope",
        "not_an_admin",
        "token_revoked",
        "token_expired",
        "not_authed",
    ] {
        let (fake, _, client) = scripted("xoxp-test", RetryPolicy::default());
        fake.push_json(200, r#"{"ok":true}"#)
            .push_json(200, &format!(r#"{{"ok":false,"error":"{code}"}}"#));
        let mut run = client.reset_many(["W1", "W2", "W3", "W4"], BulkOptions::new());
        let outcomes: Vec<_> = run.by_ref().collect();
        assert_eq!(outcomes.len(), 2, "{code}");
        assert!(outcomes[0].is_ok());
        assert_eq!(
            outcomes[1]
                .result
                .as_ref()
                .unwrap_err()
                .code()
                .unwrap()
                .as_str(),
            code
        );
        assert!(run.stopped().unwrap().contains(code), "{:?}", run.stopped());
        assert_eq!(run.remaining().collect::<Vec<_>>(), ["W3", "W4"]);
        assert_eq!(fake.requests().len(), 2);
    }
}

/// One code of each class: a per-request code goes on, an org- or token-wide code stops
/// at once, a transient code is retried for the same user.
#[test]
fn every_error_class_does_what_its_class_says() {
    use slack_sessions::ErrorClass;

    // Request: user_not_found, and the run goes on to W2.
    assert_eq!(ErrorCode::UserNotFound.class(), ErrorClass::Request);
    let (fake, _, client) = scripted("xoxp-test", RetryPolicy::default());
    fake.push_json(200, r#"{"ok":false,"error":"user_not_found"}"#)
        .push_json(200, r#"{"ok":true}"#);
    let mut run = client.reset_many(["W404", "W2"], BulkOptions::new());
    assert_eq!(run.by_ref().count(), 2);
    assert!(run.stopped().is_none());

    // Fatal, though not an auth code: each stops the run at the first user.
    for code in [
        "feature_not_enabled",
        "unknown_method",
        "method_deprecated",
        "deprecated_endpoint",
        "enterprise_is_restricted",
        "accesslimited",
        "is_bot",
        "admin_unauthorized",
    ] {
        assert_eq!(
            ErrorCode::from_wire(code).class(),
            ErrorClass::Fatal,
            "{code}"
        );
        let (fake, _, client) = scripted("xoxp-test", RetryPolicy::default());
        fake.push_json(200, &format!(r#"{{"ok":false,"error":"{code}"}}"#));
        let mut run = client.reset_many(["W1", "W2", "W3"], BulkOptions::new());
        assert_eq!(run.by_ref().count(), 1, "{code}");
        assert!(run.stopped().unwrap().contains(code), "{:?}", run.stopped());
        assert_eq!(run.remaining().collect::<Vec<_>>(), ["W2", "W3"], "{code}");
        assert_eq!(
            fake.requests().len(),
            1,
            "{code}: no call after a fatal code"
        );
    }

    // Transient: user_session_reset_failed is retried for the same user, who then succeeds.
    assert_eq!(
        ErrorCode::UserSessionResetFailed.class(),
        ErrorClass::Transient
    );
    let (fake, sleep, client) = scripted("xoxp-test", RetryPolicy::default());
    fake.push_json(200, r#"{"ok":false,"error":"user_session_reset_failed"}"#)
        .push_json(200, r#"{"ok":true}"#)
        .push_json(200, r#"{"ok":true}"#);
    let outcomes: Vec<_> = client
        .reset_many(["W1", "W2"], BulkOptions::new())
        .collect();
    assert!(outcomes.iter().all(|o| o.is_ok()));
    assert_eq!(outcomes[0].attempts, 2);
    assert_eq!(bodies(&fake), ["user_id=W1", "user_id=W1", "user_id=W2"]);
    assert_eq!(sleep.waits().len(), 1);
}

#[test]
fn a_dead_network_stops_the_run() {
    let (fake, _, client) = scripted("xoxp-test", RetryPolicy::none());
    for _ in 0..3 {
        fake.push_error(TransportError::new(TransportErrorKind::Connect, "refused"));
    }
    let mut run = client.reset_many(
        ["W1", "W2", "W3", "W4"],
        BulkOptions::new().max_consecutive_failures(3),
    );
    assert_eq!(run.by_ref().count(), 3);
    assert!(run.stopped().unwrap().contains("3 users in a row"));
    assert_eq!(run.remaining().len(), 1);
}

/// A transport that takes its time and never answers, like a hanging server does.
struct Silent(Duration);

impl slack_sessions::Transport for Silent {
    fn send(
        &self,
        _: slack_sessions::HttpRequest,
    ) -> Result<slack_sessions::HttpResponse, TransportError> {
        std::thread::sleep(self.0);
        Err(TransportError::new(
            TransportErrorKind::Timeout,
            "timed out",
        ))
    }
}

#[test]
fn a_silent_slack_stops_the_run_on_time_not_only_on_count() {
    let client = Client::builder("xoxp-test")
        .retry(RetryPolicy::none())
        .transport(Silent(Duration::from_millis(60)))
        .build()
        .unwrap();
    let users: Vec<String> = (1..=20).map(|n| format!("W{n}")).collect();
    let options = BulkOptions::new()
        .max_consecutive_failures(1000)
        .max_silence(Duration::from_millis(100));
    let mut run = client.reset_many(users, options);
    let done = run.by_ref().count();
    // 60 ms a user: the 100 ms budget is spent by the second user (the first, on a slow machine).
    assert!((1..=2).contains(&done), "{done}");
    let why = run.stopped().unwrap();
    assert!(why.contains("no answer from Slack for"), "{why}");
    assert_eq!(run.remaining().len(), 20 - done);
}

#[test]
fn endless_rate_limiting_stops_rather_than_skips() {
    let (fake, sleep, client) = scripted("xoxp-test", RetryPolicy::none());
    for _ in 0..3 {
        fake.push_response(r429(1));
    }
    let mut run = client.reset_many(["W1", "W2"], BulkOptions::new().max_rate_limit_waits(2));
    let outcomes: Vec<_> = run.by_ref().collect();
    assert_eq!(outcomes.len(), 1);
    assert!(matches!(outcomes[0].result, Err(Error::RateLimited { .. })));
    assert_eq!(outcomes[0].attempts, 3);
    assert_eq!(sleep.waits().len(), 2);
    assert_eq!(run.remaining().collect::<Vec<_>>(), ["W2"]);
}

#[test]
fn pacing_spaces_calls_out() {
    let (fake, sleep, client) = scripted("xoxp-test", RetryPolicy::none());
    for _ in 0..3 {
        fake.push_json(200, r#"{"ok":true}"#);
    }
    assert!(client
        .reset_many(["W1", "W2", "W3"], BulkOptions::new().per_minute(30))
        .all(|o| o.is_ok()));
    let waits = sleep.waits();
    assert_eq!(waits.len(), 2);
    for w in waits {
        // 60 s / 30 = 2 s apart, less the (tiny) time the fake call took.
        assert!(
            w > Duration::from_millis(1900) && w <= Duration::from_secs(2),
            "{w:?}"
        );
    }
}

/// The measured case: 100 users against a limit of 20 calls per 2-second window.
#[cfg(feature = "ureq")]
#[test]
fn hundred_users_through_a_tier2_like_limit() {
    use std::time::Instant;
    use support::slack::{FakeSlack, TOKEN};

    let slack = FakeSlack::start(100);
    slack.with(|s| s.rate_limit = Some((20, Duration::from_secs(2))));
    let client = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .build()
        .unwrap();
    let users: Vec<String> = (1..=100).map(|n| format!("W{n}")).collect();
    let started = Instant::now();
    let outcomes: Vec<_> = client.reset_many(&users, BulkOptions::new()).collect();
    let took = started.elapsed();
    assert_eq!(outcomes.len(), 100);
    assert!(outcomes.iter().all(|o| o.is_ok()));
    let reported: Vec<&str> = outcomes.iter().map(|o| o.user_id.as_str()).collect();
    assert_eq!(
        reported,
        users.iter().map(String::as_str).collect::<Vec<_>>()
    );
    for u in &users {
        assert_eq!(slack.resets(u), 1, "{u}");
    }
    assert!(slack.with(|s| s.limited) >= 4, "the limit was hit");
    eprintln!("100 users in {took:?} (the limit allows 100 in 10 s)");
    // Generous: the target is 1.2 x 10 s; a loaded machine gets twice that.
    assert!(took < Duration::from_secs(20), "{took:?}");
}

/// Slack as a hostile or overloaded server sees one user: every call for the users named
/// gets a 429 with `Retry-After: 60`; everyone else is reset.
struct RateLimits(&'static [&'static str]);

impl slack_sessions::Transport for RateLimits {
    fn send(
        &self,
        request: slack_sessions::HttpRequest,
    ) -> Result<slack_sessions::HttpResponse, TransportError> {
        let body = String::from_utf8(request.body().clone()).unwrap();
        if self
            .0
            .iter()
            .any(|u| body.contains(&format!("user_id={u}")))
        {
            Ok(r429(60))
        } else {
            Ok(ok_with_id("r"))
        }
    }
}

/// What each wait said about how much longer the caller would wait.
type Told = std::sync::Arc<std::sync::Mutex<Vec<Option<Duration>>>>;

fn rate_limited_client(
    users: &'static [&'static str],
    policy: RetryPolicy,
) -> (support::RecordingSleep, Told, Client<RateLimits>) {
    let sleep = support::RecordingSleep::default();
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = told.clone();
    let client = Client::builder("xoxp-test")
        .retry(policy.jitter(false))
        .sleeper(sleep.clone())
        .on_wait(move |w| log.lock().unwrap().push(w.gives_up_after))
        .transport(RateLimits(users))
        .build()
        .unwrap();
    (sleep, told, client)
}

#[test]
fn a_user_slack_keeps_refusing_is_given_up_on_in_time_and_the_run_goes_on() {
    // The client's own retries on (3 of them): they count against the bound too.
    let (sleep, told, client) = rate_limited_client(&["W2"], RetryPolicy::default());
    let mut run = client.reset_many(["W1", "W2", "W3"], BulkOptions::new());
    let outcomes: Vec<_> = run.by_ref().collect();
    let summary: Vec<_> = outcomes
        .iter()
        .map(|o| (o.user_id.as_str(), o.is_ok()))
        .collect();
    assert_eq!(summary, [("W1", true), ("W2", false), ("W3", true)]);
    assert!(run.stopped().is_none(), "{:?}", run.stopped());
    let w2 = &outcomes[1];
    assert!(matches!(w2.result, Err(Error::RateLimited { .. })));
    let detail = w2.detail.as_deref().unwrap();
    assert!(
        detail.contains("gave up on this user") && detail.contains("600s"),
        "{detail}"
    );
    // Ten minutes of waiting, not 1,000 x 4 attempts: ten waits of 60 s fit in 600 s.
    let waited: Duration = sleep.waits().iter().sum();
    assert_eq!(waited, Duration::from_secs(600), "{:?}", sleep.waits());
    assert_eq!(w2.attempts, 11);
    // Every wait said how much longer the run would wait for this user.
    let told = told.lock().unwrap().clone();
    assert_eq!(told.len(), 10);
    assert!(told
        .iter()
        .all(|t| t.is_some_and(|t| t <= Duration::from_secs(600))));
    assert!(told[0] > told[9], "{told:?}");
}

#[test]
fn users_given_up_on_in_a_row_stop_the_run_and_the_bounds_are_options() {
    let (sleep, _, client) = rate_limited_client(&["W1", "W2", "W3", "W4"], RetryPolicy::none());
    let options = BulkOptions::new()
        .max_wait_per_user(Some(Duration::from_secs(120)))
        .max_consecutive_failures(3);
    let mut run = client.reset_many(["W1", "W2", "W3", "W4", "W5"], options);
    let outcomes: Vec<_> = run.by_ref().collect();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| !o.is_ok()));
    let why = run.stopped().unwrap();
    assert!(
        why.contains("3 users in a row were still rate limited"),
        "{why}"
    );
    assert_eq!(run.remaining().collect::<Vec<_>>(), ["W4", "W5"]);
    // Two waits of 60 s per user fit in 120 s.
    assert_eq!(sleep.waits().len(), 6);
}

#[test]
fn the_run_time_bound_is_a_real_one() {
    let (sleep, _, client) = rate_limited_client(&["W2"], RetryPolicy::none());
    let options = BulkOptions::new().max_run_time(Some(Duration::from_secs(150)));
    let mut run = client.reset_many(["W1", "W2", "W3"], options);
    let outcomes: Vec<_> = run.by_ref().collect();
    let summary: Vec<_> = outcomes
        .iter()
        .map(|o| (o.user_id.as_str(), o.is_ok()))
        .collect();
    assert_eq!(summary, [("W1", true), ("W2", false)]);
    assert!(outcomes[1]
        .detail
        .as_deref()
        .unwrap()
        .contains("run's time bound (150s)"));
    let why = run.stopped().unwrap();
    assert!(why.contains("run's time bound (150s) ran out"), "{why}");
    assert_eq!(run.remaining().collect::<Vec<_>>(), ["W3"]);
    assert_eq!(
        sleep.waits().iter().sum::<Duration>(),
        Duration::from_secs(120)
    );
}
