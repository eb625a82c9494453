//! The token stays secret against a hostile answer: whatever a server, a proxy or a
//! middlebox sends back (the token whole, split in two at any position, escaped as JSON
//! or percent-encoding, in the error code, in `needed`/`provided`, in warnings and
//! messages, in a cursor, in a mistyped field, in `Location` or `x-slack-req-id`), no
//! output of any kind holds 8 consecutive characters of it: `Display`, `Debug`, the
//! source chain, `ResponseMeta`, pages, and every log record of the crate at every level.

mod support;

use proptest::prelude::*;
use slack_sessions::{Client, FakeTransport, ListRequest, ResetRequest, RetryPolicy};
use support::logs;

const TOKEN: &str = "xoxp-LEAKCANARY-1234";

/// Every run of 8 characters of the token.
fn leaks(text: &str) -> Option<&'static str> {
    (0..=TOKEN.len() - 8)
        .map(|i| &TOKEN[i..i + 8])
        .find(|w| text.contains(w))
}

/// How a piece of the token is written into the answer.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    Plain,
    /// Every character JSON-escaped as `\u00XX`.
    JsonEscaped,
    /// Only the `-` escaped, as some encoders do.
    DashEscaped,
    Percent,
}

fn spell(piece: &str, how: Spelling, in_json: bool) -> String {
    match how {
        Spelling::JsonEscaped if in_json => piece
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
        Spelling::DashEscaped if in_json => piece.replace('-', "\\u002d"),
        Spelling::Percent => piece.bytes().map(|b| format!("%{b:02X}")).collect(),
        _ => piece.to_owned(),
    }
}

/// Where in the answer the pieces go.
#[derive(Debug, Clone, Copy)]
enum Spot {
    ErrorCode,
    Needed,
    Provided,
    Warning,
    MetadataWarning,
    Message,
    Cursor,
    MistypedOk,
    MistypedField,
    NotJson,
    RequestIdHeader,
    LocationHeader,
    ScopesHeader,
    RetryAfterHeader,
}

fn spot() -> impl Strategy<Value = Spot> {
    use Spot::*;
    prop_oneof![
        Just(ErrorCode),
        Just(Needed),
        Just(Provided),
        Just(Warning),
        Just(MetadataWarning),
        Just(Message),
        Just(Cursor),
        Just(MistypedOk),
        Just(MistypedField),
        Just(NotJson),
        Just(RequestIdHeader),
        Just(LocationHeader),
        Just(ScopesHeader),
        Just(RetryAfterHeader),
    ]
}

fn spelling() -> impl Strategy<Value = Spelling> {
    prop_oneof![
        Just(Spelling::Plain),
        Just(Spelling::JsonEscaped),
        Just(Spelling::DashEscaped),
        Just(Spelling::Percent)
    ]
}

/// An answer with `pieces` planted at their spots, under `status`.
fn answer(
    status: u16,
    pieces: &[(String, Spot, Spelling)],
    padding: usize,
) -> http::Response<Vec<u8>> {
    let mut fields = vec![];
    let mut ok = "false".to_owned();
    let mut error = "\"invalid_arguments\"".to_owned();
    let mut warnings = vec![];
    let mut messages = vec![];
    let mut cursor = None;
    let mut raw = None;
    let mut headers = vec![];
    for (piece, spot, how) in pieces {
        let json = |p: &str| format!("\"{}\"", spell(p, *how, true));
        match spot {
            Spot::ErrorCode => error = json(piece),
            Spot::Needed => fields.push(format!("\"needed\":{}", json(piece))),
            Spot::Provided => fields.push(format!("\"provided\":[{}]", json(piece))),
            Spot::Warning => fields.push(format!("\"warning\":{}", json(piece))),
            Spot::MetadataWarning => warnings.push(json(piece)),
            Spot::Message => {
                messages.push(json(&format!("[ERROR] {}{piece}", "x".repeat(padding))))
            }
            Spot::Cursor => {
                ok = "true".to_owned();
                cursor = Some(json(piece));
            }
            Spot::MistypedOk => ok = json(piece),
            Spot::MistypedField => {
                ok = "true".to_owned();
                fields.push(format!("\"active_sessions\":{}", json(piece)));
            }
            Spot::NotJson => {
                raw = Some(format!(
                    "<html>{}{}</html>",
                    "y".repeat(padding),
                    spell(piece, *how, false)
                ))
            }
            Spot::RequestIdHeader => headers.push(("x-slack-req-id", spell(piece, *how, false))),
            Spot::LocationHeader => headers.push((
                "location",
                format!("https://evil.example/?t={}", spell(piece, *how, false)),
            )),
            Spot::ScopesHeader => headers.push(("x-oauth-scopes", spell(piece, *how, false))),
            Spot::RetryAfterHeader => headers.push(("retry-after", spell(piece, *how, false))),
        }
    }
    let body = raw.unwrap_or_else(|| {
        let mut meta = vec![
            format!("\"warnings\":[{}]", warnings.join(",")),
            format!("\"messages\":[{}]", messages.join(",")),
        ];
        if let Some(c) = cursor {
            meta.push(format!("\"next_cursor\":{c}"));
        }
        fields.push(format!("\"response_metadata\":{{{}}}", meta.join(",")));
        format!("{{\"ok\":{ok},\"error\":{error},{}}}", fields.join(","))
    });
    let mut b = http::Response::builder().status(status);
    for (name, value) in headers {
        b = b.header(name, value);
    }
    b.body(body.into_bytes()).unwrap()
}

