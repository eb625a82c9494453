//! The responder's whole job through the binary: `find` (table, CSV, JSON lines), acting
//! on what it found (`--invalidate`, `--reset`), proving it (`--verify`), the guard
//! rails (a plan, `--yes`, a typed confirmation through a real pseudo-terminal), and
//! `reset-many --column` over a CSV, against the loopback Slack server.

mod support;

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

use support::slack::{FakeSlack, SessionDetail, TOKEN};

fn run_env(slack: &FakeSlack, args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        let _ = input.write_all(stdin.unwrap_or("").as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    for w in TOKEN.as_bytes().windows(8) {
        let w = std::str::from_utf8(w).unwrap();
        assert!(!stdout.contains(w) && !stderr.contains(w), "{w:?} leaked");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), stdout, stderr)
}

fn run(slack: &FakeSlack, args: &[&str]) -> (i32, String, String) {
    run_env(slack, args, None)
}

fn json_lines(stdout: &str) -> Vec<serde_json::Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

fn temp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slack-sessions-find-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn device(ip: &str, os: &str, version: &str) -> String {
    format!(
        r#"{{"device_hardware":"Pixel 8","os":"{os}","os_version":"14","slack_client_version":"{version}","ip":"{ip}"}}"#
    )
}

/// W1..W4 with sessions n*100+1 and n*100+2; the attacker's addresses on three of them.
fn incident() -> FakeSlack {
    let slack = FakeSlack::start(4);
    slack.with(|s| {
        let d = &mut s.details;
        d.insert(
            101,
            SessionDetail {
                created: Some(device("10.0.0.5", "Android", "22.10.10.0")),
                recent: Some(device("2001:db8:bad::7", "Android", "22.10.10.0")),
                ..SessionDetail::default()
            },
        );
        d.insert(
            201,
            SessionDetail {
                team_id: Some("T2".into()),
                created: Some(device("203.0.113.9", "Windows", "4.29.149")),
                no_recent: true,
                ..SessionDetail::default()
            },
        );
        d.insert(
            202,
            SessionDetail {
                created: Some(device("203.0.113.9", "Windows", "4.29.149")),
                recent: Some(device("203.0.113.10", "Windows", "4.29.149")),
                ..SessionDetail::default()
            },
        );
        s.users.get_mut("W2").unwrap().workspaces = vec!["T2".into()];
    });
    slack
}

fn writes(slack: &FakeSlack) -> u32 {
    [
        "admin.users.session.invalidate",
        "admin.users.session.reset",
        "admin.users.session.resetBulk",
    ]
    .iter()
    .map(|m| slack.calls(m))
    .sum()
}

