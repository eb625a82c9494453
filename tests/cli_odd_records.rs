//! Records Slack lists without a `session_id` or without a `user_id`, through the
//! binary: a user whose only listed record has no id is still targeted, never verified
//! gone while it is listed, and reported by `find`; a record without a user id is
//! skipped and never becomes user `""` in a plan, a report or a resetBulk chunk.

mod support;

use std::process::{Command, Stdio};

use support::slack::{FakeSlack, SessionDetail, TOKEN};

fn run(slack: &FakeSlack, args: &[&str]) -> (i32, Vec<serde_json::Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .env_remove("SLACK_TOKEN_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    let lines = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}\n{stderr}")))
        .collect();
    (out.status.code().unwrap(), lines, stderr)
}

/// W1..W3; W3's only session (301) is listed with `"session_id": null`.
fn bob_without_id() -> FakeSlack {
    let slack = FakeSlack::start(3);
    slack.with(|s| {
        s.users.get_mut("W3").unwrap().sessions = vec![301];
        s.details.insert(
            301,
            SessionDetail {
                session_id_json: Some("null".into()),
                created: Some(r#"{"os":"Mac OS","ip":"203.0.113.9"}"#.into()),
                ..SessionDetail::default()
            },
        );
    });
    slack
}

fn report_lines(path: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn report_dir(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("slack-sessions-odd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path.to_str().unwrap().to_owned()
}

#[test]
fn an_org_logout_keeps_the_user_whose_only_session_has_no_id() {
    let slack = bob_without_id();
    let report = report_dir("all.jsonl");
    let (code, _, stderr) = run(
        &slack,
        &[
            "--json",
            "reset-many",
            "--all",
            "--bulk",
            "--yes",
            "--report",
            &report,
            "--verify-interval",
            "0.2",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let lines = report_lines(&report);
    let bob: Vec<_> = lines.iter().filter(|l| l["user_id"] == "W3").collect();
    assert_eq!(bob.len(), 1, "W3 has a report line: {lines:?}\n{stderr}");
    assert_eq!(bob[0]["verified"], true, "{:?}", bob[0]);
    assert!(slack.sessions("W3").is_empty());
    assert!(slack.with(|s| s.users["W3"].resets) >= 1);
}

#[test]
fn an_org_logout_does_not_verify_a_user_while_a_record_without_id_is_listed() {
    let slack = bob_without_id();
    slack.with(|s| {
        s.kept.insert(301);
    });
    let report = report_dir("kept.jsonl");
    let (code, _, stderr) = run(
        &slack,
        &[
            "--json",
            "reset-many",
            "--all",
            "--bulk",
            "--yes",
            "--report",
            &report,
            "--verify-interval",
            "0.2",
            "--verify-deadline",
            "1",
        ],
    );
    assert_ne!(code, 0, "{stderr}");
    let lines = report_lines(&report);
    let bob: Vec<_> = lines.iter().filter(|l| l["user_id"] == "W3").collect();
    assert_eq!(bob.len(), 1, "{lines:?}\n{stderr}");
    assert_ne!(bob[0]["verified"], true, "{:?}", bob[0]);
    let said = bob[0].to_string();
    assert!(said.contains("without a session id"), "{said}");
}

#[test]
fn reset_verify_watches_a_record_without_id() {
    let slack = bob_without_id();
    slack.with(|s| {
        s.kept.insert(301);
    });
    let (code, lines, stderr) = run(
        &slack,
        &[
            "--json",
            "reset",
            "W3",
            "--verify",
            "--verify-deadline",
            "1",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["verified"], false, "{:?}", lines[0]);
    assert_eq!(lines[0]["watched"], 1);
    assert!(
        lines[0]["message"]
            .as_str()
            .unwrap()
            .contains("without a session id"),
        "{:?}",
        lines[0]
    );

    // Once the record is gone, the same reset is verified.
    let slack = bob_without_id();
    let (code, lines, stderr) = run(
        &slack,
        &[
            "--json",
            "reset",
            "W3",
            "--verify",
            "--verify-deadline",
            "5",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(lines[0]["verified"], true, "{:?}", lines[0]);
    assert_eq!(lines[0]["watched"], 1);
}

#[test]
fn find_reports_a_matching_record_without_id() {
    let slack = bob_without_id();
    let (code, lines, stderr) = run(&slack, &["--json", "find", "--ip", "203.0.113.0/24"]);
    assert_eq!(code, 0, "{stderr}");
    let bob: Vec<_> = lines.iter().filter(|l| l["user_id"] == "W3").collect();
    assert_eq!(bob.len(), 1, "{lines:?}\n{stderr}");
    assert!(bob[0]["session_id"].is_null());
    assert!(
        stderr.contains("1 matching record(s) of user(s) W3 have no usable session_id"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot be invalidated") && stderr.contains("reset"),
        "{stderr}"
    );
}

/// W2's session 201 is listed with `"user_id": null`.
fn nobodys_record() -> FakeSlack {
    let slack = FakeSlack::start(3);
    slack.with(|s| {
        s.details.insert(
            201,
            SessionDetail {
                user_id_json: Some("null".into()),
                ..SessionDetail::default()
            },
        );
    });
    slack
}

#[test]
fn a_record_without_user_id_never_becomes_user_empty() {
    let slack = nobodys_record();
    let (code, lines, stderr) = run(&slack, &["--json", "list"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(lines.iter().all(|l| l["user_id"] != ""), "{lines:?}");
    assert!(stderr.contains("skipped"), "{stderr}");

    let report = report_dir("nobody.jsonl");
    let (code, lines, stderr) = run(
        &slack,
        &[
            "--json",
            "reset-many",
            "--all",
            "--bulk",
            "--yes",
            "--report",
            &report,
            "--verify-interval",
            "0.2",
        ],
    );
    assert_eq!(code, 0, "{lines:?}\n{stderr}");
    let lines = report_lines(&report);
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l["user_id"] != ""), "{lines:?}");
    assert!(slack.calls("admin.users.session.resetBulk") >= 1);
    assert_eq!(
        slack.calls("admin.users.session.reset"),
        0,
        "no user fell back to single resets"
    );
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(!text.contains(r#""user_id":"""#), "{text}");
}
