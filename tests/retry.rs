//! Retry policy over the fake transport: what is retried, how long is waited, what the
//! caller sees, and what is logged. Waits go through a recording `Sleep`: nothing here
//! really sleeps.

mod support;

use std::time::Duration;

use serde::Serialize;
use slack_sessions::{
    Error, ErrorCode, InvalidateRequest, ResetRequest, ResetResponse, RetryPolicy, SlackMethod,
    TransportError, TransportErrorKind,
};
use support::{logs, scripted};

const TOKEN: &str = "xoxp-test-SECRET-42";

fn r429(retry_after: Option<&str>) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(429);
    if let Some(v) = retry_after {
        b = b.header("retry-after", v);
    }
    b.body(br#"{"ok":false,"error":"ratelimited"}"#.to_vec())
        .unwrap()
}

#[test]
fn rate_limit_waits_retry_after_then_succeeds() {
    logs::install();
    let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default());
    fake.push_response(r429(Some("3")))
        .push_response(r429(Some("1")))
        .push_json(200, r#"{"ok":true}"#);
    let answer = client.send_with_meta(&ResetRequest::new("W1")).unwrap();
    assert_eq!(answer.meta.attempts(), 3);
    assert_eq!(
        sleep.waits(),
        [Duration::from_secs(3), Duration::from_secs(1)]
    );
    // The same request every time.
    let sent = fake.requests();
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(|r| r.body() == b"user_id=W1"));
    // One debug record per attempt, naming method, status and the retry reason.
    let records = logs::mine(log::Level::Debug);
    assert_eq!(records.len(), 3, "{records:#?}");
    assert!(
        records[0].contains("admin.users.session.reset attempt 1"),
        "{}",
        records[0]
    );
    assert!(
        records[0].contains("429") && records[0].contains("retrying in 3s"),
        "{}",
        records[0]
    );
    assert!(records[2].contains("attempt 3: ok"), "{}", records[2]);
    for (_, r) in logs::all_mine() {
        assert!(!r.contains("SECRET"), "{r}");
    }
}

#[test]
fn missing_or_garbage_retry_after_falls_back_and_huge_is_capped() {
    let policy = RetryPolicy::default()
        .rate_limit_fallback(Duration::from_secs(7))
        .max_wait(Duration::from_secs(60));
    let (fake, sleep, client) = scripted(TOKEN, policy);
    fake.push_response(r429(None))
        .push_response(r429(Some("soon")))
        .push_response(r429(Some("86400")))
        .push_json(200, r#"{"ok":true}"#);
    client.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(
        sleep.waits(),
        [
            Duration::from_secs(7),
            Duration::from_secs(7),
            Duration::from_secs(60)
        ]
    );
}

#[test]
fn exhausted_rate_limit_returns_the_last_429_with_attempts() {
    let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default().max_retries(2));
    for _ in 0..3 {
        fake.push_response(r429(Some("2")));
    }
    fake.push_json(200, r#"{"ok":true}"#); // never reached
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    match &err {
        Error::RateLimited {
            retry_after, meta, ..
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(2)));
            assert_eq!(meta.attempts(), 3);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.attempts(), 3);
    assert_eq!(sleep.waits().len(), 2);
    assert_eq!(fake.pending(), 1);
}

