//! Dry runs against a recording loopback Slack: every command's dry run makes zero
//! requests, except the read calls it names (email lookups with a token; `--all`'s walk,
//! which needs a real token), and shows every user it would touch.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use support::slack::{FakeSlack, TOKEN};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `--dry-run ARGS` against `slack`, with the token or without one.
fn dry(slack: &FakeSlack, token: bool, args: &[&str]) -> Out {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.arg("--dry-run")
        .args(args)
        .env_remove("SLACK_TOKEN")
        .env("SLACK_API_URL", slack.api_url());
    if token {
        cmd.env("SLACK_TOKEN", TOKEN);
    }
    let out = cmd.output().unwrap();
    let out = Out {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!out.stdout.contains("SECRET") && !out.stderr.contains("SECRET"));
    out
}

/// The Slack methods the server was asked for, in order.
fn methods(slack: &FakeSlack) -> Vec<String> {
    slack
        .server
        .received()
        .iter()
        .map(|r| r.target.rsplit('/').next().unwrap().to_owned())
        .collect()
}

fn write_ids(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("dry-{name}-{}.txt", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect()
}

#[test]
fn every_command_dry_run_sends_nothing_with_or_without_a_token() {
    let ids = write_ids("plain", "W1\nW2\n");
    let csv = write_ids("csv", "id,team\nW1,T1\nW2,T1\n");
    let commands: Vec<Vec<&str>> = vec![
        vec!["reset", "W1"],
        vec!["reset", "W1", "--web-only"],
        vec!["invalidate", "--user", "W1", "--session", "101"],
        vec![
            "invalidate",
            "--user",
            "W1",
            "--team",
            "T1",
            "--session",
            "101",
        ],
        vec!["list"],
        vec!["list", "--user", "W1", "--team", "T1", "--limit", "10"],
        vec!["settings", "get", "W1", "W2"],
        vec!["settings", "set", "W1", "--duration", "86400"],
        vec!["settings", "clear", "W1"],
        vec!["reset-many", &ids],
        vec!["reset-many", &ids, "--bulk", "--mobile-only"],
        vec!["reset-many", &csv, "--column", "id"],
        vec!["reset", "W1", "--verify"],
        vec!["invalidate", "--user", "W1", "--session", "101", "--verify"],
    ];
    for token in [false, true] {
        for args in &commands {
            for json in [false, true] {
                let slack = FakeSlack::start(2);
                let mut all = args.clone();
                if json {
                    all.insert(0, "--json");
                }
                let out = dry(&slack, token, &all);
                assert_eq!(out.code, 0, "{all:?}: {}", out.stderr);
                assert_eq!(
                    methods(&slack),
                    Vec::<String>::new(),
                    "{all:?} token={token}"
                );
                assert!(out.stdout.contains("POST http") || json, "{all:?}");
                if json {
                    let lines = json_lines(&out.stdout);
                    assert!(!lines.is_empty(), "{all:?}");
                    for l in &lines {
                        assert_eq!(
                            (&l["ok"], &l["dry_run"]),
                            (&Value::Bool(true), &Value::Bool(true)),
                            "{l}"
                        );
                    }
                    assert!(lines[0]["request"]["url"]
                        .as_str()
                        .unwrap()
                        .starts_with("http://127.0.0.1"));
                    assert_eq!(
                        lines[0]["request"]["headers"]["authorization"],
                        "Bearer [redacted]"
                    );
                }
            }
        }
    }
}

#[test]
fn an_email_is_resolved_only_with_a_token_and_never_shown_as_sent() {
    for args in [
        vec!["reset", "w2@example.com"],
        vec!["invalidate", "--user", "w2@example.com", "--session", "201"],
        vec!["settings", "set", "w2@example.com", "--duration", "86400"],
        vec!["settings", "get", "W1", "w2@example.com"],
        vec!["settings", "clear", "w2@example.com"],
    ] {
        let slack = FakeSlack::start(2);
        let out = dry(&slack, false, &args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(methods(&slack).is_empty(), "{args:?}");
        assert!(!out.stdout.contains("w2%40example.com"), "{}", out.stdout);
        assert!(
            out.stdout.contains("<id of w2@example.com>"),
            "{}",
            out.stdout
        );
        assert!(
            out.stderr.contains("will be resolved to a user id first"),
            "{}",
            out.stderr
        );

        let out = dry(&slack, true, &args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert_eq!(methods(&slack), ["users.lookupByEmail"], "{args:?}");
        assert!(out.stdout.contains("W2"), "{}", out.stdout);
        assert!(!out.stdout.contains("example.com"), "{}", out.stdout);
        assert!(
            out.stderr.contains("w2@example.com is W2"),
            "{}",
            out.stderr
        );

        let mut json = vec!["--json"];
        json.extend(&args);
        let out = dry(&slack, false, &json);
        let v = &json_lines(&out.stdout)[0];
        assert_eq!(v["emails"][0]["email"], "w2@example.com", "{v}");
        assert_eq!(v["emails"][0]["user_id"], Value::Null, "{v}");
        assert!(!v.to_string().contains("w2%40example.com"), "{v}");
    }
}

#[test]
fn reset_many_dry_run_lists_every_user_resolved_or_marked() {
    let ids = write_ids("emails", "W1\nw2@example.com\nnobody-yet@example.com\nW3\n");
    let slack = FakeSlack::start(3);
    let out = dry(&slack, false, &["reset-many", &ids]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(methods(&slack).is_empty());
    let users: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("# the 4 user(s)"))
        .skip(1)
        .collect();
    assert_eq!(users.len(), 4, "{}", out.stdout);
    assert_eq!(users[0], "W1");
    assert!(
        users[1].starts_with("w2@example.com\t(unresolved"),
        "{users:?}"
    );
    assert!(
        users[2].starts_with("nobody-yet@example.com\t(unresolved"),
        "{users:?}"
    );
    assert_eq!(users[3], "W3");
    assert!(!out.stdout.contains("%40"), "{}", out.stdout);

    // With a token the addresses are looked up (read calls only) and shown with their id.
    let ids = write_ids("emails2", "W1\nw2@example.com\nW3\n");
    let out = dry(&slack, true, &["--json", "reset-many", &ids]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(methods(&slack), ["users.lookupByEmail"]);
    let lines = json_lines(&out.stdout);
    assert_eq!(lines[0]["users"], 3);
    let users: Vec<(&str, Option<&str>)> = lines[1..]
        .iter()
        .map(|l| (l["user_id"].as_str().unwrap(), l["email"].as_str()))
        .collect();
    assert_eq!(
        users,
        [("W1", None), ("W2", Some("w2@example.com")), ("W3", None)]
    );
}

#[test]
fn all_dry_run_needs_a_real_token_and_makes_only_the_read_calls_it_names() {
    let slack = FakeSlack::start(4);
    for json in [false, true] {
        let mut args = vec!["reset-many", "--all", "--bulk"];
        if json {
            args.insert(0, "--json");
        }
        let out = dry(&slack, false, &args);
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(out.stderr.contains("SLACK_TOKEN"), "{}", out.stderr);
        if json {
            assert_eq!(json_lines(&out.stdout)[0]["error"], "no_token");
        }
        assert!(
            methods(&slack).is_empty(),
            "no request without a real token"
        );
    }

    let out = dry(&slack, true, &["--json", "reset-many", "--all", "--bulk"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let called: BTreeSet<String> = methods(&slack).into_iter().collect();
    assert_eq!(
        called,
        BTreeSet::from(["auth.test".to_owned(), "admin.users.list".to_owned()])
    );
    assert!(
        out.stderr.contains("auth.test") && out.stderr.contains("admin.users.list"),
        "the dry run says which read calls it makes: {}",
        out.stderr
    );
    let lines = json_lines(&out.stdout);
    let users: BTreeSet<&str> = lines[1..]
        .iter()
        .map(|l| l["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        users,
        BTreeSet::from(["W2", "W3", "W4"]),
        "every user it would touch"
    );
    assert_eq!(lines[0]["method"], "admin.users.session.resetBulk");
}

#[test]
fn a_dry_run_with_a_report_reads_it_but_creates_nothing() {
    let slack = FakeSlack::start(2);
    let ids = write_ids("rep", "W1\nW2\n");
    let report = std::env::temp_dir().join(format!("dry-report-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&report);
    let out = dry(
        &slack,
        false,
        &["reset-many", &ids, "--report", report.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!report.exists(), "a dry run wrote {}", report.display());
    assert!(methods(&slack).is_empty());
}

#[test]
fn find_dry_run_makes_only_the_session_list_reads_and_needs_a_token() {
    let slack = FakeSlack::start(3);
    let args = ["find", "--ip", "10.0.0.0/8", "--invalidate"];
    let out = dry(&slack, false, &args);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("SLACK_TOKEN"), "{}", out.stderr);
    assert!(methods(&slack).is_empty());

    let out = dry(&slack, true, &args);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let called: BTreeSet<String> = methods(&slack).into_iter().collect();
    assert_eq!(
        called,
        BTreeSet::from(["admin.users.session.list".to_owned()])
    );
}
