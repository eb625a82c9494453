//! The real `UreqTransport` against a misbehaving loopback server: every bad answer is a
//! typed error, every call ends in bounded time, the token goes nowhere else.
#![cfg(feature = "ureq")]

mod support;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use slack_sessions::{
    Client, Error, ErrorCode, InvalidateRequest, ListRequest, ResetRequest, RetryPolicy,
    TransportErrorKind, UreqTransport, UreqTransportBuilder,
};
use support::slack::{FakeSlack, TOKEN};
use support::{chain, logs, ConnectProxy, RecordingSleep, Reply, TestServer};

fn client_for(url: &str, policy: RetryPolicy) -> Client<UreqTransport> {
    Client::builder(TOKEN)
        .api_url(url)
        .retry(policy)
        .sleeper(RecordingSleep::default())
        .build()
        .unwrap()
}

fn once(slack: &FakeSlack) -> Client<UreqTransport> {
    client_for(&slack.api_url(), RetryPolicy::none())
}

#[test]
fn slack_semantics_over_the_wire() {
    let slack = FakeSlack::start(3);
    let c = once(&slack);
    c.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(slack.resets("W1"), 1);
    assert_eq!(
        c.send(&ResetRequest::new("W404")).unwrap_err().code(),
        Some(&ErrorCode::UserNotFound)
    );
    assert_eq!(
        c.send(&ResetRequest::new("B1")).unwrap_err().code(),
        Some(&ErrorCode::CannotResetBot)
    );
    c.send(&InvalidateRequest::new("W2", 201)).unwrap();
    c.send(&InvalidateRequest::new("W2", 202).team("T1"))
        .unwrap();
    assert_eq!(
        c.send(&InvalidateRequest::new("W2", 201))
            .unwrap_err()
            .code(),
        Some(&ErrorCode::SessionNotFound)
    );
    let bad = Client::builder("xoxp-wrong")
        .api_url(slack.api_url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    assert_eq!(
        bad.send(&ResetRequest::new("W3")).unwrap_err().code(),
        Some(&ErrorCode::InvalidAuth)
    );
    assert_eq!(slack.resets("W3"), 0);
}

fn bad_answer(reply: Reply) -> Error {
    let slack = FakeSlack::start(1);
    slack.misbehave(reply);
    once(&slack).send(&ResetRequest::new("W1")).unwrap_err()
}

#[test]
fn bad_answers_are_typed_errors() {
    let html = Reply::Respond {
        status: 502,
        headers: vec![("Content-Type".into(), "text/html".into())],
        body: b"<html><h1>502 Bad Gateway</h1></html>".to_vec(),
    };
    match bad_answer(html) {
        Error::Http {
            status,
            body_snippet,
            ..
        } => {
            assert_eq!(status, 502);
            assert!(body_snippet.contains("Bad Gateway"));
        }
        other => panic!("{other:?}"),
    }
    for (body, reason) in [
        (r#"{"ok":tr"#, "not valid JSON"),
        ("", "empty"),
        ("[true]", "not a Slack JSON object"),
        (r#"{"warning":"x"}"#, "no \"ok\" field"),
    ] {
        let err = bad_answer(Reply::json(200, body));
        assert!(matches!(err, Error::Decode { .. }), "{body}: {err:?}");
        assert!(err.to_string().contains(reason), "{body}: {err}");
        assert!(
            err.request_id().is_some_and(|id| id.starts_with("req-")),
            "{err:?}"
        );
    }
    // No code, a null code and an empty one are one answer: a refusal without a code.
    for body in [
        r#"{"ok":false}"#,
        r#"{"ok":false,"error":null}"#,
        r#"{"ok":false,"error":""}"#,
    ] {
        match bad_answer(Reply::json(200, body)) {
            Error::Api(e) => assert_eq!(e.code().as_str(), "", "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
    match bad_answer(Reply::json(500, r#"{"ok":false,"error":"fatal_error"}"#)) {
        Error::Api(e) => {
            assert_eq!(e.code(), &ErrorCode::FatalError);
            assert_eq!(e.meta().status(), 500);
        }
        other => panic!("{other:?}"),
    }
    for (header, expected) in [
        (Some("garbage"), None),
        (None, None),
        (Some("12"), Some(12)),
    ] {
        let mut reply = Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#);
        if let Some(h) = header {
            reply = reply.with_header("Retry-After", h);
        }
        match bad_answer(reply) {
            Error::RateLimited { retry_after, .. } => {
                assert_eq!(retry_after, expected.map(Duration::from_secs), "{header:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn connection_closed_mid_answer() {
    let raw =
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ok\":"
            .to_vec();
    match bad_answer(Reply::Raw(raw)) {
        Error::Transport(t) => assert_eq!(t.kind(), TransportErrorKind::Io, "{}", chain(&t)),
        other => panic!("{other:?}"),
    }
    match bad_answer(Reply::Close) {
        Error::Transport(t) => assert!(t.kind().is_transient(), "{:?}", t.kind()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn connection_refused() {
    let url = format!("http://127.0.0.1:{}/api/", support::refused_port());
    let c = client_for(&url, RetryPolicy::none());
    match c.send(&ResetRequest::new("W1")) {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::Connect);
            assert!(t.to_string().contains("refused"), "{t}");
        }
        other => panic!("{other:?}"),
    }
    // Refused connections are retried (nothing reached Slack), then reported with the count.
    let sleep = RecordingSleep::default();
    let c = Client::builder(TOKEN)
        .api_url(url)
        .retry(RetryPolicy::default().max_retries(2))
        .sleeper(sleep.clone())
        .build()
        .unwrap();
    let err = c.send(&ResetRequest::new("W1")).unwrap_err();
    assert_eq!(err.attempts(), 3);
    assert_eq!(sleep.waits().len(), 2);
}

fn quick_timeouts(url: &str) -> Client<UreqTransport> {
    Client::builder(TOKEN)
        .api_url(url)
        .retry(RetryPolicy::none())
        .ureq_settings(
            UreqTransportBuilder::default()
                .response_timeout(Some(Duration::from_millis(300)))
                .body_timeout(Some(Duration::from_millis(300))),
        )
        .build()
        .unwrap()
}

/// Sends one reset to a server that misbehaves with `reply`, with 0.3 s bounds on
/// waiting for and reading the answer: the call must end in a timeout, quickly.
fn times_out_within_the_bound(reply: Reply) {
    let slack = FakeSlack::start(1);
    slack.misbehave(reply);
    let started = Instant::now();
    let err = quick_timeouts(&slack.api_url())
        .send(&ResetRequest::new("W1"))
        .unwrap_err();
    let took = started.elapsed();
    match &err {
        Error::Transport(t) => assert_eq!(t.kind(), TransportErrorKind::Timeout, "{}", chain(t)),
        other => panic!("{other:?}"),
    }
    // Generous: the bound is 0.3 s; the server would take 20 s or more.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_server_that_never_answers_costs_the_bound() {
    times_out_within_the_bound(Reply::Hang(Duration::from_secs(20)));
}

#[test]
fn a_dripping_body_costs_the_bound() {
    times_out_within_the_bound(Reply::Drip {
        len: 10_000,
        every: Duration::from_millis(20),
    });
}

#[test]
fn the_builder_timeout_bounds_a_whole_attempt() {
    let slack = FakeSlack::start(1);
    slack.misbehave(Reply::Hang(Duration::from_secs(20)));
    let c = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = c.send(&ResetRequest::new("W1")).unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::Timeout),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_timeout_is_retried_and_the_call_succeeds() {
    let slack = FakeSlack::start(1);
    slack.misbehave(Reply::Hang(Duration::from_secs(20)));
    let c = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default())
        .sleeper(RecordingSleep::default())
        .ureq_settings(
            UreqTransportBuilder::default().response_timeout(Some(Duration::from_millis(300))),
        )
        .build()
        .unwrap();
    let answer = c.send_with_meta(&ResetRequest::new("W1")).unwrap();
    assert_eq!(answer.meta.attempts(), 2);
    assert_eq!(slack.resets("W1"), 1);
}

#[test]
fn oversized_bodies_are_refused() {
    let big = format!(r#"{{"ok":true,"pad":"{}"}}"#, "x".repeat(2 * 1024 * 1024));
    let server = TestServer::start(move |_| Reply::json(200, &big));
    let c = client_for(&server.api_url(), RetryPolicy::default());
    match c.send(&ResetRequest::new("W1")) {
        Err(Error::Transport(t)) => {
            assert_eq!(t.kind(), TransportErrorKind::BodyTooLarge);
            assert!(t.to_string().contains("1048576"), "{t}");
            assert_eq!(t.attempts(), 1, "not retried");
        }
        other => panic!("{other:?}"),
    }
    let slack = FakeSlack::start(1);
    let small = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .max_response_bytes(5)
        .build()
        .unwrap();
    let result = small.send(&ResetRequest::new("W1"));
    assert!(
        matches!(&result, Err(Error::Transport(t)) if t.kind() == TransportErrorKind::BodyTooLarge),
        "{result:?}"
    );
}

#[test]
fn redirects_are_not_followed_and_the_token_stays_home() {
    let elsewhere = TestServer::always_json(200, r#"{"ok":true}"#);
    let target = format!("{}admin.users.session.reset", elsewhere.api_url());
    for status in [301u16, 302, 307, 308] {
        let location = target.clone();
        let server = TestServer::start(move |_| Reply::Respond {
            status,
            headers: vec![("Location".into(), location.clone())],
            body: Vec::new(),
        });
        let err = client_for(&server.api_url(), RetryPolicy::default())
            .send(&ResetRequest::new("W1"))
            .unwrap_err();
        match &err {
            Error::Http {
                status: s,
                location,
                ..
            } => {
                assert_eq!(s.as_u16(), status);
                assert_eq!(location.as_deref(), Some(target.as_str()));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains(&target), "{err}");
        assert_eq!(server.received().len(), 1, "not retried");
    }
    assert!(
        elsewhere.received().is_empty(),
        "the redirect target received a request"
    );
}

/// The API host as a proxy user sees it: not loopback, so the request goes through the
/// proxy. `.invalid` never resolves, and the test proxy never connects anywhere but
/// 127.0.0.1, so nothing leaves the machine: the proxy answers 502 after recording the
/// CONNECT line, and the call fails as a connect error.
const REMOTE_API: &str = "https://slack-sessions.invalid/api/";

#[test]
fn explicit_proxy_tunnels_https_with_connect() {
    let proxy = ConnectProxy::start();
    let c = Client::builder(TOKEN)
        .api_url(REMOTE_API)
        .retry(RetryPolicy::none())
        .proxy(format!("http://{}", proxy.addr))
        .build()
        .unwrap();
    let err = c.send(&ResetRequest::new("W1")).unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind() == TransportErrorKind::Connect),
        "{err:?}"
    );
    let connects = proxy.connects.lock().unwrap().clone();
    assert_eq!(connects, ["CONNECT slack-sessions.invalid:443 HTTP/1.1"]);
    // The proxy saw only the CONNECT line in clear; the token goes inside the TLS tunnel.
    assert!(!connects[0].contains("SECRET"));
    assert!(matches!(
        Client::builder(TOKEN).proxy("not a proxy url ::").build(),
        Err(Error::Config(_))
    ));
}

#[test]
fn loopback_api_urls_bypass_every_proxy() {
    // Plain http to a loopback test server through a proxy would hand the proxy the
    // token in clear text; it must never see the request at all.
    let slack = FakeSlack::start(2);
    let proxy = ConnectProxy::start();
    let explicit = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .proxy(format!("http://{}", proxy.addr))
        .build()
        .unwrap();
    explicit.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(slack.resets("W1"), 1);
    assert!(
        proxy.connects.lock().unwrap().is_empty(),
        "{:?}",
        proxy.connects
    );
    let received = slack.server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].target, "/api/admin.users.session.reset",
        "not a proxy-form target"
    );
}

#[test]
fn proxy_from_environment_only_when_asked() {
    // Environment variables are process-wide: this is the only test that sets them.
    let slack = FakeSlack::start(2);
    let proxy = ConnectProxy::start();
    std::env::set_var("ALL_PROXY", format!("http://{}", proxy.addr));
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let ignoring = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .build()
        .unwrap();
    let honouring_loopback = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .proxy_from_env(true)
        .build()
        .unwrap();
    let honouring = Client::builder(TOKEN)
        .api_url(REMOTE_API)
        .retry(RetryPolicy::none())
        .proxy_from_env(true)
        .build()
        .unwrap();
    std::env::remove_var("ALL_PROXY");
    ignoring.send(&ResetRequest::new("W1")).unwrap();
    honouring_loopback.send(&ResetRequest::new("W2")).unwrap();
    assert!(proxy.connects.lock().unwrap().is_empty());
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (1, 1));
    assert!(honouring.send(&ResetRequest::new("W2")).is_err());
    assert_eq!(
        *proxy.connects.lock().unwrap(),
        ["CONNECT slack-sessions.invalid:443 HTTP/1.1"]
    );
}

#[test]
fn eight_threads_share_one_client() {
    let slack = FakeSlack::start(8);
    let client = Arc::new(client_for(&slack.api_url(), RetryPolicy::none()));
    let threads: Vec<_> = (1..=8)
        .map(|t| {
            let client = client.clone();
            thread::spawn(move || {
                let user = format!("W{t}");
                let mut errors = 0;
                for _ in 0..1000 {
                    if client.send(&ResetRequest::new(user.as_str())).is_err() {
                        errors += 1;
                    }
                }
                errors
            })
        })
        .collect();
    let errors: u32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(errors, 0);
    for t in 1..=8 {
        assert_eq!(slack.resets(&format!("W{t}")), 1000);
    }
    // Keep-alive: 8,000 calls over about one connection per thread.
    let connections = slack.server.connections();
    assert!(
        connections <= 16,
        "{connections} connections for 8,000 calls"
    );
}

#[test]
fn a_full_failing_run_never_shows_the_token() {
    logs::install();
    let slack = FakeSlack::start(1);
    slack.with(|s| s.rate_limit = Some((1, Duration::from_secs(60))));
    let c = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default().max_retries(2))
        .sleeper(RecordingSleep::default())
        .build()
        .unwrap();
    let mut seen = vec![format!("{c:?}")];
    c.send(&ResetRequest::new("W1")).unwrap();
    // Rate limited until retries run out.
    let mut errors = vec![c.send(&ResetRequest::new("W1")).unwrap_err()];
    slack.with(|s| s.rate_limit = None);
    for reply in [
        Reply::json(502, "<html>bad gateway</html>"),
        Reply::json(200, "{"),
        Reply::Close,
        Reply::Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{".to_vec()),
    ] {
        for _ in 0..3 {
            slack.misbehave(match &reply {
                Reply::Close => Reply::Close,
                Reply::Raw(b) => Reply::Raw(b.clone()),
                Reply::Respond {
                    status,
                    headers,
                    body,
                } => Reply::Respond {
                    status: *status,
                    headers: headers.clone(),
                    body: body.clone(),
                },
                _ => unreachable!(),
            });
        }
        errors.push(c.send(&ResetRequest::new("W1")).unwrap_err());
    }
    errors.push(c.send(&ResetRequest::new("W 1")).unwrap_err());
    errors.push(c.send(&ResetRequest::new("W404")).unwrap_err());
    for e in &errors {
        seen.push(format!("{e:?}"));
        seen.push(format!("{e:#?}"));
        seen.push(chain(e));
    }
    // Our own records at every level, and every crate's records above TRACE. (ureq's
    // TRACE records dump raw request bytes, Authorization header included: the README
    // says to keep TRACE off for the ureq targets outside a debugging session.)
    let log_lines: Vec<String> = logs::all_mine()
        .into_iter()
        .filter(|(level, line)| line.starts_with("slack_sessions") || *level < log::Level::Trace)
        .map(|(_, line)| line)
        .collect();
    let ours = log_lines
        .iter()
        .filter(|l| l.starts_with("slack_sessions"))
        .count();
    assert!(ours >= 10, "{log_lines:#?}");
    seen.extend(log_lines);
    for s in &seen {
        assert!(!s.contains("SECRET"), "token leaked: {s}");
    }
}

#[test]
fn transport_errors_name_the_method_the_host_the_proxy_the_phase_and_the_bound() {
    let port = support::refused_port();
    let direct = client_for(
        &format!("http://127.0.0.1:{port}/api/"),
        RetryPolicy::none(),
    );
    let text = direct
        .send(&ResetRequest::new("W1"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        format!("admin.users.session.reset: connection refused by 127.0.0.1:{port}")
    );

    let via_proxy = Client::builder(TOKEN)
        .api_url(REMOTE_API)
        .proxy(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let text = via_proxy
        .send(&ResetRequest::new("W1"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        text,
        format!(
            "admin.users.session.reset: connection refused by the proxy 127.0.0.1:{port} \
             (on the way to slack-sessions.invalid:443)"
        )
    );

    let server = TestServer::start(|_| Reply::Hang(Duration::from_secs(5)));
    let slow = Client::builder(TOKEN)
        .api_url(server.api_url())
        .retry(RetryPolicy::none())
        .ureq_settings(UreqTransport::builder().response_timeout(Some(Duration::from_millis(300))))
        .build()
        .unwrap();
    let text = slow.send(&ListRequest::new()).unwrap_err().to_string();
    assert_eq!(
        text,
        format!(
            "admin.users.session.list: timed out waiting for the answer from {} after 0.3s (response timeout)",
            server.addr()
        )
    );
}