#[test]
fn transient_failures_back_off_exponentially() {
    let policy = RetryPolicy::default().backoff(Duration::from_millis(100), Duration::from_secs(5));
    let (fake, sleep, client) = scripted(TOKEN, policy);
    fake.push_error(TransportError::new(
        TransportErrorKind::Timeout,
        "timed out",
    ))
    .push_json(503, "<html>busy</html>")
    .push_json(200, r#"{"ok":false,"error":"internal_error"}"#)
    .push_json(200, r#"{"ok":true}"#);
    let answer = client
        .send_with_meta(&InvalidateRequest::new("W1", 5))
        .unwrap();
    assert_eq!(answer.meta.attempts(), 4);
    assert_eq!(
        sleep.waits(),
        [
            Duration::from_millis(100),
            Duration::from_millis(200),
            Duration::from_millis(400)
        ]
    );
}

#[test]
fn each_transient_slack_code_is_retried() {
    for code in [
        "internal_error",
        "fatal_error",
        "service_unavailable",
        "request_timeout",
        "user_session_reset_failed",
    ] {
        let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default());
        fake.push_json(200, &format!(r#"{{"ok":false,"error":"{code}"}}"#))
            .push_json(200, r#"{"ok":true}"#);
        client.send(&ResetRequest::new("W1")).unwrap();
        assert_eq!(sleep.waits().len(), 1, "{code}");
    }
}

#[test]
fn permanent_failures_are_not_retried() {
    let bodies = [
        (200, r#"{"ok":false,"error":"user_not_found"}"#),
        (200, r#"{"ok":false,"error":"invalid_auth"}"#),
        (
            200,
            r#"{"ok":false,"error":"missing_scope","needed":"admin.users:write"}"#,
        ),
        (200, "<html>"),
        (404, "<html>"),
    ];
    for (status, body) in bodies {
        let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default());
        fake.push_json(status, body);
        let err = client.send(&ResetRequest::new("W1")).unwrap_err();
        assert_eq!(err.attempts(), 1, "{body}");
        assert!(sleep.waits().is_empty(), "{body}");
    }
    let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default());
    fake.push_error(TransportError::new(
        TransportErrorKind::BodyTooLarge,
        "too large",
    ));
    assert!(client.send(&ResetRequest::new("W1")).is_err());
    assert!(sleep.waits().is_empty());
    // Invalid input: not even one attempt.
    let err = client.send(&ResetRequest::new(" ")).unwrap_err();
    assert_eq!(err.attempts(), 0);
}

#[test]
fn policy_none_returns_the_first_failure() {
    let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::none());
    fake.push_response(r429(Some("1")))
        .push_json(200, r#"{"ok":true}"#);
    assert!(matches!(
        client.send(&ResetRequest::new("W1")),
        Err(Error::RateLimited { .. })
    ));
    assert!(sleep.waits().is_empty());
}

#[test]
fn transport_error_reports_attempts() {
    let (fake, _, client) = scripted(TOKEN, RetryPolicy::default().max_retries(1));
    fake.push_error(TransportError::new(TransportErrorKind::Io, "reset"))
        .push_error(TransportError::new(TransportErrorKind::Io, "reset again"));
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.message(), "reset again");
    assert_eq!(t.attempts(), 2);
    assert_eq!(err.attempts(), 2);
}

/// A user method that must not run twice: only what never reached Slack is retried.
#[derive(Serialize)]
struct PostOnce {
    text: &'static str,
}

impl SlackMethod for PostOnce {
    const NAME: &'static str = "chat.postMessage";
    type Response = ResetResponse;
    const IDEMPOTENT: bool = false;
}

#[test]
fn non_idempotent_methods_opt_out() {
    let (fake, sleep, client) = scripted(TOKEN, RetryPolicy::default());
    fake.push_json(200, r#"{"ok":false,"error":"internal_error"}"#);
    let err = client.send(&PostOnce { text: "hi" }).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InternalError));
    fake.push_error(TransportError::new(
        TransportErrorKind::Timeout,
        "timed out",
    ));
    assert!(client.send(&PostOnce { text: "hi" }).is_err());
    assert!(sleep.waits().is_empty());
    // A 429 or a refused connection never reached Slack's handler: safe to retry.
    fake.push_response(r429(Some("1")))
        .push_json(200, r#"{"ok":true}"#);
    client.send(&PostOnce { text: "hi" }).unwrap();
    fake.push_error(TransportError::new(TransportErrorKind::Connect, "refused"))
        .push_json(200, r#"{"ok":true}"#);
    client.send(&PostOnce { text: "hi" }).unwrap();
    assert_eq!(sleep.waits().len(), 2);
}
