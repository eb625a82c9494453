//! `--json`, the shape SOAR playbooks parse: every command, every outcome, prints JSON on
//! stdout with `ok`, and when not ok `error` (a code) and `message`. Each path below runs
//! the binary against the loopback Slack server and parses what it printed.

mod support;

use std::process::Command;

use serde_json::Value;
use support::slack::{slack_error, FakeSlack, TOKEN};
use support::{refused_port, Reply};

/// Runs the CLI with `--json` first; returns the exit code, every stdout line parsed as
/// JSON (a line that is not JSON fails the test), and stderr.
fn json_run(args: &[&str], env: &[(&str, &str)]) -> (i32, Vec<Value>, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.arg("--json")
        .args(args)
        .env_remove("SLACK_TOKEN")
        .env_remove("SLACK_API_URL");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stdout.contains("SECRET") && !stderr.contains("SECRET"));
    let lines = stdout
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l:?}\nstderr: {stderr}"))
        })
        .collect();
    (out.status.code().unwrap(), lines, stderr)
}

fn with_slack(slack: &FakeSlack, args: &[&str]) -> (i32, Vec<Value>, String) {
    json_run(
        args,
        &[("SLACK_TOKEN", TOKEN), ("SLACK_API_URL", &slack.api_url())],
    )
}

/// The one failure object a failed command printed: `ok` false, a code, a sentence.
fn one_failure(lines: &[Value], stderr: &str) -> Value {
    assert_eq!(lines.len(), 1, "{lines:?} {stderr}");
    let v = lines[0].clone();
    assert_eq!(v["ok"], false, "{v}");
    let code = v["error"].as_str().expect("error is a string code");
    assert!(
        !code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "error is a code, not a sentence: {code:?}"
    );
    assert!(!v["message"].as_str().unwrap_or_default().is_empty(), "{v}");
    v
}

#[test]
fn success_and_slack_error() {
    let slack = FakeSlack::start(2);
    let (code, lines, _) = with_slack(&slack, &["reset", "W1"]);
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["ok"], true);
    assert_eq!(lines[0]["user_id"], "W1");

    let (code, lines, stderr) = with_slack(&slack, &["reset", "W404"]);
    assert_eq!(code, 1);
    let v = one_failure(&lines, &stderr);
    assert_eq!(v["error"], "user_not_found");
    assert_eq!(v["user_id"], "W404");
    assert_eq!(v["method"], "admin.users.session.reset");
}

#[test]
fn no_token() {
    let (code, lines, stderr) = json_run(&["reset", "W1"], &[]);
    assert_eq!(code, 2);
    assert_eq!(one_failure(&lines, &stderr)["error"], "no_token");
    assert!(stderr.contains("SLACK_TOKEN"), "{stderr}");
}

