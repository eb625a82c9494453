//! The public API over the fake transport: exact wire format, every error path, the
//! token kept out of every output.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use slack_sessions::{
    decode_response, Client, Error, ErrorCode, FakeTransport, HttpRequest, HttpResponse,
    InvalidateRequest, ResetRequest, SlackMethod, Token, Transport, TransportError,
    TransportErrorKind,
};

mod support;

use support::{chain, fake_client};

const TOKEN: &str = "xoxp-test-SECRET-1234";

fn header<'a>(request: &'a HttpRequest, name: &str) -> &'a str {
    request.headers().get(name).unwrap().to_str().unwrap()
}

fn assert_wire(request: &HttpRequest, url: &str, body: &str) {
    assert_eq!(request.method(), http::Method::POST);
    assert_eq!(request.uri(), url);
    assert_eq!(header(request, "authorization"), format!("Bearer {TOKEN}"));
    assert_eq!(
        header(request, "content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(header(request, "accept"), "application/json");
    assert_eq!(
        header(request, "user-agent"),
        concat!("slack-sessions/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(request.headers().len(), 4, "{:?}", request.headers());
    assert_eq!(std::str::from_utf8(request.body()).unwrap(), body);
}

#[test]
fn reset_wire_format() {
    let (fake, client) = fake_client(TOKEN);
    for _ in 0..4 {
        fake.push_json(200, r#"{"ok":true}"#);
    }
    client.send(&ResetRequest::new("W123")).unwrap();
    client
        .send(&ResetRequest::new("W123").mobile_only(true))
        .unwrap();
    client
        .send(&ResetRequest::new("W123").web_only(true))
        .unwrap();
    client
        .send(&ResetRequest::new("W123").mobile_only(false).web_only(false))
        .unwrap();
    let sent = fake.requests();
    let url = "https://slack.com/api/admin.users.session.reset";
    assert_wire(&sent[0], url, "user_id=W123");
    assert_wire(&sent[1], url, "user_id=W123&mobile_only=true");
    assert_wire(&sent[2], url, "user_id=W123&web_only=true");
    assert_wire(
        &sent[3],
        url,
        "user_id=W123&mobile_only=false&web_only=false",
    );
    assert!(sent[0]
        .headers()
        .get("authorization")
        .unwrap()
        .is_sensitive());
}

#[test]
fn invalidate_wire_format() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_json(200, r#"{"ok":true}"#)
        .push_json(200, r#"{"ok":true}"#);
    client
        .send(&InvalidateRequest::new("W123", 1112275520242))
        .unwrap();
    client
        .send(&InvalidateRequest::new("W123", 42).team("T123"))
        .unwrap();
    let sent = fake.requests();
    let url = "https://slack.com/api/admin.users.session.invalidate";
    assert_wire(&sent[0], url, "user_id=W123&session_id=1112275520242");
    assert_wire(&sent[1], url, "user_id=W123&session_id=42&team_id=T123");
}

#[test]
fn token_never_in_url_or_body() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_json(200, r#"{"ok":true}"#)
        .push_json(200, r#"{"ok":true}"#);
    client.send(&ResetRequest::new("W1")).unwrap();
    client.send(&InvalidateRequest::new("W1", 9)).unwrap();
    for r in fake.requests() {
        assert!(!r.uri().to_string().contains(TOKEN));
        assert!(!String::from_utf8_lossy(r.body()).contains(TOKEN));
        assert!(!String::from_utf8_lossy(r.body()).contains("token"));
    }
}

#[test]
fn invalid_input_never_reaches_the_transport() {
    let (fake, client) = fake_client(TOKEN);
    let cases: Vec<(Result<(), Error>, &str)> = vec![
        (client.send(&ResetRequest::new("")).map(drop), "user_id"),
        (client.send(&ResetRequest::new("   ")).map(drop), "user_id"),
        (client.send(&ResetRequest::new("W1 2")).map(drop), "user_id"),
        (
            client.send(&ResetRequest::new("W12\n")).map(drop),
            "user_id",
        ),
        (
            client.send(&ResetRequest::new("W12\u{1b}")).map(drop),
            "user_id",
        ),
        (
            client
                .send(&ResetRequest::new("W1").mobile_only(true).web_only(true))
                .map(drop),
            "web_only",
        ),
        (
            client.send(&InvalidateRequest::new("", 5)).map(drop),
            "user_id",
        ),
        (
            client
                .send(&InvalidateRequest::new("W1", 5).team("T 1"))
                .map(drop),
            "team_id",
        ),
        (
            client.send(&InvalidateRequest::new("W1", 0)).map(drop),
            "session_id",
        ),
    ];
    for (result, field) in cases {
        match result {
            Err(Error::InvalidRequest(e)) => {
                assert_eq!(e.field(), field);
                assert!(e.to_string().contains(field), "{e}");
                assert!(e.to_string().contains("nothing was sent"), "{e}");
            }
            other => panic!("expected InvalidRequest for {field}, got {other:?}"),
        }
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn unusable_token_fails_at_send_before_io_and_at_build() {
    for bad in [
        "",
        "xoxp-1\n",
        "xoxp 1",
        "xoxp-1\r\nX-Injected: yes",
        "xoxp-\u{0}",
    ] {
        let fake = FakeTransport::new();
        let client = Client::with_transport(bad, fake.clone());
        match client.send(&ResetRequest::new("W1")) {
            Err(Error::Config(e)) => assert!(e.to_string().contains("token"), "{e}"),
            other => panic!("{other:?}"),
        }
        assert!(fake.requests().is_empty());
        match Client::builder(bad).transport(FakeTransport::new()).build() {
            Err(Error::Config(e)) => {
                let text = e.to_string();
                assert!(text.contains("token"), "{text}");
                if !bad.is_empty() {
                    assert!(!text.contains(bad), "{text}");
                }
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn api_url_rules() {
    let build = |url: &str| {
        Client::builder(TOKEN)
            .api_url(url)
            .transport(FakeTransport::new())
            .build()
    };
    for (url, normalized) in [
        ("https://slack.com/api", "https://slack.com/api/"),
        (
            "https://gateway.example/slack/api/",
            "https://gateway.example/slack/api/",
        ),
        ("http://127.0.0.1:8080/api", "http://127.0.0.1:8080/api/"),
        ("http://127.8.9.10/api/", "http://127.8.9.10/api/"),
        ("http://localhost:1/", "http://localhost:1/"),
        ("http://[::1]:9000/api", "http://[::1]:9000/api/"),
    ] {
        assert_eq!(build(url).unwrap().api_url(), normalized);
    }
    for url in [
        "http://slack.com/api/",
        "http://10.0.0.1/api/",
        "http://localhost.evil.example/",
        "ftp://slack.com/api/",
        "slack.com/api",
        "not a url",
        "https://user:pass@slack.com/api/",
        "https://slack.com/api/?x=1",
    ] {
        match build(url) {
            Err(Error::Config(e)) => assert!(e.to_string().contains("api url"), "{url}: {e}"),
            other => panic!("{url}: {other:?}"),
        }
    }
    let fake = FakeTransport::new();
    fake.push_json(200, r#"{"ok":true}"#);
    let client = Client::builder(TOKEN)
        .api_url("http://127.0.0.1:1/x")
        .transport(fake.clone())
        .build()
        .unwrap();
    client.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(
        fake.requests()[0].uri(),
        "http://127.0.0.1:1/x/admin.users.session.reset"
    );
}

#[test]
fn custom_user_agent_keeps_ours() {
    let fake = FakeTransport::new();
    fake.push_json(200, r#"{"ok":true}"#);
    let client = Client::builder(TOKEN)
        .user_agent("bot/1.0")
        .transport(fake.clone())
        .build()
        .unwrap();
    client.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(
        header(&fake.requests()[0], "user-agent"),
        concat!("bot/1.0 slack-sessions/", env!("CARGO_PKG_VERSION"))
    );
    assert!(matches!(
        Client::builder(TOKEN)
            .user_agent("bad\nagent")
            .transport(FakeTransport::new())
            .build(),
        Err(Error::Config(_))
    ));
}

#[test]
fn success_meta_carries_request_id_scopes_and_warnings() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_response(
        http::Response::builder()
            .status(200)
            .header("x-slack-req-id", "req-1")
            .header("x-oauth-scopes", "admin.users:write,users:read")
            .header("x-accepted-oauth-scopes", "admin.users:write")
            .body(
                br#"{"ok":true,"warning":"superfluous_charset,method_deprecated","response_metadata":{"warnings":["superfluous_charset","other"]}}"#
                    .to_vec(),
            )
            .unwrap(),
    );
    let answer = client.send_with_meta(&ResetRequest::new("W1")).unwrap();
    let meta = answer.meta;
    assert_eq!(meta.request_id(), Some("req-1"));
    assert_eq!(meta.oauth_scopes(), Some("admin.users:write,users:read"));
    assert_eq!(meta.accepted_oauth_scopes(), Some("admin.users:write"));
    assert_eq!(
        meta.warnings(),
        ["superfluous_charset", "method_deprecated", "other"]
    );
    assert_eq!(meta.status(), 200);
    assert_eq!(meta.attempts(), 1);
}

#[test]
fn api_error_with_scopes_and_request_id() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_response(
        http::Response::builder()
            .status(200)
            .header("x-slack-req-id", "req-9")
            .body(br#"{"ok":false,"error":"missing_scope","needed":"admin.users:write","provided":"identify,users:read","warning":"w1"}"#.to_vec())
            .unwrap(),
    );
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("missing_scope"), "{text}");
    assert!(text.contains("admin.users:write"), "{text}");
    assert!(text.contains("identify,users:read"), "{text}");
    assert!(text.contains("req-9"), "{text}");
    assert_eq!(err.request_id(), Some("req-9"));
    let Error::Api(api) = err else { panic!() };
    assert_eq!(api.code(), &ErrorCode::MissingScope);
    assert_eq!(api.needed(), Some("admin.users:write"));
    assert_eq!(api.provided(), Some("identify,users:read"));
    assert_eq!(api.warnings(), ["w1"]);
    assert_eq!(api.method(), "admin.users.session.reset");
}

#[test]
fn every_documented_code_decodes_to_its_variant() {
    for (wire, code) in [
        ("user_not_found", ErrorCode::UserNotFound),
        ("cannot_reset_bot", ErrorCode::CannotResetBot),
        ("not_an_admin", ErrorCode::NotAnAdmin),
        ("session_not_found", ErrorCode::SessionNotFound),
        (
            "session_invalidation_failed",
            ErrorCode::SessionInvalidationFailed,
        ),
        (
            "cannot_invalidate_primary_owner",
            ErrorCode::CannotInvalidatePrimaryOwner,
        ),
        ("admin_unauthorized", ErrorCode::AdminUnauthorized),
        ("brand_new_code", ErrorCode::Other("brand_new_code".into())),
    ] {
        let (fake, client) = fake_client(TOKEN);
        fake.push_json(200, &format!(r#"{{"ok":false,"error":"{wire}"}}"#));
        let err = client.send(&InvalidateRequest::new("W1", 3)).unwrap_err();
        assert_eq!(err.code(), Some(&code), "{wire}");
        assert_eq!(err.code().unwrap().as_str(), wire);
        assert!(err.to_string().contains(wire));
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    let mut b = http::Response::builder().status(status);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

#[test]
fn ratelimited_code_is_a_rate_limit_whatever_the_status() {
    let r = response(
        200,
        &[("retry-after", "4")],
        r#"{"ok":false,"error":"ratelimited"}"#,
    );
    match decode_response::<ResetRequest>(&r) {
        Err(Error::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(4)))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn rate_limited_reads_retry_after() {
    let cases = [
        (vec![("retry-after", "30")], Some(Duration::from_secs(30))),
        (vec![("retry-after", " 2 ")], Some(Duration::from_secs(2))),
        (
            vec![("retry-after", "1.5")],
            Some(Duration::from_millis(1500)),
        ),
        (vec![("retry-after", "soon")], None),
        (vec![("retry-after", "-3")], None),
        (vec![], None),
    ];
    for (headers, expected) in cases {
        let r = response(429, &headers, r#"{"ok":false,"error":"ratelimited"}"#);
        match decode_response::<ResetRequest>(&r) {
            Err(Error::RateLimited {
                retry_after,
                method,
                ..
            }) => {
                assert_eq!(retry_after, expected, "{headers:?}");
                assert_eq!(method, "admin.users.session.reset");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn http_errors_keep_status_location_and_snippet() {
    let html = "<html><body>502 Bad Gateway</body></html>";
    match decode_response::<ResetRequest>(&response(502, &[("content-type", "text/html")], html)) {
        Err(e @ Error::Http { .. }) => {
            assert!(e.to_string().contains("502"), "{e}");
            assert!(e.to_string().contains("Bad Gateway"), "{e}");
            let Error::Http {
                status,
                body_snippet,
                location,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(status, 502);
            assert_eq!(body_snippet, html);
            assert_eq!(location, None);
        }
        other => panic!("{other:?}"),
    }
    match decode_response::<ResetRequest>(&response(
        302,
        &[("location", "https://evil.example/x")],
        "",
    )) {
        Err(e @ Error::Http { .. }) => {
            assert!(e.to_string().contains("https://evil.example/x"), "{e}");
            assert!(e.to_string().contains("not followed"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // A 5xx with Slack's JSON error is an API error, with the status kept.
    match decode_response::<ResetRequest>(&response(
        500,
        &[],
        r#"{"ok":false,"error":"internal_error"}"#,
    )) {
        Err(Error::Api(e)) => {
            assert_eq!(e.code(), &ErrorCode::InternalError);
            assert_eq!(e.meta().status(), 500);
        }
        other => panic!("{other:?}"),
    }
    // A long body is cut, and the cut is marked.
    let long = "x".repeat(10_000);
    let Err(Error::Http { body_snippet, .. }) =
        decode_response::<ResetRequest>(&response(503, &[], &long))
    else {
        panic!()
    };
    assert!(body_snippet.len() <= 260 && body_snippet.ends_with('…'));
}

#[test]
fn decode_errors_say_what_was_wrong() {
    for (body, reason) in [
        ("", "empty"),
        ("{\"ok\":tr", "not valid JSON"),
        ("<html>hi</html>", "not valid JSON"),
        ("[1,2]", "not a Slack JSON object"),
        ("\"ok\"", "not a Slack JSON object"),
        ("{\"error\":\"x\"}", "no \"ok\" field"),
    ] {
        match decode_response::<ResetRequest>(&response(200, &[("x-slack-req-id", "r1")], body)) {
            Err(e @ Error::Decode { .. }) => {
                let text = e.to_string();
                assert!(text.contains(reason), "{body:?}: {text}");
                assert!(text.contains("ResetResponse"), "{text}");
                assert_eq!(e.request_id(), Some("r1"));
            }
            other => panic!("{body:?}: {other:?}"),
        }
    }
}

#[test]
fn fake_without_script_is_an_error_naming_the_request() {
    let (fake, client) = fake_client(TOKEN);
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    let Error::Transport(t) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(t.kind(), TransportErrorKind::NoResponse);
    assert!(
        err.to_string().contains("admin.users.session.reset"),
        "{err}"
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn transport_errors_keep_their_source() {
    let (fake, client) = fake_client(TOKEN);
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused by peer");
    fake.push_error(
        TransportError::new(TransportErrorKind::Connect, "connection refused").with_source(io),
    );
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    // The client names the method; the transport's message follows.
    assert_eq!(
        err.to_string(),
        "admin.users.session.reset: connection refused"
    );
    let Error::Transport(t) = &err else { panic!() };
    assert_eq!(t.method(), Some("admin.users.session.reset"));
    assert_eq!(t.message(), "connection refused");
    let source = std::error::Error::source(&err).expect("source kept");
    assert_eq!(source.to_string(), "refused by peer");
}

/// A method this crate does not ship: `Client::send` works for it unchanged.
#[derive(Serialize)]
struct UsersInfo<'a> {
    user: &'a str,
}

#[derive(Deserialize, Debug)]
struct UsersInfoResponse {
    user: UserInfo,
}

#[derive(Deserialize, Debug)]
struct UserInfo {
    id: String,
    is_admin: bool,
}

impl SlackMethod for UsersInfo<'_> {
    const NAME: &'static str = "users.info";
    type Response = UsersInfoResponse;
}

#[test]
fn user_defined_methods_work() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_json(
        200,
        r#"{"ok":true,"user":{"id":"W9","is_admin":true,"name":"x"}}"#,
    );
    let info = client.send(&UsersInfo { user: "W9" }).unwrap();
    assert_eq!(info.user.id, "W9");
    assert!(info.user.is_admin);
    assert_wire(
        &fake.requests()[0],
        "https://slack.com/api/users.info",
        "user=W9",
    );

    fake.push_json(200, r#"{"ok":true,"user":{"id":7}}"#);
    let err = client.send(&UsersInfo { user: "W9" }).unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("UsersInfoResponse"), "{err}");
}

#[test]
fn transports_compose() {
    let fake = FakeTransport::new();
    fake.push_json(200, r#"{"ok":true}"#)
        .push_json(200, r#"{"ok":true}"#)
        .push_json(200, r#"{"ok":true}"#);
    let boxed: Box<dyn Transport + Send + Sync> = Box::new(fake.clone());
    Client::with_transport(TOKEN, boxed)
        .send(&ResetRequest::new("W1"))
        .unwrap();
    Client::with_transport(TOKEN, Arc::new(fake.clone()))
        .send(&ResetRequest::new("W1"))
        .unwrap();
    Client::with_transport(TOKEN, &fake)
        .send(&ResetRequest::new("W1"))
        .unwrap();
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn client_and_errors_are_send_sync() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Client<FakeTransport>>();
    assert_send_sync::<Client<Box<dyn Transport + Send + Sync>>>();
    #[cfg(feature = "ureq")]
    assert_send_sync::<Client<slack_sessions::UreqTransport>>();
    assert_send_sync::<Error>();
    assert_send_sync::<TransportError>();
    assert_send_sync::<FakeTransport>();
}

/// A server that echoes whatever it was sent, token included, into its answer.
struct Echo;

impl Transport for Echo {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let auth = request
            .headers()
            .get("authorization")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        Ok(http::Response::builder()
            .status(400)
            .body(format!("<html>bad request, you sent {auth}</html>").into_bytes())
            .unwrap())
    }
}

#[test]
fn token_never_appears_in_debug_or_display() {
    let token = Token::from(TOKEN);
    let mut outputs = vec![format!("{token:?}"), format!("{token}")];

    let (fake, client) = fake_client(TOKEN);
    outputs.push(format!("{client:?}"));
    outputs.push(format!("{client:#?}"));
    for body in [
        r#"{"ok":false,"error":"invalid_auth"}"#,
        r#"{"ok":false,"error":"missing_scope","needed":"a","provided":"b"}"#,
        "<html>",
        "",
    ] {
        fake.push_json(200, body);
    }
    fake.push_json(429, "{}");
    for _ in 0..6 {
        let err = client.send(&ResetRequest::new("W1")).unwrap_err();
        outputs.push(format!("{err:?}"));
        outputs.push(chain(&err));
    }
    // A misbehaving server that echoes the Authorization header back.
    let echo = Client::with_transport(TOKEN, Echo);
    let err = echo.send(&ResetRequest::new("W1")).unwrap_err();
    outputs.push(format!("{err:?}"));
    outputs.push(chain(&err));
    assert!(chain(&err).contains("[redacted]"));
    // The requests themselves, as a user might log them.
    for r in fake.requests() {
        outputs.push(format!("{r:?}"));
        outputs.push(format!("{:?}", r.headers()));
    }
    // A bad token's error.
    let bad = Client::with_transport(format!("{TOKEN}\n"), FakeTransport::new());
    outputs.push(format!("{bad:?}"));
    outputs.push(chain(&bad.send(&ResetRequest::new("W1")).unwrap_err()));

    for out in &outputs {
        assert!(!out.contains("SECRET"), "token leaked in: {out}");
    }
}

#[test]
fn slacks_messages_are_kept_and_shown_bounded() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_json(
        200,
        r#"{"ok":false,"error":"invalid_arguments","response_metadata":{"messages":["[ERROR] missing required field: user_id"]}}"#,
    );
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.messages(), ["[ERROR] missing required field: user_id"]);
    assert_eq!(
        err.to_string(),
        "admin.users.session.reset failed: invalid_arguments: [ERROR] missing required field: user_id"
    );

    // Many long messages: all kept (up to the bound), three shown, each cut at 200 chars.
    let long = "m".repeat(500);
    let many: Vec<String> = (0..10).map(|i| format!("{i}{long}")).collect();
    let body = serde_json::json!({"ok": false, "error": "failed_for_some_users",
        "response_metadata": {"messages": many}});
    fake.push_json(200, &body.to_string());
    let err = client
        .send(&slack_sessions::ResetBulkRequest::new(["W1"]))
        .unwrap_err();
    let Error::Api(api) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(api.messages().len(), 10);
    assert_eq!(api.messages()[9], many[9]);
    let text = err.to_string();
    assert!(text.len() < 800, "{}", text.len());
    assert!(text.contains("(+7 more)"), "{text}");
    assert!(text.contains("…"), "{text}");

    // On a success, the messages are on the meta.
    fake.push_json(
        200,
        r#"{"ok":true,"response_metadata":{"warnings":["superfluous_charset"],"messages":["[WARN] superfluous charset"]}}"#,
    );
    let answer = client.send_with_meta(&ResetRequest::new("W1")).unwrap();
    assert_eq!(answer.meta.messages(), ["[WARN] superfluous charset"]);
    assert_eq!(answer.meta.warnings(), ["superfluous_charset"]);
}

#[test]
fn a_ratelimited_code_under_200_says_what_came() {
    let (fake, client) = fake_client(TOKEN);
    fake.push_json(200, r#"{"ok":false,"error":"ratelimited"}"#);
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    let text = err.to_string();
    assert!(!text.contains("429"), "{text}");
    assert!(
        text.contains("\"error\": \"ratelimited\" with HTTP 200"),
        "{text}"
    );
    fake.push_response(
        http::Response::builder()
            .status(429)
            .header("retry-after", "7")
            .body(b"{}".to_vec())
            .unwrap(),
    );
    let text = client
        .send(&ResetRequest::new("W1"))
        .unwrap_err()
        .to_string();
    assert!(text.contains("(HTTP 429); Retry-After 7s"), "{text}");
}

#[test]
fn optional_envelope_fields_of_odd_shapes_never_hide_ok_or_error() {
    let (fake, client) = fake_client(TOKEN);
    for body in [
        r#"{"ok":true,"response_metadata":{"warnings":null}}"#,
        r#"{"ok":true,"warning":["superfluous_charset"],"response_metadata":{"warnings":7}}"#,
        r#"{"ok":true,"response_metadata":[]}"#,
        r#"{"ok":true,"response_metadata":{"messages":{"a":1}},"needed":{"x":[1]}}"#,
        r#"{"ok":true,"warning":null,"needed":null,"provided":5,"error":null}"#,
    ] {
        fake.push_json(200, body);
        let answer = client.send_with_meta(&ResetRequest::new("W1"));
        assert!(answer.is_ok(), "{body}: {answer:?}");
    }
    fake.push_json(200, r#"{"ok":true,"warning":["superfluous_charset","x"]}"#);
    let answer = client.send_with_meta(&ResetRequest::new("W1")).unwrap();
    assert_eq!(answer.meta.warnings(), ["superfluous_charset", "x"]);

    for body in [
        r#"{"ok":false,"error":"missing_scope","needed":["a"],"provided":{"b":1}}"#,
        r#"{"ok":false,"error":"missing_scope","response_metadata":{"warnings":null},"warning":7}"#,
    ] {
        fake.push_json(200, body);
        let err = client.send(&ResetRequest::new("W1")).unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::MissingScope),
            "{body}: {err:?}"
        );
    }
    fake.push_json(
        200,
        r#"{"ok":false,"error":"missing_scope","needed":["a","b"]}"#,
    );
    let Error::Api(api) = client.send(&ResetRequest::new("W1")).unwrap_err() else {
        panic!()
    };
    assert_eq!(api.needed(), Some("a,b"));
}

#[test]
fn a_megabyte_of_warnings_costs_linear_time_and_keeps_32() {
    // Distinct warnings: a quadratic de-duplication spends seconds here (15 s of CPU in
    // release was measured before); linear time is milliseconds. The bound is generous.
    let warnings: Vec<String> = (0..60_000).map(|i| format!("warning_{i:06}")).collect();
    let body =
        serde_json::json!({"ok": true, "response_metadata": {"warnings": warnings}}).to_string();
    assert!(body.len() > 900_000);
    let response = http::Response::builder()
        .status(200)
        .body(body.into_bytes())
        .unwrap();
    let started = std::time::Instant::now();
    let answer = decode_response::<ResetRequest>(&response).unwrap();
    let took = started.elapsed();
    assert_eq!(answer.meta.warnings().len(), 32);
    assert_eq!(answer.meta.warnings()[31], "warning_000031");
    assert!(took < std::time::Duration::from_secs(3), "{took:?}");
    // Duplicates are kept once, in order, within the same bound.
    let repeated = serde_json::json!({"ok": true, "warning": "a,b,a",
        "response_metadata": {"warnings": vec!["b"; 10_000]}})
    .to_string();
    let response = http::Response::builder()
        .status(200)
        .body(repeated.into_bytes())
        .unwrap();
    let answer = decode_response::<ResetRequest>(&response).unwrap();
    assert_eq!(answer.meta.warnings(), ["a", "b"]);
}