/// Every output an answer can reach, as text.
fn outputs(response: http::Response<Vec<u8>>) -> Vec<String> {
    let fake = FakeTransport::new();
    let client = Client::builder(TOKEN)
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let mut out = vec![format!("{client:?}")];
    let mut record = |r: Result<String, slack_sessions::Error>| match r {
        Ok(text) => out.push(text),
        Err(e) => {
            out.push(e.to_string());
            out.push(format!("{e:?}"));
            out.push(support::chain(&e));
            out.push(format!("{:?}", e.meta()));
        }
    };
    fake.push_response(response.clone());
    record(
        client
            .send_with_meta(&ResetRequest::new("W1"))
            .map(|a| format!("{a:?}")),
    );
    // A list walk, twice the same answer: a cursor that repeats is an error built from it.
    fake.push_response(response.clone()).push_response(response);
    for page in client.pages(&ListRequest::new()) {
        record(page.map(|p| format!("{p:?}")));
    }
    out.extend(logs::take_mine().into_iter().map(|(_, m)| m));
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn no_output_holds_8_characters_of_the_token(
        status in prop_oneof![Just(200u16), Just(400), Just(429), Just(500), Just(302)],
        cut in 0..=TOKEN.len(),
        first in (spot(), spelling()),
        second in (spot(), spelling()),
        whole in proptest::option::of((spot(), spelling())),
        padding in prop_oneof![Just(0usize), 200..260usize],
    ) {
        logs::install();
        let mut pieces = vec![];
        if cut > 0 {
            pieces.push((TOKEN[..cut].to_owned(), first.0, first.1));
        }
        if cut < TOKEN.len() {
            pieces.push((TOKEN[cut..].to_owned(), second.0, second.1));
        }
        if let Some((spot, how)) = whole {
            pieces.push((TOKEN.to_owned(), spot, how));
        }
        let response = answer(status, &pieces, padding);
        for text in outputs(response) {
            prop_assert!(leaks(&text).is_none(), "{:?} leaked in {text}", leaks(&text));
        }
    }
}

#[test]
fn the_canary_is_caught_by_the_check_itself() {
    // Guards the guard: the leak check sees a planted canary and a piece of it.
    assert!(leaks("x xoxp-LEAKCANARY-1234 y").is_some());
    assert!(leaks("ARY-1234").is_some());
    assert!(leaks("xoxp-LE").is_none());
}

#[test]
fn proxy_credentials_never_show_in_debug() {
    let builder = Client::builder(TOKEN).proxy("http://alice:PROXYSECRET@127.0.0.1:3128");
    let shown = format!("{builder:?}");
    assert!(!shown.contains("PROXYSECRET"), "{shown}");
    assert!(!shown.contains("alice"), "{shown}");
    assert!(
        shown.contains("http://[redacted]@127.0.0.1:3128"),
        "{shown}"
    );
    let client = builder.build().unwrap();
    assert!(!format!("{client:?}").contains("PROXYSECRET"));
}

#[test]
fn log_records_never_carry_a_body() {
    logs::install();
    let fake = FakeTransport::new();
    let client = Client::builder(TOKEN)
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    fake.push_response(
        http::Response::builder()
            .status(502)
            .body(b"<html>BODYMARK gateway</html>".to_vec())
            .unwrap(),
    );
    fake.push_json(200, r#"{"ok":"BODYMARK"}"#);
    for _ in 0..2 {
        let err = client.send(&ResetRequest::new("W1")).unwrap_err();
        // The error keeps its evidence for the caller...
        assert!(err.to_string().contains("BODYMARK"), "{err}");
    }
    // ...but no log record of ours repeats it.
    let records = logs::take_mine();
    assert!(records.len() >= 2, "{records:?}");
    for (_, r) in records {
        assert!(!r.contains("BODYMARK"), "{r}");
    }
}

#[test]
fn absurd_time_bounds_are_refused_not_panicked_on() {
    use std::time::Duration;
    for builder in [
        Client::builder(TOKEN).timeout(Duration::MAX),
        Client::builder(TOKEN).timeout(Duration::from_secs(u64::MAX / 2)),
        Client::builder(TOKEN).ureq_settings(
            slack_sessions::UreqTransport::builder().connect_timeout(Some(Duration::MAX)),
        ),
        Client::builder(TOKEN).ureq_settings(
            slack_sessions::UreqTransport::builder().body_timeout(Some(Duration::ZERO)),
        ),
    ] {
        match builder.build() {
            Err(slack_sessions::Error::Config(e)) => {
                assert!(e.message().contains("timeout"), "{e}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(Client::builder(TOKEN)
        .timeout(Duration::from_secs(24 * 3600))
        .build()
        .is_ok());
}
