//! The real `UreqTransport` against a server on 127.0.0.1: the bytes on the wire, and
//! 4xx/5xx answers handed back as responses.
#![cfg(feature = "ureq")]

mod support;

use slack_sessions::{Client, Error, ErrorCode, InvalidateRequest, ResetRequest, RetryPolicy};
use support::{Reply, TestServer};

const TOKEN: &str = "xoxp-test-SECRET-77";

fn client(server: &TestServer) -> Client<slack_sessions::UreqTransport> {
    Client::builder(TOKEN)
        .api_url(server.api_url())
        .build()
        .unwrap()
}

#[test]
fn bytes_on_the_wire() {
    let server = TestServer::start(|_| {
        Reply::json(200, r#"{"ok":true}"#).with_header("x-slack-req-id", "req-loop")
    });
    let client = client(&server);
    let answer = client
        .send_with_meta(&ResetRequest::new("W123").web_only(true))
        .unwrap();
    assert_eq!(answer.meta.request_id(), Some("req-loop"));
    client
        .send(&InvalidateRequest::new("W123", 1112275520242))
        .unwrap();

    let got = server.received();
    assert_eq!(got.len(), 2);
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/api/admin.users.session.reset");
    assert_eq!(r.header("authorization"), Some(&*format!("Bearer {TOKEN}")));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("slack-sessions/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(r.header("content-length"), Some("26"));
    assert_eq!(r.body_str(), "user_id=W123&web_only=true");
    let raw = String::from_utf8_lossy(&r.raw);
    assert!(
        raw.starts_with("POST /api/admin.users.session.reset HTTP/1.1\r\n"),
        "{raw}"
    );
    // The token is only in the Authorization header.
    assert_eq!(raw.matches(TOKEN).count(), 1, "{raw}");
    assert!(!raw.contains("charset"), "{raw}");

    assert_eq!(got[1].target, "/api/admin.users.session.invalidate");
    assert_eq!(got[1].body_str(), "user_id=W123&session_id=1112275520242");
    // Keep-alive: both calls on one connection.
    assert_eq!(server.connections(), 1);
    assert_eq!(got[1].connection, 0);
}

#[test]
fn error_statuses_come_back_as_responses() {
    let server = TestServer::start(|r| match r.body_str() {
        "user_id=W429" => Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
            .with_header("Retry-After", "7"),
        "user_id=W500" => Reply::json(500, r#"{"ok":false,"error":"internal_error"}"#),
        "user_id=W404" => Reply::json(404, "<html>not here</html>"),
        _ => Reply::json(200, r#"{"ok":false,"error":"user_not_found"}"#),
    });
    let client = Client::builder(TOKEN)
        .api_url(server.api_url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    match client.send(&ResetRequest::new("W404")) {
        Err(Error::Http {
            status,
            body_snippet,
            ..
        }) => {
            assert_eq!(status, 404);
            assert!(body_snippet.contains("not here"));
        }
        other => panic!("{other:?}"),
    }
    match client.send(&ResetRequest::new("W1")) {
        Err(Error::Api(e)) => assert_eq!(e.code(), &ErrorCode::UserNotFound),
        other => panic!("{other:?}"),
    }
    match client.send(&ResetRequest::new("W429")) {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(std::time::Duration::from_secs(7)))
        }
        other => panic!("{other:?}"),
    }
    match client.send(&ResetRequest::new("W500")) {
        Err(Error::Api(e)) => {
            assert_eq!(e.code(), &ErrorCode::InternalError);
            assert_eq!(e.meta().status(), 500);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn from_env_reads_the_token_and_the_api_url() {
    // The only test in this binary that touches SLACK_* variables.
    let server = TestServer::always_json(200, r#"{"ok":true}"#);
    std::env::set_var("SLACK_TOKEN", TOKEN);
    std::env::set_var("SLACK_API_URL", server.api_url().trim_end_matches('/'));
    let client = Client::from_env().unwrap();
    std::env::remove_var("SLACK_TOKEN");
    let missing = Client::from_env().unwrap_err();
    std::env::remove_var("SLACK_API_URL");

    assert_eq!(client.api_url(), server.api_url());
    client.send(&ResetRequest::new("W1")).unwrap();
    let got = server.received();
    assert_eq!(
        got[0].header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    match missing {
        Error::Config(e) => assert!(e.to_string().contains("SLACK_TOKEN"), "{e}"),
        other => panic!("{other:?}"),
    }
}
