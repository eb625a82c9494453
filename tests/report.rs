//! The `reset-many` report as evidence, through the binary: a torn last line is torn
//! whatever its bytes, only regular files are reports, one run at a time holds a report,
//! and lines that contradict themselves are not trusted (and named by line number).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::slack::{FakeSlack, TOKEN};
use support::{Reply, TestServer};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("report-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cli(url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run(url: &str, args: &[&str]) -> (i32, String, String) {
    let out: Output = cli(url, args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ids(dir: &Path, ids: &[&str]) -> String {
    let p = dir.join("ids.txt");
    std::fs::write(&p, ids.join("\n") + "\n").unwrap();
    p.to_str().unwrap().to_owned()
}

const DONE_W1: &str = r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"request_id":"req-1","attempts":1}"#;

#[test]
fn a_torn_last_line_that_splits_a_character_is_torn_and_every_later_run_goes_on() {
    let slack = FakeSlack::start(3);
    let d = dir("torn");
    let report = d.join("report.jsonl");
    // Killed mid-write, in the middle of a two-byte character.
    let mut bytes = format!("{DONE_W1}\n").into_bytes();
    bytes.extend_from_slice(b"{\"user_id\":\"W\xc3");
    std::fs::write(&report, &bytes).unwrap();
    let list = ids(&d, &["W1", "W2"]);
    let r = report.to_str().unwrap();
    let (code, _, stderr) = run(
        &slack.api_url(),
        &["reset-many", "--yes", "--report", r, &list],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("the last line of"), "{stderr}");
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (0, 1));
    // The torn bytes stay as evidence, ended by a newline; the next run reads past them.
    let list = ids(&d, &["W1", "W2", "W3"]);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &["reset-many", "--yes", "--report", r, &list],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("line 2 of"), "{stderr}");
    assert_eq!(
        (slack.resets("W1"), slack.resets("W2"), slack.resets("W3")),
        (0, 1, 1)
    );
    let after = std::fs::read(&report).unwrap();
    assert!(after.starts_with(&bytes), "the torn line is kept");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn only_regular_files_are_reports_and_nothing_is_sent_otherwise() {
    let slack = FakeSlack::start(2);
    let d = dir("special");
    let list = ids(&d, &["W1"]);
    let fifo = d.join("fifo");
    let made_fifo = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let mut specials = vec!["/dev/zero".to_owned(), d.to_str().unwrap().to_owned()];
    if made_fifo {
        specials.push(fifo.to_str().unwrap().to_owned());
    }
    for special in &specials {
        for flag in ["--report", "--skip-done"] {
            let started = Instant::now();
            let (code, _, stderr) = run(
                &slack.api_url(),
                &["reset-many", "--yes", flag, special, &list],
            );
            assert_ne!(code, 0, "{flag} {special}: {stderr}");
            assert!(
                stderr.contains("not a regular file"),
                "{flag} {special}: {stderr}"
            );
            // Refused at once, not after reading: a generous bound against a hang.
            assert!(started.elapsed() < Duration::from_secs(30));
        }
    }
    assert_eq!(slack.resets("W1"), 0);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_second_run_on_a_locked_report_is_refused_and_told_who_holds_it() {
    let release = Arc::new(AtomicBool::new(false));
    let hold = release.clone();
    let server = TestServer::start(move |_| {
        while !hold.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        Reply::json(200, r#"{"ok":true}"#)
    });
    let url = server.api_url();
    let d = dir("lock");
    let report = d.join("report.jsonl");
    let r = report.to_str().unwrap();
    let list = ids(&d, &["W1", "W2"]);
    let first = cli(
        &url,
        &[
            "--timeout",
            "120",
            "reset-many",
            "--yes",
            "--report",
            r,
            &list,
        ],
    )
    .spawn()
    .unwrap();
    let pid = first.id();
    // The first run holds the lock once it has said so next to the report.
    let note = d.join("report.jsonl.lock");
    let waited = Instant::now();
    while !note.exists() {
        if waited.elapsed() > Duration::from_secs(60) {
            release.store(true, Ordering::SeqCst);
            let out = first.wait_with_output().unwrap();
            panic!("no lock note: {}", String::from_utf8_lossy(&out.stderr));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let (code, _, stderr) = run(&url, &["reset-many", "--yes", "--report", r, &list]);
    release.store(true, Ordering::SeqCst);
    let out = first.wait_with_output().unwrap();
    assert_ne!(code, 0, "{stderr}");
    assert!(
        stderr.contains("in use by another run") && stderr.contains(&format!("(pid {pid} on ")),
        "{stderr}"
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two users, two resets: the refused run sent nothing.
    assert_eq!(server.received().len(), 2);
    assert!(!note.exists(), "the note goes with the lock");
    let lines = std::fs::read_to_string(&report).unwrap();
    assert_eq!(lines.lines().count(), 2, "{lines}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn lines_that_contradict_themselves_are_not_trusted_and_named() {
    let slack = FakeSlack::start(5);
    let d = dir("contradict");
    let report = d.join("report.jsonl");
    let text = [
        r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":false,"error":"user_not_found","request_id":"req-1","attempts":1}"#,
        r#"{"user_id":"W2","ok":false,"ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":false,"error":null,"request_id":"req-2","attempts":1}"#,
        r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":true,"request_id":null,"attempts":1}"#,
        &DONE_W1.replace("W1", "W4"),
    ]
    .join("\n")
        + "\n";
    std::fs::write(&report, &text).unwrap();
    let list = ids(&d, &["W1", "W2", "W3", "W4"]);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &[
            "reset-many",
            "--yes",
            "--report",
            report.to_str().unwrap(),
            &list,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    for (line, why) in [
        ("line 1 of", "with an \"error\""),
        ("line 2 of", "give a key twice"),
        ("line 3 of", "without a request id"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(line) && l.contains(why)),
            "{line} {why}: {stderr}"
        );
    }
    let resets: Vec<u32> = ["W1", "W2", "W3", "W4"]
        .iter()
        .map(|u| slack.resets(u))
        .collect();
    assert_eq!(resets, [1, 1, 1, 0], "only W4's line is trusted as done");
    let _ = std::fs::remove_dir_all(&d);
}

/// Issue 15 item 11: a line trusted as done carries a request id, a check that did not
/// fail, and no `error` key; the others are named by line and their users done again.
#[test]
fn forged_or_contradictory_lines_are_done_again_and_named() {
    let slack = FakeSlack::start(4);
    let d = dir("forged");
    let report = d.join("report.jsonl");
    let lines = [
        // No request id, though "verified": true.
        r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":true}"#,
        // The check failed.
        r#"{"user_id":"W2","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":false,"detail":"sessions still listed","request_id":"req-2"}"#,
        // ok with an error key, even empty.
        r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"error":"","request_id":"req-3"}"#,
        DONE_W1.replace("W1", "W4").as_str(),
    ]
    .join("\n")
        + "\n";
    std::fs::write(&report, lines).unwrap();
    let list = ids(&d, &["W1", "W2", "W3", "W4"]);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &[
            "reset-many",
            "--yes",
            "--report",
            report.to_str().unwrap(),
            &list,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        ["W1", "W2", "W3", "W4"].map(|u| slack.resets(u)),
        [1, 1, 1, 0],
        "{stderr}"
    );
    for named in ["line 1 of", "line 2 of", "line 3 of"] {
        assert!(stderr.contains(named), "{named}: {stderr}");
    }
}

/// Issue 15 item 13: a symlink planted as `FILE.lock` is never followed nor deleted.
#[test]
fn a_symlink_planted_as_the_lock_note_is_neither_followed_nor_deleted() {
    let slack = FakeSlack::start(2);
    let d = dir("symlink-note");
    let victim = d.join("victim.conf");
    std::fs::write(&victim, "precious\n").unwrap();
    let report = d.join("new.jsonl");
    let note = d.join("new.jsonl.lock");
    std::os::unix::fs::symlink(&victim, &note).unwrap();
    let list = ids(&d, &["W1", "W2"]);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &[
            "reset-many",
            "--yes",
            "--report",
            report.to_str().unwrap(),
            &list,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    assert!(
        std::fs::symlink_metadata(&note).is_ok_and(|m| m.file_type().is_symlink()),
        "the link was deleted"
    );
    assert!(stderr.contains("symbolic link"), "{stderr}");
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (1, 1));
    let _ = std::fs::remove_dir_all(&d);
}

/// Issue 15 item 12: `--skip-done FILE` is refused while another run holds FILE.
#[test]
fn skip_done_refuses_a_report_another_run_holds() {
    let slack = FakeSlack::start(2);
    let d = dir("skip-done-held");
    let report = d.join("c.jsonl");
    std::fs::write(&report, format!("{DONE_W1}\n")).unwrap();
    // Run A: holds the report's lock, as `--report c.jsonl` does.
    let held = std::fs::File::open(&report).unwrap();
    held.lock().unwrap();
    let list = ids(&d, &["W1", "W2"]);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &[
            "reset-many",
            "--yes",
            "--skip-done",
            report.to_str().unwrap(),
            &list,
        ],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("in use by another run"), "{stderr}");
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (0, 0));
    drop(held);
    let (code, _, stderr) = run(
        &slack.api_url(),
        &[
            "reset-many",
            "--yes",
            "--skip-done",
            report.to_str().unwrap(),
            &list,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!((slack.resets("W1"), slack.resets("W2")), (0, 1));
    let _ = std::fs::remove_dir_all(&d);
}