#[test]
fn input_refused_by_the_command_line() {
    let (code, lines, stderr) = json_run(&["reset"], &[("SLACK_TOKEN", TOKEN)]);
    assert_eq!(code, 2);
    let v = one_failure(&lines, &stderr);
    assert_eq!(v["error"], "invalid_input");
    assert!(v["message"].as_str().unwrap().contains("USER_ID"), "{v}");
    // --help is not a failure, and prints help rather than JSON.
    let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(["--json", "reset", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Usage"));
}

#[test]
fn input_refused_by_the_command() {
    let slack = FakeSlack::start(1);
    let (code, lines, stderr) = with_slack(&slack, &["list", "--user", "W1"]);
    assert_eq!(code, 2);
    assert_eq!(one_failure(&lines, &stderr)["error"], "invalid_input");
    assert!(slack.server.received().is_empty());
}

#[test]
fn unknown_email() {
    let slack = FakeSlack::start(2);
    let (code, lines, stderr) = with_slack(&slack, &["reset", "nobody@example.com"]);
    assert_eq!(code, 2, "{stderr}");
    let v = one_failure(&lines, &stderr);
    assert_eq!(v["error"], "unknown_email");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("nobody@example.com"),
        "{v}"
    );
    assert_eq!(slack.calls("admin.users.session.reset"), 0);
}

#[test]
fn transport_failure() {
    let url = format!("http://127.0.0.1:{}/api/", refused_port());
    let (code, lines, stderr) = json_run(
        &["--retries", "0", "reset", "W1"],
        &[("SLACK_TOKEN", TOKEN), ("SLACK_API_URL", &url)],
    );
    assert_eq!(code, 1);
    assert_eq!(one_failure(&lines, &stderr)["error"], "transport");
}

#[test]
fn list_lines_each_say_ok() {
    let slack = FakeSlack::start(2);
    let (code, lines, _) = with_slack(&slack, &["list"]);
    assert_eq!(code, 0);
    assert!(lines.len() >= 4, "{lines:?}");
    assert!(lines.iter().all(|l| l["ok"] == true), "{lines:?}");

    slack.with(|s| s.users.get_mut("W1").unwrap().sessions.clear());
    let (code, lines, _) = with_slack(&slack, &["list", "--user", "W1", "--team", "T1"]);
    assert_eq!(code, 0);
    assert_eq!(
        lines.len(),
        1,
        "a user without sessions still gets an answer: {lines:?}"
    );
    assert_eq!(
        (&lines[0]["ok"], &lines[0]["active_sessions"]),
        (&Value::Bool(true), &Value::from(0))
    );

    slack.misbehave(slack_error("not_an_admin"));
    let (code, lines, stderr) = with_slack(&slack, &["list"]);
    assert_eq!(code, 1);
    assert_eq!(one_failure(&lines, &stderr)["error"], "not_an_admin");
}

#[test]
fn reset_many_lines_carry_a_code_and_a_message() {
    let slack = FakeSlack::start(2);
    slack.misbehave(Reply::json(502, "<html>bad gateway</html>"));
    let ids = std::env::temp_dir().join(format!("json-ids-{}.txt", std::process::id()));
    std::fs::write(&ids, "W1\nW2\n").unwrap();
    let (code, lines, stderr) = with_slack(
        &slack,
        &[
            "--retries",
            "0",
            "reset-many",
            "--yes",
            ids.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let failed: Vec<&Value> = lines.iter().filter(|l| l["ok"] == false).collect();
    assert!(!failed.is_empty(), "{lines:?}");
    for f in failed {
        assert!(f["error"].as_str().is_some_and(|c| !c.contains(' ')), "{f}");
        assert!(f["message"].is_string(), "{f}");
    }
}

#[test]
fn every_failure_of_a_call_has_its_code() {
    let slack = FakeSlack::start(1);
    let cases: Vec<(Reply, &str)> = vec![
        (
            Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                .with_header("Retry-After", "0"),
            "rate_limited",
        ),
        (Reply::json(502, "<html>bad gateway</html>"), "http_error"),
        (Reply::json(200, r#"{"ok":tru"#), "invalid_response"),
        (
            Reply::json(200, r#"{"ok":false,"error":""}"#),
            "no_error_code",
        ),
        (Reply::json(200, r#"{"ok":false}"#), "no_error_code"),
        (
            Reply::json(200, r#"{"ok":false,"error":null}"#),
            "no_error_code",
        ),
    ];
    for (reply, want) in cases {
        slack.misbehave(reply);
        let (code, lines, stderr) = with_slack(&slack, &["--retries", "0", "reset", "W1"]);
        assert_eq!(code, 1, "{want}: {stderr}");
        let v = one_failure(&lines, &stderr);
        assert_eq!(v["error"], want, "{v}");
        if want == "no_error_code" {
            let message = v["message"].as_str().unwrap();
            assert!(message.contains("no error code"), "{message}");
            assert!(!message.contains("needed"), "{message}");
        }
    }
}

#[test]
fn a_run_that_leaves_users_says_incomplete_after_its_lines() {
    let slack = FakeSlack::start(2);
    let ids = std::env::temp_dir().join(format!("json-incomplete-{}.txt", std::process::id()));
    std::fs::write(&ids, "W1\nW404\nW2\n").unwrap();
    let (code, lines, stderr) = with_slack(&slack, &["reset-many", ids.to_str().unwrap(), "--yes"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        lines.len(),
        4,
        "three user lines and the summary: {lines:?}"
    );
    assert_eq!(lines[1]["error"], "user_not_found");
    assert_eq!(lines[3]["ok"], false);
    assert_eq!(lines[3]["error"], "incomplete");
}

#[test]
fn dry_runs_print_json() {
    let slack = FakeSlack::start(1);
    let (code, lines, _) = json_run(
        &["--dry-run", "reset", "W1", "--mobile-only"],
        &[("SLACK_API_URL", &slack.api_url())],
    );
    assert_eq!(code, 0);
    assert_eq!(lines.len(), 1);
    let v = &lines[0];
    assert_eq!(
        (&v["ok"], &v["dry_run"]),
        (&Value::Bool(true), &Value::Bool(true))
    );
    assert_eq!(v["request"]["body"], "user_id=W1&mobile_only=true");
    assert_eq!(v["request"]["method"], "POST");
    assert!(slack.server.received().is_empty());
}

/// A report that cannot be written while stdout still works: the failure is printed as
/// JSON (`output_failed`). The file size limit (with SIGXFSZ ignored, so the write fails
/// instead of killing the process) makes the report unwritable mid-run.
#[test]
fn an_unwritable_report_is_output_failed() {
    let slack = FakeSlack::start(40);
    let dir = std::env::temp_dir().join(format!("json-report-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids = dir.join("ids.txt");
    let users: Vec<String> = (1..=40).map(|n| format!("W{n}")).collect();
    std::fs::write(&ids, users.join("\n")).unwrap();
    let report = dir.join("report.jsonl");
    let _ = std::fs::remove_file(&report);
    let script = format!(
        "trap '' XFSZ; ulimit -f 1; exec {} --json reset-many {} --yes --report {}",
        env!("CARGO_BIN_EXE_slack-sessions"),
        ids.display(),
        report.display()
    );
    let out = Command::new("bash")
        .args(["-c", &script])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let v = one_failure(&lines, &stderr);
    assert_eq!(v["error"], "output_failed", "{v}");
    assert!(v["message"].as_str().unwrap().contains("report"), "{v}");
}