#[test]
fn find_prints_a_table_csv_or_json_lines_and_counts_by_user() {
    let slack = incident();
    // The table: a header, one row per match, the count on stderr.
    let (code, out, err) = run(&slack, &["find", "--ip", "203.0.113.0/24"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[0].starts_with("USER") && lines[0].contains("CREATED IP"),
        "{out}"
    );
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[1].contains("W2") && lines[1].contains("T2") && lines[1].contains("201"));
    assert!(lines[1].trim_end().ends_with('-'), "no recent IP: {out}");
    assert!(
        lines[1].contains("Pixel 8 Windows 14 (Slack 4.29.149)"),
        "{out}"
    );
    assert!(
        err.contains("2 session(s) of 1 user(s) matched: W2 2"),
        "{err}"
    );
    assert!(
        err.contains("read one walk of every session of the org: 1 call(s)"),
        "{err}"
    );

    // IPv6 in CSV: a header row and the fields.
    let (code, out, _) = run(&slack, &["find", "--ip", "2001:db8:bad::/48", "--csv"]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "user_id,team_id,session_id,device,created_ip,recent_ip\nW1,T1,101,Pixel 8 Android 14 (Slack 22.10.10.0),10.0.0.5,2001:db8:bad::7\n"
    );

    // JSON lines: every line parses, one object per session, the shared shape.
    let (code, out, _) = run(
        &slack,
        &["--json", "find", "--ip", "0.0.0.0/0", "--ip-from", "recent"],
    );
    assert_eq!(code, 0);
    let objects = json_lines(&out);
    assert_eq!(objects.len(), 8, "every v4 session but W1's v6 one: {out}");
    assert!(objects.iter().all(|o| o["ok"] == true));
    let quiet = objects.iter().find(|o| o["session_id"] == 201).unwrap();
    assert_eq!(quiet["recent"], serde_json::Value::Null);
    assert_eq!(quiet["created"]["ip"], "203.0.113.9");
    assert_eq!(quiet["team_id"], "T2");

    // A /32, a version, outside the VPN; nothing matched says so and exits 0.
    let (_, out, _) = run(&slack, &["find", "--ip", "203.0.113.10/32", "--csv"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    let (_, out, _) = run(&slack, &["find", "--client-older-than", "4.30", "--csv"]);
    assert_eq!(out.lines().count(), 3, "{out}");
    let (_, out, _) = run(&slack, &["find", "--not-ip", "10.0.0.0/8", "--csv"]);
    assert_eq!(out.lines().count(), 4, "{out}");
    let (code, out, err) = run(&slack, &["find", "--os", "beos"]);
    assert_eq!((code, out.as_str()), (0, ""), "no header above nothing");
    assert!(err.contains("0 session(s) of 0 user(s) matched"), "{err}");
}

#[test]
fn find_a_user_everywhere_by_the_cheap_calls() {
    let slack = incident();
    let (code, out, err) = run(&slack, &["--json", "find", "--user", "w2@example.com"]);
    assert_eq!(code, 0, "{err}");
    let teams: HashSet<String> = json_lines(&out)
        .iter()
        .map(|o| o["team_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(teams, HashSet::from(["T1".to_owned(), "T2".to_owned()]));
    assert!(
        err.contains("read one walk of every session of the org: 2 call(s) (1 admin.users.list, 1 admin.users.session.list)"),
        "{err}"
    );
    let bodies: Vec<String> = slack
        .server
        .received()
        .iter()
        .map(|r| r.body_str().to_owned())
        .collect();
    assert_eq!(bodies, ["limit=100", "limit=1000"]);
}

#[test]
fn bad_filters_are_refused_before_any_call() {
    let slack = incident();
    for (args, says) in [
        (
            vec!["find", "--ip", "10.0.0.0/33"],
            "longer than an address of 32 bits",
        ),
        (
            vec!["find", "--not-ip", "::/129"],
            "longer than an address of 128 bits",
        ),
        (
            vec!["find", "--ip", "attacker"],
            "not an IPv4 or IPv6 address",
        ),
        (
            vec!["find", "--ip-from", "latest"],
            "possible values: created, recent, any",
        ),
        (
            vec!["find", "--client-older-than", "new"],
            "is not a version",
        ),
        (
            vec!["find", "--report", "r.txt"],
            "--report and --yes go with",
        ),
        (vec!["find", "--bulk"], "--reset"),
        (vec!["find", "--user", "W 1"], "--user \"W 1\" contains"),
        (vec!["find", "--team", ""], "--team \"\" is empty"),
        // A version as typed is numbers and dots: these would read as "4".
        (
            vec!["find", "--client-older-than", "4,36"],
            "is not a version",
        ),
        (
            vec!["find", "--client-older-than", "4..36"],
            "is not a version",
        ),
        (
            vec!["find", "--client-older-than", "4.x"],
            "is not a version",
        ),
        (vec!["find", "--os", ""], "is empty"),
        (vec!["--json", "find", "--csv"], "--csv"),
        (vec!["find", "--csv", "--json"], "--csv"),
        (vec!["find", "--device", " "], "is empty"),
        (
            vec!["find", "--ip", "10.0.0.1/8"],
            "write the network, 10.0.0.0/8, or the one address, 10.0.0.1",
        ),
    ] {
        let (code, _, err) = run(&slack, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert!(slack.server.received().is_empty());
}

#[test]
fn invalidate_needs_yes_without_a_terminal_and_the_dry_run_writes_nothing() {
    let slack = incident();
    let args = ["find", "--ip", "203.0.113.0/24", "--invalidate"];
    let (code, out, err) = run(&slack, &args);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("plan: invalidate 2 session(s) of 1 user(s)"),
        "{err}"
    );
    assert!(
        err.contains("methods: admin.users.session.invalidate, admin.users.session.list"),
        "{err}"
    );
    assert!(err.contains("confirm it with --yes"), "{err}");
    assert!(err.contains("Nothing was written"), "{err}");
    assert_eq!(writes(&slack), 0);
    let (code, out, _) = run(&slack, &["--json", args[0], args[1], args[2], args[3]]);
    assert_eq!(code, 2);
    let o = &json_lines(&out)[0];
    assert_eq!(
        (o["ok"].as_bool(), o["error"].as_str()),
        (Some(false), Some("confirmation_required"))
    );
    assert_eq!(writes(&slack), 0);

    let (code, out, err) = run(&slack, &["--dry-run", args[0], args[1], args[2], args[3]]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "W2 T2 201\nW2 T1 202\n");
    assert!(
        err.contains("all of W2's sessions match: one reset"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(writes(&slack), 0);
}

#[test]
fn invalidate_ends_exactly_the_matches_reports_each_and_proves_it() {
    let slack = incident();
    let report = temp("invalidate-report.jsonl", "");
    let r = report.to_str().unwrap();
    // Resumable: a line from an earlier run says 202 is done, so it is not sent again.
    std::fs::write(
        &report,
        concat!(
            r#"{"user_id":"W2","team_id":"T1","session_id":202,"ok":true,"scope":"session","method":"admin.users.session.invalidate","verified":false,"request_id":"req-0","attempts":1}"#,
            "\n",
            // Its check: gone then (the list has it again, as a list may lag).
            r#"{"user_id":"W2","ok":true,"scope":"session","method":"admin.users.session.list","verifies":"admin.users.session.invalidate","verified":true,"team_id":"T1","session_id":202}"#,
            "\n",
        ),
    )
    .unwrap();
    let (code, out, err) = run(
        &slack,
        &[
            "find",
            "--not-ip",
            "10.0.0.0/8",
            "--invalidate",
            "--yes",
            "--report",
            r,
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    // 101 (W1, IPv6 recent) and 201 (W2 on T2) are ended; 202 was skipped; the rest stay.
    assert_eq!(slack.calls("admin.users.session.invalidate"), 2);
    assert_eq!(slack.sessions("W1"), [102]);
    assert_eq!(slack.sessions("W2"), [202]);
    assert_eq!(slack.sessions("W3"), [301, 302]);
    let lines = json_lines(&std::fs::read_to_string(&report).unwrap());
    assert_eq!(lines.len(), 6, "{lines:#?}");
    for l in &lines[2..4] {
        assert_eq!(l["method"], "admin.users.session.invalidate");
        assert_eq!(l["scope"], "session");
        assert_eq!(l["ok"], true);
        assert!(l["request_id"].as_str().unwrap().starts_with("req-"));
    }
    for l in &lines[4..] {
        assert_eq!(l["method"], "admin.users.session.list");
        assert_eq!(l["verifies"], "admin.users.session.invalidate");
        assert_eq!(l["verified"], true);
    }
    assert!(
        err.contains("invalidated 2 of 2 session(s), 2 verified gone"),
        "{err}"
    );
    assert!(err.contains("1 session(s) skipped"), "{err}");
    // W2's one session left to end: one call either way, so no note says otherwise.
    assert!(!err.contains("instead of 1\n"), "{err}");

    // A session Slack says is ended but keeps listing: exit 1, naming it.
    slack.with(|s| {
        s.noop.insert("admin.users.session.invalidate".into());
    });
    let (code, out, err) = run(
        &slack,
        &[
            "find",
            "--user",
            "W3",
            "--team",
            "T1",
            "--invalidate",
            "--yes",
            "--verify-deadline",
            "0.3",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("still active: W3/T1/301, W3/T1/302"), "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[3]["verified"], false);
    assert_eq!(lines[3]["error"], "not_verified");
}

#[test]
fn reset_logs_out_the_users_holding_matches_through_reset_manys_engine() {
    let slack = incident();
    let (code, out, err) = run(&slack, &["find", "--ip", "203.0.113.9", "--reset", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["user_id"], "W2");
    assert_eq!(lines[0]["method"], "admin.users.session.reset");
    assert_eq!(lines[0]["scope"], "all");
    assert_eq!(lines[1]["method"], "admin.users.session.list");
    assert_eq!(lines[1]["verifies"], "admin.users.session.reset");
    assert_eq!(lines[1]["verified"], true);
    assert_eq!(slack.single_resets("W2"), 1);
    assert_eq!(slack.resets("W1"), 0);
    assert!(err.contains("plan: log out 1 user(s)"), "{err}");

    // Resumable from its report, like reset-many: a user it shows done is skipped.
    let report = temp("reset-report.jsonl", "");
    std::fs::write(
        &report,
        concat!(
            r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"request_id":"req-1","attempts":1}"#,
            "\n"
        ),
    )
    .unwrap();
    let (code, _, err) = run(
        &slack,
        &[
            "find",
            "--ip",
            "2001:db8:bad::/48",
            "--reset",
            "--include-self",
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("skipped 1 already done"), "{err}");
    assert_eq!(slack.resets("W1"), 0);

    // --bulk: resetBulk, verified by reset-many's bulk engine.
    let (code, out, err) = run(
        &slack,
        &["find", "--os", "mac", "--reset", "--bulk", "--yes"],
    );
    // The primary owner and the caller (W1) matched too: both are left out, as
    // reset-many --all leaves them, and everyone else goes through one resetBulk.
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left out: W1 (you"), "{err}");
    assert!(err.contains("WOWNER (the primary owner"), "{err}");
    let lines = json_lines(&out);
    let users: Vec<&str> = lines
        .iter()
        .map(|l| l["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["W3", "W4"], "{out}");
    for l in &lines {
        assert_eq!(l["method"], "admin.users.session.resetBulk", "{l}");
        assert_eq!(l["verified"], true, "{l}");
    }
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 1);
}

#[test]
fn reset_and_invalidate_verify_exit_0_only_when_the_sessions_are_gone() {
    let slack = incident();
    let (code, out, err) = run(&slack, &["reset", "W2", "--verify"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verified: 2 session(s) gone"), "{out}");
    let (code, out, err) = run(
        &slack,
        &[
            "--json",
            "invalidate",
            "--user",
            "W1",
            "--session",
            "101",
            "--verify",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let o = &json_lines(&out)[0];
    assert_eq!(
        (o["ok"].as_bool(), o["verified"].as_bool()),
        (Some(true), Some(true))
    );
    // A session that is not listed: Slack's error is reported as it is.
    let (code, _, err) = run(
        &slack,
        &["invalidate", "--user", "W1", "--session", "999", "--verify"],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("session_not_found"), "{err}");

    // The stolen phone: only mobile sessions end, and only they are watched.
    slack.with(|s| {
        s.mobile.insert(401);
    });
    let (code, out, err) = run(&slack, &["reset", "W4", "--mobile-only", "--verify"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("verified: 1 session(s) gone"), "{out}");
    assert_eq!(slack.sessions("W4"), [402], "the laptop stays logged in");

    slack.with(|s| {
        s.noop.insert("admin.users.session.reset".into());
        s.noop.insert("admin.users.session.invalidate".into());
    });
    let (code, out, err) = run(
        &slack,
        &[
            "--json",
            "reset",
            "W3",
            "--verify",
            "--verify-deadline",
            "0.3",
        ],
    );
    assert_eq!(code, 1, "{err}");
    let o = &json_lines(&out)[0];
    assert_eq!(o["ok"], false);
    assert_eq!(o["error"], "not_verified");
    assert_eq!(
        o["still_active"],
        serde_json::json!(["W3/T1/301", "W3/T1/302"])
    );
    assert!(err.contains("W3/T1/301"), "{err}");
    let (code, out, err) = run(
        &slack,
        &[
            "invalidate",
            "--user",
            "W4",
            "--session",
            "402",
            "--verify",
            "--verify-deadline",
            "0.3",
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("NOT verified"), "{out}");
    assert!(err.contains("W4/T1/402"), "{err}");
}

#[test]
fn reset_many_of_several_users_needs_yes_without_a_terminal() {
    let slack = FakeSlack::start(3);
    let ids = temp("two.txt", "W1\nW2\n");
    let (code, out, err) = run(&slack, &["reset-many", ids.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("plan: log out 2 user(s)"), "{err}");
    assert!(err.contains("touches: 2 user(s): W1, W2"), "{err}");
    assert!(err.contains("calls: about 2"), "{err}");
    assert_eq!(writes(&slack), 0);
    // One user is one write: no plan, no question.
    let one = temp("one.txt", "W3\n");
    let (code, _, err) = run(&slack, &["reset-many", one.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("plan:"), "{err}");
    // --all asks even when the org is one user.
    let (code, _, err) = run(&slack, &["reset-many", "--all", "--bulk"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--all: the whole org"), "{err}");
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 0);
}

#[test]
fn reset_many_takes_a_csv_column_and_refuses_a_bad_row_before_any_write() {
    let slack = FakeSlack::start(3);
    let csv = temp(
        "users.csv",
        "\u{feff}Name,Email,Note\r\n\"Doe, Jane\",w1@example.com,\"says \"\"hi\"\"\"\r\nBob,W2,\"two\nlines\"\r\n",
    );
    let c = csv.to_str().unwrap();
    let (code, out, err) = run(&slack, &["reset-many", c, "--column", "email", "--yes"]);
    assert_eq!(code, 0, "{err}");
    let users: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["user_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(users, ["W1", "W2"]);
    // By index: column 2 is the same column.
    let (code, _, err) = run(&slack, &["--dry-run", "reset-many", c, "--column", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("row 1 is taken as the header (column 2 is \"Email\")"),
        "{err}"
    );

    let before = slack.server.received().len();
    let bad = temp(
        "bad.csv",
        "name,email\nA,w1@example.com\nB,\nC,not an id\nD\n",
    );
    let (code, out, err) = run(
        &slack,
        &[
            "reset-many",
            bad.to_str().unwrap(),
            "--column",
            "email",
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("3 bad row(s)"), "{err}");
    assert!(err.contains("row 3, email: empty"), "{err}");
    assert!(err.contains("row 4, email: \"not an id\""), "{err}");
    assert!(
        err.contains("row 5, email: the row has no such column"),
        "{err}"
    );
    let (code, _, err) = run(&slack, &["reset-many", c, "--column", "mail", "--yes"]);
    assert_eq!(code, 2);
    assert!(err.contains("no column named \"mail\""), "{err}");
    let broken = temp("broken.csv", "email\n\"w1@example.com\n");
    let (code, _, err) = run(
        &slack,
        &[
            "reset-many",
            broken.to_str().unwrap(),
            "--column",
            "1",
            "--yes",
        ],
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("row 2: a quoted field is never closed"),
        "{err}"
    );
    assert_eq!(
        slack.server.received().len(),
        before,
        "no call for a refused file"
    );
}

/// Drives the binary through a real pseudo-terminal (python3's `pty`): stdin and stderr
/// are a terminal, so the plan is shown and the number of users asked for.
fn through_a_terminal(slack: &FakeSlack, args: &[&str], answer: &str) -> (i32, String) {
    const DRIVER: &str = r#"
import os, pty, sys, json, select
args = json.loads(sys.argv[1]); answer = sys.argv[2]
pid, fd = pty.fork()
if pid == 0:
    os.execv(args[0], args)
seen = b""; answered = False
while True:
    r, _, _ = select.select([fd], [], [], 30)
    if not r:
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    if not answered and b"to go on" in seen:
        os.write(fd, answer.encode() + b"\n"); answered = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode("utf-8", "replace"))
sys.exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))
"#;
    let mut argv = vec![env!("CARGO_BIN_EXE_slack-sessions").to_owned()];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let out = Command::new("python3")
        .args(["-c", DRIVER, &serde_json::to_string(&argv).unwrap(), answer])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .output()
        .expect("python3 runs the pseudo-terminal driver");
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn a_terminal_is_asked_for_the_number_of_users() {
    let slack = FakeSlack::start(3);
    let ids = temp("tty.txt", "W1\nW2\n");
    let path = ids.to_str().unwrap();

    let (code, seen) = through_a_terminal(&slack, &["reset-many", path], "3");
    assert_eq!(code, 2, "{seen}");
    assert!(seen.contains("plan: log out 2 user(s)"), "{seen}");
    assert!(
        seen.contains("type 2 (the number of users) or yes to go on"),
        "{seen}"
    );
    assert!(seen.contains("not confirmed"), "{seen}");
    assert_eq!(writes(&slack), 0);

    let (code, seen) = through_a_terminal(&slack, &["reset-many", path], "2");
    assert_eq!(code, 0, "{seen}");
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (1, 1));

    let (code, seen) = through_a_terminal(&slack, &["find", "--user", "W3", "--invalidate"], "yes");
    assert_eq!(code, 0, "{seen}");
    assert!(
        seen.contains("plan: invalidate 2 session(s) of 1 user(s)"),
        "{seen}"
    );
    assert!(slack.sessions("W3").is_empty());
}

/// The README's scenario: Alice (W0ALICE, alice@example.com) on two workspaces, her
/// password in the attacker's hands; the attacker's sessions come from 203.0.113.0/24 and
/// 2001:db8:bad::/48, one of them on Bob's (W3) account too.
fn readme_org() -> FakeSlack {
    let slack = FakeSlack::start(3);
    slack.with(|s| {
        s.users.insert(
            "W0ALICE".into(),
            support::slack::User {
                team_id: "T1".into(),
                workspaces: vec!["T2".into()],
                sessions: vec![9001, 9002, 9003],
                email: "alice@example.com".into(),
                ..support::slack::User::default()
            },
        );
        let mac = r#"{"device_hardware":"MacBook Pro","os":"Mac OS","os_version":"14.5","slack_client_version":"4.41.105","ip":"198.51.100.20"}"#;
        let win = r#"{"device_hardware":"Desktop","os":"Windows","os_version":"10","slack_client_version":"4.29.149","ip":"203.0.113.50"}"#;
        let phone = r#"{"device_hardware":"iPhone","os":"iOS","os_version":"17.5","slack_client_version":"24.06.10","ip":"2001:db8:bad::1"}"#;
        let d = &mut s.details;
        d.insert(9001, SessionDetail { created: Some(mac.into()), recent: Some(mac.into()), ..SessionDetail::default() });
        d.insert(9002, SessionDetail { team_id: Some("T2".into()), created: Some(win.into()), recent: Some(win.into()), ..SessionDetail::default() });
        d.insert(9003, SessionDetail { created: Some(phone.into()), no_recent: true, ..SessionDetail::default() });
        d.insert(302, SessionDetail { created: Some(mac.into()), recent: Some(win.replace("203.0.113.50", "203.0.113.77")), ..SessionDetail::default() });
    });
    slack
}

/// Runs the README's "Responding to a compromised account" step by step: every
/// `$ slack-sessions …` line of the section, in order, against the scenario above. Each
/// must exit 0, and every output line the README shows under it must be in what the
/// command printed (`…` stands for text that varies, like a duration). With
/// `README_DUMP=1` the real output is printed instead, to write the README from.
#[test]
fn the_readme_walkthrough_runs_as_written() {
    let readme = include_str!("../README.md");
    let start = readme
        .find("## Responding to a compromised account")
        .expect("the README has the walkthrough");
    let section = &readme[start..];
    let end = section[3..].find("\n## ").map_or(section.len(), |e| e + 3);
    let section = &section[..end];
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_block = false;
    for line in section.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        if !in_block {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push((cmd.to_owned(), Vec::new()));
        } else if let Some(step) = steps.last_mut() {
            if !line.trim().is_empty() {
                step.1.push(line.trim_end().to_owned());
            }
        }
    }
    assert!(steps.len() >= 5, "{steps:?}");
    let slack = readme_org();
    let dir = std::env::temp_dir().join(format!("slack-sessions-readme-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let dump = std::env::var_os("README_DUMP").is_some();
    for (cmd, expected) in &steps {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        assert_eq!(words[0], "slack-sessions", "{cmd}");
        let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
            .args(&words[1..])
            .current_dir(&dir)
            .env("SLACK_TOKEN", TOKEN)
            .env("SLACK_API_URL", slack.api_url())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if dump {
            println!("$ {cmd}\n{printed}");
            continue;
        }
        assert_eq!(out.status.code(), Some(0), "{cmd}\n{printed}");
        let lines: Vec<&str> = printed.lines().map(str::trim_end).collect();
        for want in expected {
            let parts: Vec<&str> = want.split('…').collect();
            let found = lines.iter().any(|got| {
                let mut rest = *got;
                parts.iter().enumerate().all(|(i, p)| match rest.find(p) {
                    Some(at) if i > 0 || at == 0 => {
                        rest = &rest[at + p.len()..];
                        true
                    }
                    _ => false,
                }) && (parts.len() > 1 || *got == want.as_str())
            });
            assert!(
                found,
                "{cmd}: the README shows\n{want}\nbut it printed\n{printed}"
            );
        }
    }
    // And the proof holds: the attacker's sessions are gone, Alice is logged out.
    assert!(slack.sessions("W0ALICE").is_empty());
    assert_eq!(slack.sessions("W3"), [301]);
}

#[test]
fn find_piped_to_head_ends_quietly() {
    // 2,000 rows: more than a pipe holds, so the reader leaves mid-listing.
    let slack = FakeSlack::start(1_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(["find", "--os", "mac"])
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.starts_with("USER"), "{first}");
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("could not write"), "{err}");
}

/// A session the command never saw active cannot be proven gone: Slack answering ok
/// (without acting) for a session on another workspace, or for a mistyped id, must not
/// read as "verified".
#[test]
fn invalidate_verify_never_claims_a_session_it_never_saw() {
    let slack = incident();
    slack.with(|s| {
        s.noop.insert("admin.users.session.invalidate".into());
    });
    // 201 is W2's session on T2; --team T1 is wrong and Slack acts on nothing.
    let (code, out, err) = run(
        &slack,
        &[
            "invalidate",
            "--user",
            "W2",
            "--session",
            "201",
            "--team",
            "T1",
            "--verify",
            "--verify-deadline",
            "0.3",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("verified: "), "{out}");
    assert!(out.contains("NOT verified"), "{out}");
    assert!(err.contains("listed on T2, not on --team T1"), "{err}");
    assert!(err.contains("W2/T2/201"), "{err}");

    // A mistyped id: the call is made, the result is never "verified".
    let (code, out, err) = run(
        &slack,
        &[
            "--json",
            "invalidate",
            "--user",
            "W2",
            "--session",
            "299",
            "--verify",
        ],
    );
    assert_eq!(code, 1, "{out}{err}");
    let o = &json_lines(&out)[0];
    assert_eq!(o["ok"], false);
    assert_eq!(o["error"], "not_verified");
    assert!(o["verified"].is_null(), "{o}");
    assert!(
        o["message"]
            .as_str()
            .unwrap()
            .contains("cannot verify: session 299 was not in W2's session list before the call"),
        "{o}"
    );
    let (code, out, err) = run(
        &slack,
        &["invalidate", "--user", "W2", "--session", "299", "--verify"],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert!(!out.contains("verified: "), "{out}");
    assert!(err.contains("cannot verify"), "{err}");
}

/// `find --reset --bulk` takes reset-many's verification options: a bulk job that never
/// acts is caught by the --verify-deadline given, and the user gets one single reset.
#[test]
fn find_reset_bulk_honours_the_verify_deadline_and_interval() {
    let slack = incident();
    slack.with(|s| {
        s.bulk_never = ["W2"].map(String::from).into();
    });
    let (code, _, err) = run(
        &slack,
        &[
            "find",
            "--ip",
            "203.0.113.0/24",
            "--reset",
            "--bulk",
            "--yes",
            "--verify-deadline",
            "0.5",
            "--verify-interval",
            "0.1",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 1);
    assert_eq!(slack.calls("admin.users.session.reset"), 1, "{err}");
    assert!(slack.sessions("W2").is_empty());

    // --mobile-only reaches the reset too.
    slack.with(|s| {
        s.mobile.insert(301);
    });
    let (code, _, err) = run(
        &slack,
        &["find", "--user", "W3", "--reset", "--mobile-only", "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(slack.sessions("W3"), [302], "the laptop stays: {err}");

    // Options that would do nothing are refused before any call.
    let before = slack.server.received().len();
    for args in [
        vec!["find", "--ip", "10.0.0.1", "--verify-deadline", "5"],
        vec![
            "find",
            "--ip",
            "10.0.0.1",
            "--invalidate",
            "--no-verify",
            "--verify-deadline",
            "5",
        ],
        vec!["find", "--ip", "10.0.0.1", "--mobile-only"],
    ] {
        let (code, _, err) = run(&slack, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
    assert_eq!(slack.server.received().len(), before);
}

/// A user id no one holds is refused, not "0 matched" after a walk of the org.
#[test]
fn find_an_unknown_user_id_says_so() {
    let slack = incident();
    let (code, out, err) = run(&slack, &["find", "--user", "W0ALCE"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("user_not_found") || err.contains("W0ALCE"),
        "{err}"
    );
    assert!(!err.contains("0 session(s) of 0 user(s) matched"), "{err}");
    let (code, out, _) = run(&slack, &["--json", "find", "--user", "W0ALCE"]);
    assert_eq!(code, 1);
    let o = &json_lines(&out)[0];
    assert_eq!(o["ok"], false);
    assert_eq!(o["error"], "user_not_found");
    // A known user whose sessions do not match the other filters: 0 matched, exit 0.
    let (code, _, err) = run(&slack, &["find", "--user", "W3", "--os", "Plan 9"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("0 session(s) of 0 user(s) matched"), "{err}");
}

/// Under --not-ip ("outside our VPN") a session whose address cannot be read is not
/// matched, but never left out silently; an IPv4-mapped range is the IPv4 range.
#[test]
fn unreadable_addresses_are_counted_and_mapped_ranges_match() {
    let slack = incident();
    slack.with(|s| {
        s.details.insert(
            302,
            SessionDetail {
                created: Some(r#"{"os":"Windows","ip":"unknown"}"#.into()),
                no_recent: true,
                ..SessionDetail::default()
            },
        );
        s.details.insert(
            401,
            SessionDetail {
                created: Some(device("::ffff:203.0.113.5", "Linux", "4.30.0")),
                no_recent: true,
                ..SessionDetail::default()
            },
        );
    });
    let (code, out, err) = run(&slack, &["find", "--not-ip", "10.0.0.0/8", "--csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(",302,"), "{out}");
    assert!(
        err.contains(
            "warning: 1 session(s) otherwise matching had no readable address under --ip-from any"
        ),
        "{err}"
    );
    let (code, out, err) = run(&slack, &["find", "--ip", "::ffff:203.0.113.0/120", "--csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("W4,T1,401,"), "{out}");
}

/// Values that are neither a Slack user id nor an email address are refused before any
/// call, by line or by row and column; an empty CSV names the column it was asked for.
#[test]
fn reset_many_refuses_values_that_are_no_user_before_any_call() {
    let slack = FakeSlack::start(3);
    let ids = temp("odd-ids.txt", "W1\nx\nalice.example.com\nw5bob\n");
    let (code, out, err) = run(&slack, &["reset-many", ids.to_str().unwrap(), "--yes"]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("3 invalid line(s)"), "{err}");
    for (line, value) in [(2, "x"), (3, "alice.example.com"), (4, "w5bob")] {
        assert!(
            err.contains(&format!("line {line}: {value:?} is neither a user id")),
            "{err}"
        );
    }
    let csv = temp(
        "odd.csv",
        "email\nw1@example.com\nalice.example.com\nw5bob\n",
    );
    let (code, _, err) = run(
        &slack,
        &[
            "reset-many",
            csv.to_str().unwrap(),
            "--column",
            "email",
            "--yes",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("row 3, email: \"alice.example.com\" is neither a user id"),
        "{err}"
    );
    assert!(err.contains("row 4, email: \"w5bob\""), "{err}");
    let empty = temp("empty.csv", "");
    let (code, _, err) = run(
        &slack,
        &["reset-many", empty.to_str().unwrap(), "--column", "email"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("in column \"email\" of"), "{err}");
    assert!(slack.server.received().is_empty());
}

/// `find --reset` leaves out the caller (unless --include-self) and the primary owner,
/// as `reset-many --all` does, and says so in the plan.
#[test]
fn find_reset_leaves_out_the_caller_and_the_primary_owner() {
    let slack = FakeSlack::start(3);
    // The caller is W1; every session (W1..W3 and the owner's) matches --not-ip 192.0.2.0/24.
    let (code, _, err) = run(
        &slack,
        &["--dry-run", "find", "--not-ip", "192.0.2.0/24", "--reset"],
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("plan: log out 2 user(s)"), "{err}");
    assert!(
        err.contains(
            "left out: W1 (you: --include-self to log yourself out too), WOWNER (the primary owner"
        ),
        "{err}"
    );
    let (code, _, err) = run(
        &slack,
        &["find", "--not-ip", "192.0.2.0/24", "--reset", "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(slack.resets("W1"), 0, "the responder keeps a console");
    assert_eq!(slack.resets("WOWNER"), 0);
    assert_eq!((slack.resets("W2"), slack.resets("W3")), (1, 1));
    let (code, _, err) = run(
        &slack,
        &["find", "--user", "W1", "--reset", "--include-self", "--yes"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(slack.resets("W1"), 1);
}

/// A run killed between its writes and its check: the resumed run sends nothing again,
/// but checks the writes the report shows done and not verified, one check line each.
#[test]
fn a_resumed_invalidate_run_verifies_the_writes_it_inherits() {
    let slack = incident();
    let report = temp("killed-report.jsonl", "");
    let line = |team: &str, id: u64| {
        format!(
            r#"{{"user_id":"W2","team_id":"{team}","session_id":{id},"ok":true,"scope":"session","method":"admin.users.session.invalidate","verified":null,"request_id":"req-0","attempts":1}}"#
        ) + "\n"
    };
    std::fs::write(&report, line("T2", 201) + &line("T1", 202)).unwrap();
    // 201 really went; 202 is still listed (Slack said ok and did not act).
    slack.with(|s| {
        s.users
            .get_mut("W2")
            .unwrap()
            .sessions
            .retain(|&x| x != 201);
    });
    let (code, _, err) = run(
        &slack,
        &[
            "find",
            "--ip",
            "203.0.113.0/24",
            "--invalidate",
            "--yes",
            "--verify-deadline",
            "0.3",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert_eq!(
        slack.calls("admin.users.session.invalidate"),
        0,
        "nothing sent again"
    );
    assert!(err.contains("still active: W2/T1/202"), "{err}");
    let lines = json_lines(&std::fs::read_to_string(&report).unwrap());
    assert_eq!(lines.len(), 4, "{lines:#?}");
    let mut checks: Vec<(u64, bool)> = lines[2..]
        .iter()
        .map(|l| {
            assert_eq!(l["method"], "admin.users.session.list");
            assert_eq!(l["verifies"], "admin.users.session.invalidate");
            (
                l["session_id"].as_u64().unwrap(),
                l["verified"].as_bool().unwrap(),
            )
        })
        .collect();
    checks.sort_unstable();
    assert_eq!(checks, [(201, true), (202, false)]);

    // Once every write is proven, a rerun has nothing left to do.
    slack.with(|s| {
        s.users
            .get_mut("W2")
            .unwrap()
            .sessions
            .retain(|&x| x != 202);
    });
    std::fs::write(&report, line("T2", 201) + &line("T1", 202)).unwrap();
    let args = [
        "find",
        "--ip",
        "203.0.113.0/24",
        "--invalidate",
        "--yes",
        "--report",
        report.to_str().unwrap(),
    ];
    let (code, _, err) = run(&slack, &args);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 verified gone"), "{err}");
    let (code, _, err) = run(&slack, &args);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("nothing matched: nothing to do"), "{err}");
    assert_eq!(
        json_lines(&std::fs::read_to_string(&report).unwrap()).len(),
        4
    );
}

/// Every `--json find` outcome is parseable JSON on stdout: no match, an unknown email
/// address, a run whose lines went to a report; an absurd --retries is refused.
#[test]
fn json_find_always_says_something() {
    let slack = incident();
    let (code, out, err) = run(&slack, &["--json", "find", "--ip", "192.0.2.1"]);
    assert_eq!(code, 0, "{err}");
    let o = &json_lines(&out)[0];
    assert_eq!(
        (o["ok"].as_bool(), o["matched"].as_u64()),
        (Some(true), Some(0))
    );

    let (code, out, _) = run(&slack, &["--json", "find", "--user", "alcie@example.com"]);
    assert_ne!(code, 0);
    let o = &json_lines(&out)[0];
    assert_eq!(o["error"], "unknown_email", "{o}");
    assert!(
        !o["message"].as_str().unwrap().contains("nothing was sent"),
        "{o}"
    );

    let report = temp("json-report.jsonl", "");
    let (code, out, err) = run(
        &slack,
        &[
            "--json",
            "find",
            "--ip",
            "203.0.113.0/24",
            "--invalidate",
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let o = &json_lines(&out)[0];
    assert_eq!(o["ok"], true);
    assert_eq!(o["invalidated"], 2, "{o}");
    assert_eq!(o["verified"], 2, "{o}");

    let before = slack.server.received().len();
    let (code, _, err) = run(
        &slack,
        &["--retries", "1000000", "find", "--ip", "10.0.0.1"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("more than 100"), "{err}");
    assert_eq!(slack.server.received().len(), before);
}

/// A report another run holds is refused before any call: no walk of the org is spent
/// on a run that cannot write.
#[test]
fn a_locked_report_is_refused_before_the_walk() {
    let slack = incident();
    let report = temp("locked-report.jsonl", "");
    let held = std::fs::OpenOptions::new()
        .append(true)
        .open(&report)
        .unwrap();
    held.try_lock().unwrap();
    let (code, _, err) = run(
        &slack,
        &[
            "find",
            "--ip",
            "203.0.113.0/24",
            "--invalidate",
            "--yes",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is in use by another run"), "{err}");
    assert!(slack.server.received().is_empty());
    drop(held);
}

/// While a `find` run holds its report, a second run is told who holds it: this
/// command, not another one.
#[test]
fn the_report_lock_names_the_find_run_holding_it() {
    let slack = incident();
    slack.with(|s| s.hang = Some(("admin.users.session.invalidate".into(), 0)));
    let report = temp("held-report.jsonl", "");
    let args = [
        "find",
        "--ip",
        "203.0.113.0/24",
        "--invalidate",
        "--yes",
        "--report",
        report.to_str().unwrap(),
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while slack.calls("admin.users.session.invalidate") == 0 {
        assert!(started.elapsed().as_secs() < 20, "the run never wrote");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let before = slack.server.received().len();
    let (code, _, err) = run(&slack, &args);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is in use by another run (pid "), "{err}");
    assert!(err.contains("(slack-sessions find))"), "{err}");
    assert_eq!(
        slack.server.received().len(),
        before,
        "no call before the lock"
    );
}

/// Issue 15, item 6/7: W3's user record names only T1 (admin.users.list), but W3 holds
/// session 302 on T2. `find --user W3` must find it; `reset W3 --verify`, with the server
/// keeping it, must not claim verified. On the old code find read T1 only ("1 session"),
/// and reset said "verified: 1 session(s) gone", exit 0, while 302 was still listed.
#[test]
fn a_session_on_a_workspace_the_user_record_omits_is_found_and_watched() {
    let slack = FakeSlack::start(4);
    slack.with(|s| {
        s.details.insert(
            302,
            SessionDetail {
                team_id: Some("T2".into()),
                ..SessionDetail::default()
            },
        );
        s.kept.insert(302);
    });
    let (code, out, err) = run(&slack, &["--json", "find", "--user", "W3"]);
    assert_eq!(code, 0, "{err}");
    let found: HashSet<(String, u64)> = json_lines(&out)
        .iter()
        .map(|o| {
            (
                o["team_id"].as_str().unwrap().to_owned(),
                o["session_id"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(found.contains(&("T2".to_owned(), 302)), "{out}");

    let (code, out, err) = run(
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
    let result = &json_lines(&out)[0];
    assert_ne!(code, 0, "{out}\n{err}");
    assert_ne!(result["verified"], true, "{out}");
    assert!(
        result["still_active"].to_string().contains("W3/T2/302"),
        "{out}"
    );
    assert_eq!(slack.sessions("W3"), [302]);
}
