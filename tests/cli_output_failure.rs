//! Exit 3 (stdout could not be written) after a write Slack accepted still says what
//! was done: `reset`, `invalidate`, `settings clear`, with and without `--json`/--verify.

mod support;

use std::process::{Command, Stdio};

use support::slack::{FakeSlack, TOKEN};

fn to_dev_full(slack: &FakeSlack, args: &[&str]) -> (i32, String) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(args)
        .env("SLACK_TOKEN", TOKEN)
        .env("SLACK_API_URL", slack.api_url())
        .env_remove("SLACK_TOKEN_FILE")
        .stdin(Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains(TOKEN));
    (out.status.code().unwrap(), stderr)
}

#[test]
fn a_write_whose_result_cannot_be_printed_is_still_told() {
    if !std::path::Path::new("/dev/full").exists() {
        eprintln!("no /dev/full here: skipped");
        return;
    }
    let cases: [&[&str]; 6] = [
        &["reset", "W2"],
        &["--json", "reset", "W2"],
        &["reset", "W2", "--verify", "--verify-deadline", "5"],
        &["invalidate", "--user", "W2", "--session", "202"],
        &["settings", "clear", "W2"],
        &["--json", "settings", "clear", "W2"],
    ];
    for args in cases {
        let slack = FakeSlack::start(2);
        let (code, stderr) = to_dev_full(&slack, args);
        assert_eq!(code, 3, "{args:?}: {stderr}");
        assert!(
            stderr.contains("could not write to stdout"),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("the call itself was made and answered ok:")
                && stderr.contains("request id req-"),
            "{args:?} must say the write happened: {stderr}"
        );
    }
}
