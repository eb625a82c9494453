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
    assert!(
        !stdout.contains("SECRET") && !stderr.contains("SECRET"),
        "{stdout}{stderr}"
    );
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
        stdout.ends_with("\nsession_id=1112275520242&team_id=T1\n"),
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
    assert_eq!(got[1].body_str(), "session_id=201&user_id=W2");
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
        &[
            "invalidate",
            "--session",
            "5",
            "--user",
            "W1",
            "--team",
            "T1",
        ],
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
