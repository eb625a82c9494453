//! What a new user met in the first ten minutes (issue 16's "smaller things"), each
//! checked the way the user met it: the binary, against the loopback Slack.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::slack::{FakeSlack, TOKEN};

const BIN: &str = env!("CARGO_BIN_EXE_slack-sessions");

fn cli(slack: &FakeSlack, token: &str, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("SLACK_TOKEN", token)
        .env("SLACK_API_URL", slack.api_url())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn write_ids(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("contact-{name}-{}.txt", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn list_into_head_ends_quietly() {
    // `list --limit 1 | head -1`: one page a call, so the run is still walking when the
    // reader goes away.
    let slack = FakeSlack::start(200);
    let mut child = Command::new(BIN)
        .args(["list", "--limit", "1"])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut header = String::new();
    reader.read_line(&mut header).unwrap();
    assert!(header.starts_with("USER"), "{header}");
    drop(reader);
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        !stderr.contains("Broken pipe") && !stderr.contains("error"),
        "{stderr}"
    );
    assert!(
        slack.server.received().len() < 400,
        "the walk stopped when the reader went away"
    );
}

#[test]
fn an_empty_list_prints_nothing_on_stdout() {
    let slack = FakeSlack::start(1);
    slack.with(|s| s.users.get_mut("W1").unwrap().sessions.clear());
    let out = cli(&slack, TOKEN, &["list", "--user", "W1", "--team", "T1"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(text(&out.stdout), "", "no header above no rows");
    assert!(text(&out.stderr).contains("no active sessions"));
}

#[test]
fn verified_is_null_when_nothing_was_checked() {
    let slack = FakeSlack::start(2);
    let ids = write_ids("verified", "W1\nW2\n");
    let out = cli(&slack, TOKEN, &["reset-many", &ids, "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for line in text(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["verified"], Value::Null, "{v}");
    }
    let out = cli(
        &slack,
        TOKEN,
        &[
            "reset-many",
            &ids,
            "--yes",
            "--bulk",
            "--verify-interval",
            "0.2",
            "--verify-deadline",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for line in text(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["verified"], true, "{v}");
    }
}

#[test]
fn attempts_count_the_calls_sent_for_each_user() {
    // resetBulk fails twice (one retry allowed), so each user falls back to one reset:
    // every user was carried by 2 resetBulk calls and 1 reset, 3 calls in all.
    let slack = FakeSlack::start(2);
    slack.with(|s| {
        s.fail_with.insert(
            "admin.users.session.resetBulk".into(),
            "internal_error".into(),
        )
    });
    let ids = write_ids("attempts", "W1\nW2\n");
    let out = cli(
        &slack,
        TOKEN,
        &[
            "--retries",
            "1",
            "reset-many",
            &ids,
            "--yes",
            "--bulk",
            "--verify-interval",
            "0.2",
            "--verify-deadline",
            "3",
        ],
    );
    let stderr = text(&out.stderr);
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 2, "{stderr}");
    assert_eq!(slack.single_resets("W1"), 1, "{stderr}");
    for line in text(&out.stdout).lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["attempts"], 3, "{v}");
    }
}

#[test]
fn a_bad_session_id_is_explained() {
    let slack = FakeSlack::start(1);
    let out = cli(
        &slack,
        TOKEN,
        &["invalidate", "--user", "W1", "--session", "12ab"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("is not a session id"), "{stderr}");
    assert!(stderr.contains("whole number"), "{stderr}");
    assert!(!stderr.contains("invalid digit"), "{stderr}");
    assert!(slack.server.received().is_empty());
}

#[test]
fn an_api_url_without_api_gets_a_hint() {
    let slack = FakeSlack::start(1);
    let url = format!("http://{}", slack.server.addr());
    let out = Command::new(BIN)
        .args(["--api-url", &url, "reset", "W1"])
        .env("SLACK_TOKEN", TOKEN)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 404"), "{stderr}");
    assert!(stderr.contains("has no /api/ path"), "{stderr}");
    let out = Command::new(BIN)
        .args(["--json", "--api-url", &url, "reset", "W1"])
        .env("SLACK_TOKEN", TOKEN)
        .output()
        .unwrap();
    let v: Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["error"], "http_error", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("has no /api/ path"),
        "{v}"
    );
}

#[test]
fn each_subcommand_help_lists_its_own_flags_first() {
    for (path, own) in [
        (vec!["reset"], "--mobile-only"),
        (vec!["invalidate"], "--user"),
        (vec!["reset-many"], "--all"),
        (vec!["list"], "--user"),
        (vec!["settings", "set"], "--duration"),
    ] {
        let mut args = path.clone();
        args.push("--help");
        let help = text(&Command::new(BIN).args(&args).output().unwrap().stdout);
        let options = help.find("\nOptions:").expect("an Options section");
        let global = help
            .find("\nGlobal options:")
            .expect("a Global options section");
        let own_at = options + help[options..].find(own).unwrap();
        let token_at = options + help[options..].find("--token").unwrap();
        assert!(
            options < own_at && own_at < global && global < token_at,
            "{path:?}: {help}"
        );
    }
}

#[test]
fn token_mistakes_are_named_before_any_call() {
    let slack = FakeSlack::start(1);
    let cases = [
        ("", "the token is empty", "not a user token"),
        (
            " xoxp-test-234567890-abcdefghij",
            "leading whitespace",
            "contains whitespace",
        ),
        (
            "xoxp-test-234567890-abcdefghij\n",
            "trailing whitespace",
            "contains whitespace",
        ),
        (
            "Bearer xoxp-test-234567890-abcdefghij",
            "starts with \"Bearer \"",
            "contains whitespace",
        ),
    ];
    for (token, says, not) in cases {
        let out = cli(&slack, token, &["reset", "W1"]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {stderr}");
        assert!(stderr.contains(says), "{token:?}: {stderr}");
        assert!(
            !stderr.contains(not),
            "{token:?} says only what is wrong: {stderr}"
        );
        assert!(!stderr.contains("1234567890"), "never the token: {stderr}");
    }
    assert!(slack.server.received().is_empty());
}

#[test]
fn an_unknown_email_says_nothing_was_reset() {
    let slack = FakeSlack::start(2);
    let out = cli(&slack, TOKEN, &["reset", "nobody@example.com"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("nobody@example.com"), "{stderr}");
    assert!(stderr.contains("nothing was reset"), "{stderr}");
    assert!(
        !stderr.contains("nothing was sent"),
        "a lookup was sent: {stderr}"
    );
}

#[test]
fn an_odd_session_record_is_skipped_and_reported_not_fatal() {
    let slack = FakeSlack::start(1);
    slack.misbehave(support::Reply::json(
        200,
        r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":null},{"user_id":"W1","team_id":"T1","session_id":7,"created":null,"recent":{"ip":null}}]}"#,
    ));
    let out = cli(&slack, TOKEN, &["list"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        2,
        "header and the good session: {stdout}"
    );
    assert!(stdout.contains(" 7 "), "{stdout}");
    assert!(stderr.contains("1 session record(s)"), "{stderr}");
}

#[test]
fn a_null_email_or_flag_does_not_stop_an_org_walk() {
    // auth.test, then one page of admin.users.list with nulls and a record without id.
    let slack = FakeSlack::start(1);
    slack.misbehave(support::Reply::json(
        200,
        r#"{"ok":true,"user_id":"W1","team_id":"T1","user":"me","team":"org"}"#,
    ));
    slack.misbehave(support::Reply::json(
        200,
        r#"{"ok":true,"users":[{"id":"W7","email":null,"is_admin":null,"is_bot":null},{"email":"x@example.com"},{"id":"W8","email":"w8@example.com","is_admin":false}]}"#,
    ));
    let out = cli(
        &slack,
        TOKEN,
        &["--dry-run", "--json", "reset-many", "--all"],
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let users: Vec<String> = text(&out.stdout)
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["user_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(users, ["W7", "W8"]);
    assert!(
        stderr.contains("1 record(s) of admin.users.list had no user id"),
        "{stderr}"
    );
}

#[test]
fn a_wait_says_how_far_along_and_an_eta_that_includes_it() {
    // One reset a 2-second window: the second user waits out a 429's Retry-After.
    let slack = FakeSlack::start(2);
    slack.with(|s| s.rate_limit = Some((1, std::time::Duration::from_secs(2))));
    let ids = write_ids("eta", "W1\nW2\n");
    let out = cli(&slack, TOKEN, &["reset-many", &ids, "--yes"]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let wait = stderr
        .lines()
        .find(|l| l.contains("rate limited"))
        .unwrap_or_else(|| panic!("no wait line: {stderr}"));
    assert!(wait.contains("1 of 2 done, ETA "), "{wait}");
}
