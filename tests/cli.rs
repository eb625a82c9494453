//! The `slack-sessions` binary: dry runs, exit codes, error output, retries, against the
//! loopback Slack server.

mod support;

use std::process::{Command, Output};
use std::time::Duration;

use support::slack::{FakeSlack, TOKEN};
use support::Reply;

fn cli(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.args(args)
        .env_remove("SLACK_TOKEN")
        .env_remove("SLACK_API_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn run(slack: &FakeSlack, args: &[&str]) -> (i32, String, String) {
    let url = slack.api_url();
    let out = cli(args, &[("SLACK_TOKEN", TOKEN), ("SLACK_API_URL", &url)]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    // No 8 consecutive characters of the token, anywhere.
    for w in TOKEN.as_bytes().windows(8) {
        let w = std::str::from_utf8(w).unwrap();
        assert!(
            !stdout.contains(w) && !stderr.contains(w),
            "{w:?} leaked: {stdout}{stderr}"
        );
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), stdout, stderr)
}

#[test]
fn dry_run_needs_no_token_and_sends_nothing() {
    let slack = FakeSlack::start(1);
    let out = cli(
        &[
            "--dry-run",
            "--api-url",
            &slack.api_url(),
            "reset",
            "W123",
            "--mobile-only",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let url = format!("POST {}admin.users.session.reset HTTP/1.1", slack.api_url());
    assert!(stdout.starts_with(&url), "{stdout}");
    assert!(
        stdout.contains("authorization: Bearer [redacted]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("content-type: application/x-www-form-urlencoded\n"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\nuser_id=W123&mobile_only=true\n"),
        "{stdout}"
    );
    assert!(text(&out.stderr).contains("nothing was sent"));
    assert!(slack.server.received().is_empty());

    // With a token, it is still redacted.
    let out = cli(
        &[
            "--dry-run",
            "invalidate",
            "--session",
            "1112275520242",
            "--user",
            "W1",
            "--team",
            "T1",
        ],
        &[("SLACK_TOKEN", TOKEN)],
    );
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("SECRET"), "{stdout}");
    assert!(
        stdout.starts_with("POST https://slack.com/api/admin.users.session.invalidate"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with("\nuser_id=W1&session_id=1112275520242&team_id=T1\n"),
        "{stdout}"
    );
}

#[test]
fn reset_and_invalidate_succeed() {
    let slack = FakeSlack::start(2);
    let (code, stdout, _) = run(&slack, &["reset", "W1"]);
    assert_eq!(code, 0);
    assert!(
        stdout.starts_with("ok: reset sessions on every device of W1 [request id req-"),
        "{stdout}"
    );
    assert_eq!(slack.resets("W1"), 1);
    let (code, stdout, _) = run(&slack, &["invalidate", "--session", "201", "--user", "W2"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("invalidated session 201"));
    let got = slack.server.received();
    assert_eq!(got[1].body_str(), "user_id=W2&session_id=201");
}

#[test]
fn slack_errors_exit_1_with_code_and_request_id() {
    let slack = FakeSlack::start(1);
    let (code, stdout, stderr) = run(&slack, &["reset", "W404"]);
    assert_eq!(code, 1);
    assert!(stdout.is_empty());
    assert!(stderr.contains("user_not_found"), "{stderr}");
    assert!(stderr.contains("request id req-"), "{stderr}");

    slack.misbehave(Reply::json(200, r#"{"ok":false,"error":"missing_scope","needed":"admin.users:write","provided":"users:read"}"#));
    let (code, _, stderr) = run(&slack, &["reset", "W1"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("missing_scope (needed: admin.users:write; provided: users:read)"),
        "{stderr}"
    );
}

#[test]
fn bad_input_and_usage_exit_2_before_any_request() {
    let slack = FakeSlack::start(1);
    for args in [
        &["reset", "W 1"][..],
        &["reset", ""],
        &["invalidate", "--session", "0", "--user", "W1"],
        &["invalidate", "--session", "5"],
        &["invalidate", "--session", "x", "--user", "W1"],
        &["invalidate", "--session", "5", "--team", "T1"],
        &["list", "--user", "W1"],
        &["list", "--team", "T1"],
        &["list", "--limit", "0"],
        &["list", "--limit", "1001"],
        &["reset", "W1", "--mobile-only", "--web-only"],
        &["reset"],
        &["frobnicate"],
        &["--timeout", "-1", "reset", "W1"],
        &["--api-url", "http://slack.example/api/", "reset", "W1"],
        &["--token", "xoxp-a b", "reset", "W1"],
    ] {
        let (code, _, stderr) = run(&slack, args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert!(!stderr.is_empty());
    }
    assert!(slack.server.received().is_empty());
    let out = cli(&["reset", "W1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("SLACK_TOKEN"));
}

#[test]
fn invalidate_needs_the_user_and_sends_the_team_beside_it() {
    let slack = FakeSlack::start(2);
    let (code, _, stderr) = run(&slack, &["invalidate", "--team", "T1", "--session", "5"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--user"), "{stderr}");
    assert!(slack.server.received().is_empty());

    let (code, stdout, stderr) = run(
        &slack,
        &[
            "invalidate",
            "--user",
            "W2",
            "--team",
            "T1",
            "--session",
            "201",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("invalidated session 201"), "{stdout}");
    assert_eq!(
        slack.server.received()[0].body_str(),
        "user_id=W2&session_id=201&team_id=T1"
    );
}

#[test]
fn list_of_a_user_without_sessions_says_so_and_exits_0() {
    let slack = FakeSlack::start(2);
    slack.with(|s| s.users.get_mut("W1").unwrap().sessions.clear());
    let (code, stdout, stderr) = run(&slack, &["list", "--user", "W1", "--team", "T1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("no active sessions"), "{stderr}");
    assert!(!stdout.contains("W1 "), "{stdout}");
    assert_eq!(
        slack.server.received()[0].body_str(),
        "team_id=T1&user_id=W1"
    );
}

#[test]
fn slack_messages_are_shown_with_the_error() {
    let slack = FakeSlack::start(1);
    slack.misbehave(Reply::json(
        200,
        r#"{"ok":false,"error":"invalid_arguments","response_metadata":{"messages":["[ERROR] missing required field: user_id"]}}"#,
    ));
    let (code, _, stderr) = run(&slack, &["reset", "W1"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("invalid_arguments: [ERROR] missing required field: user_id"),
        "{stderr}"
    );
}

#[test]
fn help_names_the_scope_of_each_command() {
    use slack_sessions::{
        ClearSettingsRequest, GetSettingsRequest, InvalidateRequest, ListRequest, ResetRequest,
        SetSettingsRequest, SlackMethod,
    };
    fn check<R: SlackMethod>(args: &[&str]) {
        let out = cli(args, &[]);
        let help = text(&out.stdout);
        for scope in R::SCOPES {
            assert!(
                help.contains(scope),
                "{args:?} --help lacks {scope}: {help}"
            );
        }
        assert!(help.contains(R::NAME), "{args:?}: {help}");
        let tier = format!("Tier {}", R::TIER.unwrap());
        assert!(help.contains(&tier), "{args:?} lacks {tier}: {help}");
    }
    check::<ResetRequest>(&["reset", "--help"]);
    check::<ResetRequest>(&["reset-many", "--help"]);
    check::<slack_sessions::ResetBulkRequest>(&["reset-many", "--help"]);
    check::<ListRequest>(&["reset-many", "--help"]);
    // An email address in place of an id needs its own scope, and the help says so.
    let scope = slack_sessions::LookupByEmailRequest::SCOPES[0];
    for args in [
        &["reset", "--help"][..],
        &["invalidate", "--help"],
        &["--help"],
    ] {
        assert!(text(&cli(args, &[]).stdout).contains(scope), "{args:?}");
    }
    check::<InvalidateRequest>(&["invalidate", "--help"]);
    check::<ListRequest>(&["list", "--help"]);
    check::<GetSettingsRequest>(&["settings", "get", "--help"]);
    check::<SetSettingsRequest>(&["settings", "set", "--help"]);
    check::<ClearSettingsRequest>(&["settings", "clear", "--help"]);
}

/// A hostile or broken server that echoes the token back, in every place an answer has:
/// the CLI's stdout (results and reports) and stderr stay clean (`run` checks both for any
/// 8 characters of the token).
#[test]
fn a_hostile_answer_never_gets_the_token_printed() {
    let escaped = TOKEN.replace('-', "\\u002d");
    let cut = &TOKEN[..TOKEN.len() - 2];
    let hostile = || {
        vec![
            Reply::json(200, &format!(r#"{{"ok":false,"error":"{TOKEN}"}}"#)),
            Reply::json(
                200,
                &format!(
                    r#"{{"ok":false,"error":"missing_scope","needed":"{TOKEN}","provided":"{escaped}"}}"#
                ),
            ),
            Reply::json(
                200,
                &format!(
                    r#"{{"ok":false,"error":"invalid_arguments","response_metadata":{{"messages":["{TOKEN}"]}}}}"#
                ),
            ),
            Reply::json(200, &format!(r#"{{"ok":"{TOKEN}"}}"#)),
            Reply::json(200, &format!(r#"{{"ok":true,"warning":"{escaped}"}}"#)),
            Reply::json(500, &format!("<html>{}{cut}", "x".repeat(240))),
            Reply::json(302, "")
                .with_header("Location", &format!("https://evil.example/?t={TOKEN}")),
            Reply::json(200, r#"{"ok":false,"error":"user_not_found"}"#)
                .with_header("x-slack-req-id", TOKEN),
        ]
    };
    let slack = FakeSlack::start(3);
    for reply in hostile() {
        slack.misbehave(reply);
        // `run` checks stdout and stderr; the exit code depends on the answer.
        let (code, _, stderr) = run(&slack, &["--retries", "0", "reset", "W1"]);
        assert!(code == 0 || code == 1, "{stderr}");
    }
    // A list whose cursor is the token, repeated: the loop error must not print it.
    for _ in 0..2 {
        slack.misbehave(Reply::json(200, &format!(
            r#"{{"ok":true,"active_sessions":[],"response_metadata":{{"next_cursor":"{TOKEN}"}}}}"#
        )));
    }
    let (code, _, stderr) = run(&slack, &["--retries", "0", "list"]);
    assert_eq!(code, 1, "{stderr}");
    // The reset-many report (stdout) and summary (stderr).
    let dir = std::env::temp_dir().join(format!("slack-sessions-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids = dir.join("ids.txt");
    std::fs::write(&ids, "W1\nW2\nW3\n").unwrap();
    // Three per-user failures (a fatal one would stop the run before the third user).
    for (i, reply) in hostile().into_iter().enumerate() {
        if [0, 2, 7].contains(&i) {
            slack.misbehave(reply);
        }
    }
    let (_, report, stderr) = run(
        &slack,
        &[
            "--retries",
            "0",
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
        ],
    );
    assert_eq!(report.lines().count(), 3, "{report}{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn absurd_timeouts_are_usage_errors_not_panics() {
    let slack = FakeSlack::start(1);
    for t in ["1e19", "86401", "inf", "0"] {
        let (code, _, stderr) = run(&slack, &["--timeout", t, "reset", "W1"]);
        assert_eq!(code, 2, "{t}: {stderr}");
    }
    assert!(slack.server.received().is_empty());
}

#[test]
fn retries_then_exits_1_naming_the_last_error() {
    let slack = FakeSlack::start(1);
    for _ in 0..3 {
        slack.misbehave(
            Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                .with_header("Retry-After", "0"),
        );
    }
    let (code, _, stderr) = run(&slack, &["--retries", "2", "reset", "W1"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(stderr.contains("after 3 attempts"), "{stderr}");
    assert_eq!(slack.server.received().len(), 3);

    // A 429 within the retry budget is ridden out.
    slack.misbehave(Reply::json(429, "{}").with_header("Retry-After", "0"));
    let (code, _, _) = run(&slack, &["reset", "W1"]);
    assert_eq!(code, 0);
    assert_eq!(slack.resets("W1"), 1);
}

#[test]
fn timeout_flag_bounds_the_call() {
    let slack = FakeSlack::start(1);
    slack.misbehave(Reply::Hang(Duration::from_secs(30)));
    let started = std::time::Instant::now();
    let (code, _, stderr) = run(
        &slack,
        &["--timeout", "0.3", "--retries", "0", "reset", "W1"],
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("timed out"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn readme_shows_the_real_dry_run_output() {
    let out = cli(&["--dry-run", "reset", "W12345678", "--web-only"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let stdout = text(&out.stdout);
    assert!(
        readme.contains(&format!("```text\n{stdout}```")),
        "README is out of date; the CLI prints:\n{stdout}"
    );
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("slack-sessions-test-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

#[test]
fn reset_many_reports_one_json_line_per_user() {
    let slack = FakeSlack::start(3);
    let ids = write_temp(
        "ids.txt",
        "# incident 42\nW1\n\nW404   # typo?\nW2\nW1\nB1\nW3\n",
    );
    let (code, stdout, stderr) = run(&slack, &["reset-many", "--yes", ids.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    // The documented field order, for people reading the report.
    let first = stdout.lines().next().unwrap();
    assert!(
        first.starts_with(
            r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"request_id":"req-"#
        ),
        "{first}"
    );
    assert!(first.ends_with(r#","attempts":1}"#), "{first}");
    let lines = json_lines(&stdout);
    let got: Vec<(&str, bool, Option<&str>)> = lines
        .iter()
        .map(|v| {
            (
                v["user_id"].as_str().unwrap(),
                v["ok"].as_bool().unwrap(),
                v["error"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("W1", true, None),
            ("W404", false, Some("user_not_found")),
            ("W2", true, None),
            ("B1", false, Some("cannot_reset_bot")),
            ("W3", true, None),
        ]
    );
    assert!(lines
        .iter()
        .all(|v| v["request_id"].as_str().unwrap().starts_with("req-") && v["attempts"] == 1));
    assert!(stderr.contains("reset 3 of 5"), "{stderr}");
    assert!(stderr.contains("W404 (user_not_found)"), "{stderr}");
    for u in ["W1", "W2", "W3"] {
        assert_eq!(slack.resets(u), 1);
    }

    // Everything fine: exit 0, ids from stdin.
    let slack = FakeSlack::start(2);
    let mut child = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(["reset-many", "--yes", "-", "--web-only"])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"W1\nW2\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json_lines(&text(&out.stdout)).len(), 2);
    assert!(slack
        .server
        .received()
        .iter()
        .all(|r| r.body_str().ends_with("&web_only=true")));
}

#[test]
fn reset_many_refuses_bad_ids_before_any_call() {
    let slack = FakeSlack::start(2);
    let ids = write_temp("bad-ids.txt", "W1\nW 2\nW3\tX\n");
    let (code, stdout, stderr) = run(&slack, &["reset-many", "--yes", ids.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("line 2") && stderr.contains("line 3"),
        "{stderr}"
    );
    assert!(slack.server.received().is_empty());
}

#[test]
fn reset_many_stops_on_auth_failure_and_says_who_is_left() {
    let slack = FakeSlack::start(5);
    slack.misbehave(Reply::json(200, r#"{"ok":true}"#));
    slack.misbehave(Reply::json(200, r#"{"ok":false,"error":"token_revoked"}"#));
    let ids = write_temp("auth.txt", "W1\nW2\nW3\nW4\nW5\n");
    let (code, stdout, stderr) = run(&slack, &["reset-many", "--yes", ids.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(json_lines(&stdout).len(), 2);
    assert!(
        stderr.contains("stopped early") && stderr.contains("token_revoked"),
        "{stderr}"
    );
    assert!(stderr.contains("3 user(s) not attempted"), "{stderr}");
    assert_eq!(slack.server.received().len(), 2);
}

#[test]
fn a_killed_run_resumes_and_resets_every_user_exactly_once() {
    use std::io::{BufRead, BufReader};

    let slack = FakeSlack::start(30);
    // 10 calls per 3 s: the run must wait twice; we kill it during the first wait.
    slack.with(|s| s.rate_limit = Some((10, Duration::from_secs(3))));
    let users: Vec<String> = (1..=30).map(|n| format!("W{n}")).collect();
    let ids = write_temp("resume.txt", &users.join("\n"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(["reset-many", "--yes", ids.to_str().unwrap()])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    for _ in 0..10 {
        reader.read_line(&mut first).unwrap();
    }
    // The 11th call is answered 429 (Slack did nothing) and the CLI is waiting it out.
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(json_lines(&first).len(), 10);
    let done: usize = users.iter().map(|u| slack.resets(u) as usize).sum();
    assert_eq!(done, 10, "only the reported users were reset");

    let report = write_temp("report.jsonl", &first);
    let (code, second, stderr) = run(
        &slack,
        &[
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--skip-done",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped 10 already done"), "{stderr}");
    let mut reported: Vec<String> = json_lines(&first)
        .into_iter()
        .chain(json_lines(&second))
        .map(|v| {
            assert_eq!(v["ok"], true);
            v["user_id"].as_str().unwrap().to_owned()
        })
        .collect();
    reported.sort();
    let mut expected = users.clone();
    expected.sort();
    assert_eq!(reported, expected, "every user reported exactly once");
    for u in &users {
        assert_eq!(slack.resets(u), 1, "{u} reset {} times", slack.resets(u));
    }
}

#[test]
fn list_prints_a_table_or_json_lines() {
    let slack = FakeSlack::start(3);
    let (code, stdout, stderr) = run(&slack, &["list", "--limit", "2"]);
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("USER"), "{stdout}");
    assert_eq!(lines.len(), 1 + 7, "{stdout}");
    assert!(stdout.contains("Macbook Pro Mac OS"), "{stdout}");
    assert!(stderr.contains("7 active session(s)"));
    // 7 sessions, 2 a page: 4 calls.
    assert_eq!(slack.server.received().len(), 4);

    let (code, stdout, _) = run(&slack, &["list", "--user", "W2", "--team", "T1", "--json"]);
    assert_eq!(code, 0);
    let lines = json_lines(&stdout);
    let ids: Vec<u64> = lines
        .iter()
        .map(|v| v["session_id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, [201, 202]);
    assert_eq!(lines[0]["created"]["device_hardware"], "Macbook Pro");
}

#[test]
fn settings_get_set_clear() {
    let slack = FakeSlack::start(2);
    let (code, _, stderr) = run(
        &slack,
        &[
            "settings",
            "set",
            "W1",
            "W2",
            "--duration",
            "86400",
            "--quit-on-close",
            "true",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        slack.server.received()[0].body_str(),
        "user_ids=W1%2CW2&desktop_app_browser_quit=true&duration=86400"
    );
    let (code, stdout, _) = run(&slack, &["settings", "get", "W1"]);
    assert_eq!(code, 0);
    assert_eq!(stdout, "W1\tduration=86400s\tquit_on_close=true\n");
    let (code, _, _) = run(&slack, &["settings", "clear", "W1"]);
    assert_eq!(code, 0);
    let (_, stdout, _) = run(&slack, &["settings", "get", "W1"]);
    assert!(stdout.contains("no settings of their own"), "{stdout}");
    // Refused before sending: no setting, duration out of range.
    let before = slack.server.received().len();
    assert_eq!(run(&slack, &["settings", "set", "W1"]).0, 2);
    assert_eq!(
        run(&slack, &["settings", "set", "W1", "--duration", "60"]).0,
        2
    );
    assert_eq!(slack.server.received().len(), before);
}

// ---- The CLI under stress: never lose the report, never skip a user, never go silent.

fn spawn(slack: &FakeSlack, args: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

fn users(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("W{i}")).collect()
}

#[test]
fn skip_done_respects_the_scope_of_what_was_done() {
    let slack = FakeSlack::start(3);
    let ids = write_temp("scope-ids.txt", "W1\nW2\nW3\n");
    let (code, web_report, stderr) = run(
        &slack,
        &["reset-many", "--yes", ids.to_str().unwrap(), "--web-only"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(json_lines(&web_report).iter().all(|v| v["scope"] == "web"));
    let web = write_temp("scope-web.jsonl", &web_report);

    // A web-only report does not cover a full reset: everyone is reset again.
    let (code, full_report, stderr) = run(
        &slack,
        &[
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--skip-done",
            web.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_lines(&full_report).len(), 3, "{stderr}");
    assert!(!stderr.contains("skipped"), "{stderr}");
    for u in ["W1", "W2", "W3"] {
        assert_eq!(slack.resets(u), 2);
    }
    // A full reset covers web and mobile: nothing left to do.
    let full = write_temp("scope-full.jsonl", &full_report);
    for only in ["--web-only", "--mobile-only"] {
        let (code, out, stderr) = run(
            &slack,
            &[
                "reset-many",
                "--yes",
                ids.to_str().unwrap(),
                only,
                "--skip-done",
                full.to_str().unwrap(),
            ],
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(out.is_empty());
        assert!(stderr.contains("skipped 3 already done"), "{stderr}");
    }
    // A line that does not say its scope and method is not trusted as done.
    let old = write_temp(
        "scope-old.jsonl",
        "{\"user_id\":\"W1\",\"ok\":true,\"error\":null,\"request_id\":\"r\",\"attempts\":1}\n\
         {\"user_id\":\"W2\",\"ok\":true,\"scope\":\"all\",\"method\":\"admin.users.session.reset\",\"request_id\":\"r2\"}\n",
    );
    let (code, out, stderr) = run(
        &slack,
        &[
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--skip-done",
            old.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("do not say what was done"), "{stderr}");
    let redone: Vec<_> = json_lines(&out)
        .iter()
        .map(|v| v["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(redone, ["W1", "W3"]);
}

#[test]
fn a_closed_stdout_stops_the_run_before_the_next_reset() {
    use std::io::{BufRead, BufReader};
    // `reset-many ... | head -2`: the reader goes away after two lines.
    let slack = FakeSlack::start(400);
    let ids = write_temp("head-ids.txt", &users(400).join("\n"));
    let mut child = spawn(&slack, &["reset-many", "--yes", ids.to_str().unwrap()]);
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    for _ in 0..2 {
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains("could not write to stdout"), "{stderr}");
    assert!(stderr.contains("stopped before the next reset"), "{stderr}");
    let reset: u32 = users(400).iter().map(|u| slack.resets(u)).sum();
    assert!(
        reset < 400,
        "the run went on resetting after its report was lost ({reset})"
    );

    // `reset W1 | true` and `> /dev/full`: the reset is done, the output is not: exit 3.
    for sink in ["closed", "full"] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
        cmd.args(["reset", "W2"])
            .env("SLACK_TOKEN", TOKEN)
            .env("SLACK_API_URL", slack.api_url())
            .stderr(std::process::Stdio::piped());
        if sink == "full" {
            cmd.stdout(
                std::fs::OpenOptions::new()
                    .write(true)
                    .open("/dev/full")
                    .unwrap(),
            );
        } else {
            cmd.stdout(std::process::Stdio::piped());
        }
        let mut child = cmd.spawn().unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{sink}: {stderr}");
        assert!(!stderr.contains("panicked"), "{sink}: {stderr}");
        assert!(
            stderr.contains("could not write to stdout"),
            "{sink}: {stderr}"
        );
    }
}

#[test]
fn report_file_appends_resumes_and_refuses_what_is_not_a_report() {
    let slack = FakeSlack::start(30);
    slack.with(|s| s.rate_limit = Some((10, Duration::from_secs(3))));
    let ids = write_temp("report-ids.txt", &users(30).join("\n"));
    let report = ids.with_file_name("report.jsonl");
    let _ = std::fs::remove_file(&report);
    let r = report.to_str().unwrap();
    let mut child = spawn(
        &slack,
        &["reset-many", "--yes", ids.to_str().unwrap(), "--report", r],
    );
    // Nothing on stdout with --report; wait until ten lines are in the file, then kill.
    let started = std::time::Instant::now();
    while std::fs::read_to_string(&report).map_or(0, |t| t.lines().count()) < 10 {
        assert!(started.elapsed() < Duration::from_secs(20));
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.stdout.is_empty());
    // A kill mid-write leaves a torn last line: simulate one.
    let mut text_now = std::fs::read_to_string(&report).unwrap();
    text_now.push_str(r#"{"user_id":"W30","ok":tr"#);
    std::fs::write(&report, &text_now).unwrap();

    let (code, stdout, stderr) = run(
        &slack,
        &["reset-many", "--yes", ids.to_str().unwrap(), "--report", r],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("last line") && stderr.contains("W30"),
        "{stderr}"
    );
    let all = std::fs::read_to_string(&report).unwrap();
    assert!(
        all.contains(r#"{"user_id":"W30","ok":tr"#),
        "the torn line is kept"
    );
    let mut ok: Vec<String> = all
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            assert_eq!(v["ok"], true);
            v["user_id"].as_str().unwrap().to_owned()
        })
        .collect();
    ok.sort();
    let mut want = users(30);
    want.sort();
    assert_eq!(ok, want, "every user in the report exactly once");
    for u in users(30) {
        assert_eq!(slack.resets(&u), 1, "{u}");
    }
    // Run again: everyone is done, nothing is sent.
    let before = slack.server.received().len();
    let (code, _, stderr) = run(
        &slack,
        &["reset-many", "--yes", ids.to_str().unwrap(), "--report", r],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("skipped 30 already done"), "{stderr}");
    assert_eq!(slack.server.received().len(), before);

    // Not a report: refused before anything is sent, and left untouched.
    let notes = write_temp("notes.txt", "call legal\nrotate keys\n");
    let (code, _, stderr) = run(
        &slack,
        &[
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--report",
            notes.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not a slack-sessions report"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "call legal\nrotate keys\n"
    );
    let (code, _, stderr) = run(
        &slack,
        &[
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--skip-done",
            notes.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(slack.server.received().len(), before);
}

#[test]
fn input_files_bom_csv_and_nothing_to_do() {
    let slack = FakeSlack::start(3);
    let bom = write_temp("bom.txt", "\u{feff}W1\nW2\n");
    let (code, out, stderr) = run(&slack, &["reset-many", "--yes", bom.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_lines(&out)[0]["user_id"], "W1");
    assert_eq!(slack.resets("W1"), 1);

    let csv = write_temp("users.csv", "user_id,email\nW3,c@example.com\n");
    let (code, _, stderr) = run(&slack, &["reset-many", "--yes", csv.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("line 1") && stderr.contains("comma"),
        "{stderr}"
    );
    assert!(stderr.contains("line 2"), "{stderr}");
    assert_eq!(slack.resets("W3"), 0);

    for empty in ["", "# nobody yet\n\n   \n"] {
        let f = write_temp("empty.txt", empty);
        let (code, _, stderr) = run(&slack, &["reset-many", "--yes", f.to_str().unwrap()]);
        assert_eq!(code, 2, "{empty:?}: {stderr}");
        assert!(stderr.contains("no user ids"), "{stderr}");
    }
}

#[test]
fn waits_are_said_not_silent() {
    let slack = FakeSlack::start(2);
    slack.misbehave(
        Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#).with_header("Retry-After", "1"),
    );
    let (code, _, stderr) = run(&slack, &["reset", "W1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("admin.users.session.reset rate limited (HTTP 429); waiting 1.")
            && stderr.contains("before attempt 2"),
        "{stderr}"
    );
    // reset-many: the client's own retry, then its run-level wait, both said, naming the user.
    for _ in 0..2 {
        slack.misbehave(
            Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                .with_header("Retry-After", "1"),
        );
    }
    let ids = write_temp("wait-ids.txt", "W2\n");
    let (code, _, stderr) = run(
        &slack,
        &[
            "--retries",
            "1",
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr.matches("rate limited").count(), 2, "{stderr}");
    assert!(stderr.contains("(user W2)"), "{stderr}");
}

#[test]
fn failed_users_are_summarised_with_the_reason() {
    let port = support::refused_port();
    let ids = write_temp("down-ids.txt", "W1\nW2\n");
    let out = cli(
        &[
            "--retries",
            "0",
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
        ],
        &[
            ("SLACK_TOKEN", TOKEN),
            ("SLACK_API_URL", &format!("http://127.0.0.1:{port}/api/")),
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "W1 (admin.users.session.reset: connection refused by 127.0.0.1:{port})"
        )),
        "{stderr}"
    );
}

#[test]
fn reset_many_dry_run_shows_the_first_request_and_every_user() {
    let ids = write_temp("dry-ids.txt", "W7\nW8\nW9\n");
    let out = cli(
        &[
            "--dry-run",
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--mobile-only",
        ],
        &[],
    );
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.starts_with("POST https://slack.com/api/admin.users.session.reset"),
        "{stdout}"
    );
    assert!(
        stdout.ends_with(
            "\nuser_id=W7&mobile_only=true\n\n# the 3 user(s) it would reset, one per line:\nW7\nW8\nW9\n"
        ),
        "{stdout}"
    );
    assert!(
        stderr.contains(
            "would reset mobile sessions of 3 user(s) with one admin.users.session.reset call each"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was written"), "{stderr}");
}

#[test]
fn clap_says_usage_plainly_suggests_and_completes() {
    let out = cli(&["reste", "W1"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("reset"), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).to_lowercase().contains("similar"),
        "{}",
        text(&out.stderr)
    );
    let help = text(&cli(&["reset", "--help"], &[]).stdout);
    assert!(
        help.contains("slack-sessions reset [--mobile-only | --web-only] <USER_ID>"),
        "{help}"
    );
    let help = text(&cli(&["--help"], &[]).stdout);
    assert!(!help.contains("SLACK_API_URL="), "{help}");
    let missing = text(&cli(&["invalidate", "--session", "5"], &[]).stderr);
    assert!(missing.contains("--user"), "{missing}");
    for shell in ["bash", "zsh", "fish"] {
        let out = cli(&["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let script = text(&out.stdout);
        assert!(
            script.contains("reset-many") && script.contains("web-only"),
            "{shell}"
        );
    }
}

#[test]
fn json_everywhere() {
    let slack = FakeSlack::start(2);
    let (code, out, _) = run(&slack, &["--json", "reset", "W1", "--web-only"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["method"], "admin.users.session.reset");
    assert_eq!(v["user_id"], "W1");
    assert_eq!(v["scope"], "web");
    assert!(v["request_id"].as_str().unwrap().starts_with("req-"));

    let (code, out, _) = run(&slack, &["--json", "reset", "W404"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["error"].as_str()),
        (Some(false), Some("user_not_found"))
    );

    let (code, out, _) = run(
        &slack,
        &["--json", "invalidate", "--user", "W2", "--session", "201"],
    );
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        (v["session_id"].as_u64(), v["user_id"].as_str()),
        (Some(201), Some("W2"))
    );

    let (code, _, _) = run(
        &slack,
        &["--json", "settings", "set", "W1", "--duration", "86400"],
    );
    assert_eq!(code, 0);
    let (code, out, _) = run(&slack, &["--json", "settings", "get", "W1", "W2"]);
    assert_eq!(code, 0);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["user_id"].as_str(), lines[0]["duration"].as_u64()),
        (Some("W1"), Some(86400))
    );
    assert_eq!(lines[1]["own_settings"], false);
}

#[test]
fn a_bot_token_is_warned_about_before_the_call() {
    let slack = FakeSlack::start(1);
    let url = slack.api_url();
    let out = cli(
        &["reset", "W1"],
        &[
            ("SLACK_TOKEN", "xoxb-not-a-user-token"),
            ("SLACK_API_URL", &url),
        ],
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: the token is a bot token (xoxb-)"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-a-user-token"), "{stderr}");
    let (_, _, stderr) = run(&slack, &["reset", "W1"]);
    assert!(!stderr.contains("warning: the token"), "{stderr}");
}

// ---- Log out a whole org: --bulk, --all, emails.

fn report_lines(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

const FAST_VERIFY: [&str; 4] = ["--verify-interval", "0.2", "--verify-deadline", "3"];

#[test]
fn bulk_logs_out_and_verifies_everyone_with_a_report_saying_how() {
    let slack = FakeSlack::start(300);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(200);
        s.bulk_never = ["W7"].map(String::from).into();
    });
    let ids = write_temp("bulk-ids.txt", &users(300).join("\n"));
    let report = ids.with_file_name("bulk-report.jsonl");
    let _ = std::fs::remove_file(&report);
    let mut args = vec![
        "reset-many",
        "--yes",
        ids.to_str().unwrap(),
        "--bulk",
        "--report",
        report.to_str().unwrap(),
    ];
    args.extend(FAST_VERIFY);
    let (code, _, stderr) = run(&slack, &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("300 verified"), "{stderr}");
    assert!(
        stderr.contains("calls made:") && stderr.contains("1 admin.users.session.resetBulk"),
        "{stderr}"
    );
    let lines = report_lines(&report);
    assert_eq!(lines.len(), 300);
    for v in &lines {
        assert_eq!(
            (v["ok"].as_bool(), v["verified"].as_bool()),
            (Some(true), Some(true)),
            "{v}"
        );
        let single = v["user_id"] == "W7";
        assert_eq!(v["how"], if single { "single" } else { "bulk" }, "{v}");
        assert_eq!(
            v["method"],
            if single {
                "admin.users.session.reset"
            } else {
                "admin.users.session.resetBulk"
            }
        );
    }
    assert_eq!(slack.single_resets("W7"), 1);
    assert_eq!(slack.single_resets("W8"), 0);
}

/// Kill the run at each step (snapshot, enqueue, verify, fallback) and resume from the
/// report: everyone ends verified, and nobody verified gets a single reset afterwards.
#[test]
fn a_bulk_run_killed_at_any_step_resumes_to_everyone_verified() {
    for (step, method, after) in [
        ("snapshot", "admin.users.session.list", 0),
        ("enqueue", "admin.users.session.resetBulk", 0),
        ("verify", "admin.users.session.list", 2),
        ("fallback", "admin.users.session.reset", 0),
    ] {
        let slack = FakeSlack::start(120);
        slack.with(|s| {
            s.bulk_delay = Duration::from_millis(100);
            // Two users the job never logs out, so that the fallback runs.
            s.bulk_never = ["W5", "W6"].map(String::from).into();
            s.hang = Some((method.to_owned(), after));
        });
        let ids = write_temp(&format!("kill-{step}.txt"), &users(120).join("\n"));
        let report = ids.with_file_name(format!("kill-{step}.jsonl"));
        let _ = std::fs::remove_file(&report);
        let mut args = vec![
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
            "--bulk",
            "--report",
            report.to_str().unwrap(),
        ];
        args.extend(FAST_VERIFY);
        let mut child = spawn(&slack, &args);
        let started = std::time::Instant::now();
        while slack.calls(method) <= after {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{step}: never reached"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(100));
        child.kill().unwrap();
        child.wait().unwrap();
        let verified_before: Vec<String> = report_lines(&report)
            .iter()
            .filter(|v| v["verified"] == true)
            .map(|v| v["user_id"].as_str().unwrap().to_owned())
            .collect();
        let singles_before: Vec<u32> = verified_before
            .iter()
            .map(|u| slack.single_resets(u))
            .collect();

        slack.with(|s| s.hang = None);
        let (code, _, stderr) = run(&slack, &args);
        assert_eq!(code, 0, "{step}: {stderr}");
        let lines = report_lines(&report);
        let mut verified: Vec<String> = lines
            .iter()
            .filter(|v| v["verified"] == true)
            .map(|v| v["user_id"].as_str().unwrap().to_owned())
            .collect();
        verified.sort();
        let before = verified.len();
        verified.dedup();
        assert_eq!(before, verified.len(), "{step}: a user verified twice");
        let mut want = users(120);
        want.sort();
        assert_eq!(verified, want, "{step}: everyone ends verified");
        for (u, n) in verified_before.iter().zip(singles_before) {
            assert_eq!(
                slack.single_resets(u),
                n,
                "{step}: {u} got a single reset after being verified"
            );
        }
        for u in users(120) {
            assert!(slack.sessions(&u).is_empty(), "{step}: {u}");
        }
    }
}

#[test]
fn all_leaves_out_bots_the_primary_owner_and_the_caller() {
    let slack = FakeSlack::start(30);
    slack.with(|s| s.bulk_delay = Duration::from_millis(50));
    let (code, who, stderr) = run(
        &slack,
        &["--dry-run", "reset-many", "--yes", "--all", "--bulk"],
    );
    assert_eq!(code, 0, "{stderr}");
    let who: Vec<&str> = who
        .lines()
        .skip_while(|l| !l.starts_with("# the 29 user(s)"))
        .skip(1)
        .collect();
    assert_eq!(who.len(), 29, "{who:?}");
    assert!(!who.contains(&"W1") && !who.contains(&"B1") && !who.contains(&"WOWNER"));
    assert!(
        stderr.contains("left out: 1 bot(s), the primary owner(s) WOWNER, you (W1"),
        "{stderr}"
    );
    assert!(
        stderr.contains("1 admin.users.session.resetBulk call(s)"),
        "{stderr}"
    );
    assert_eq!(
        slack.calls("admin.users.session.resetBulk") + slack.calls("admin.users.session.reset"),
        0
    );

    let mut args = vec!["reset-many", "--yes", "--all", "--bulk"];
    args.extend(FAST_VERIFY);
    let (code, out, stderr) = run(&slack, &args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_lines(&out).len(), 29);
    assert_eq!(
        slack.sessions("W1").len(),
        2,
        "the caller keeps a working console"
    );
    assert_eq!(slack.sessions("WOWNER").len(), 1);
    assert!(slack.sessions("W2").is_empty());
    // Only the caller has a session left, and a user without one has nothing to log out.
    let mut args = vec!["reset-many", "--yes", "--all", "--include-self", "--bulk"];
    args.extend(FAST_VERIFY);
    let (code, out, stderr) = run(&slack, &args);
    assert_eq!(code, 0, "{stderr}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["user_id"], "W1");
    assert!(slack.sessions("W1").is_empty());
}

#[test]
fn emails_are_taken_everywhere_and_an_unknown_one_stops_before_any_write() {
    let slack = FakeSlack::start(5);
    let (code, out, stderr) = run(&slack, &["reset", "w2@example.com"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.contains("of W2"), "{out}");
    assert_eq!(slack.resets("W2"), 1);
    let (code, _, stderr) = run(
        &slack,
        &["invalidate", "--user", "w3@example.com", "--session", "301"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.sessions("W3"), [302]);

    let ids = write_temp("emails.txt", "W1\nw4@example.com\nnobody@example.com\nW5\n");
    let (code, _, stderr) = run(&slack, &["reset-many", "--yes", ids.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("nobody@example.com") && stderr.contains("nothing was reset"),
        "{stderr}"
    );
    assert_eq!(
        slack.resets("W1") + slack.resets("W4") + slack.resets("W5"),
        0
    );
    let (code, _, stderr) = run(&slack, &["settings", "clear", "ghost@example.com"]);
    assert_eq!(code, 2, "{stderr}");
}

/// Report lines longer than stdout's 1,024-byte buffer still go out in one `write` each
/// (checked with strace where the machine has it; this machine and CI do).
#[test]
fn every_report_line_is_one_write_even_past_1024_bytes() {
    if Command::new("strace").arg("-V").output().is_err() {
        eprintln!("strace not installed: skipped");
        return;
    }
    let slack = FakeSlack::start(2);
    let long = format!("W{}", "X".repeat(1500));
    let ids = write_temp("long-ids.txt", &format!("{long}\nW1\n"));
    let trace = ids.with_file_name("writes.trace");
    let out = Command::new("strace")
        .args(["-f", "-qq", "-e", "trace=write", "-o"])
        .arg(&trace)
        .arg(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(["reset-many", "--yes", ids.to_str().unwrap()])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 2, "{stdout}{}", text(&out.stderr));
    assert!(stdout.lines().next().unwrap().len() > 1024);
    let trace = std::fs::read_to_string(&trace).unwrap();
    let writes: Vec<usize> = trace
        .lines()
        .filter(|l| l.contains("write(1,"))
        .map(|l| l.rsplit("= ").next().unwrap().trim().parse().unwrap())
        .collect();
    let lines: Vec<usize> = stdout.split_inclusive('\n').map(str::len).collect();
    assert_eq!(writes, lines, "one write per line:\n{trace}");
}

#[test]
fn a_user_always_rate_limited_is_given_up_on_in_time_and_the_wait_lines_say_when() {
    let server = support::TestServer::start(|r| {
        if r.body_str().contains("user_id=W1") {
            Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                .with_header("Retry-After", "1")
        } else {
            Reply::json(200, r#"{"ok":true}"#)
        }
    });
    let url = server.api_url();
    let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args([
            "--retries",
            "0",
            "--json",
            "reset-many",
            "--yes",
            "--max-wait-per-user",
            "2.5",
            "-",
        ])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", &url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"W1\nW2\n")?;
            child.wait_with_output()
        })
        .unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(stderr.contains("gives up on this call after"), "{stderr}");
    assert!(
        stderr.contains("W1 (") && stderr.contains("gave up on this user"),
        "the summary says the run gave up on W1: {stderr}"
    );
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let w1 = lines.iter().find(|l| l["user_id"] == "W1").expect(&stdout);
    let w2 = lines.iter().find(|l| l["user_id"] == "W2").expect(&stdout);
    assert_eq!(w1["ok"], false, "{stdout}");
    assert_eq!(w1["error"], "rate_limited", "{stdout}");
    assert!(
        w1["detail"]
            .as_str()
            .unwrap()
            .contains("gave up on this user"),
        "{stdout}"
    );
    assert_eq!(w2["ok"], true, "{stdout}");
    // One or two waits of a second (plus jitter) fit in 2.5 s: two or three calls for
    // W1, then one for W2; never the 1,000 waits of before.
    let calls = server.received().len();
    assert!((3..=4).contains(&calls), "{calls}");
}
