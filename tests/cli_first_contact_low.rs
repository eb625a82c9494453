//! Small first-contact fixes, through the binary: a negative `--session` gets the
//! session-id parser's words, and help never shows an environment variable's value.

mod support;

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
        .args(args)
        .env_remove("SLACK_TOKEN")
        .env_remove("SLACK_TOKEN_FILE")
        .env("SLACK_API_URL", "http://127.0.0.1:9/api/")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_negative_session_id_is_explained() {
    let (code, _, stderr) = run(&["invalidate", "--user", "W1", "--session", "-5"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("\"-5\" is not a session id"), "{stderr}");
    assert!(!stderr.contains("unexpected argument"), "{stderr}");
}

#[test]
fn help_shows_no_env_value() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("[env: SLACK_TOKEN_FILE]"), "{stdout}");
    assert!(!stdout.contains("SLACK_TOKEN_FILE="), "{stdout}");
}

#[test]
fn a_zero_rate_and_a_proxy_that_is_no_url_are_refused_before_any_call() {
    let (code, _, stderr) = run(&["reset-many", "--rate", "0", "--yes", "-"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("at least 1"), "{stderr}");
    let (code, _, stderr) = run(&["--proxy", "notaurl", "reset", "W1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("\"notaurl\" is not a proxy URL"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["--proxy", "http://127.0.0.1:9", "--dry-run", "reset", "W1"]);
    assert_eq!(code, 0, "a proxy URL is accepted: {stderr}");
}

#[test]
fn an_api_url_without_api_path_is_hinted_once() {
    let slack = support::slack::FakeSlack::start(1);
    let base = slack.api_url();
    let base = base.trim_end_matches('/').trim_end_matches("/api");
    for json in [true, false] {
        let mut args = vec!["--retries", "0", "--api-url", base, "reset", "W1"];
        if json {
            args.insert(0, "--json");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
            .args(&args)
            .env("SLACK_TOKEN", support::slack::TOKEN)
            .env_remove("SLACK_TOKEN_FILE")
            .env_remove("SLACK_API_URL")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let hints = all.matches("has no /api/ path").count();
        assert!(hints >= 1, "{all}");
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            for line in text.lines() {
                assert!(line.matches("has no /api/ path").count() <= 1, "{line}");
            }
        }
    }
}

#[test]
fn a_decode_error_names_the_slack_method_not_a_rust_type() {
    let slack = support::slack::FakeSlack::start(1);
    for json in [true, false] {
        slack.misbehave(support::Reply::json(
            200,
            r#"{"ok":true,"session_settings":[{"user_id":7}]}"#,
        ));
        let mut args = vec!["--retries", "0", "settings", "get", "W1"];
        if json {
            args.insert(0, "--json");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_slack-sessions"))
            .args(&args)
            .env("SLACK_TOKEN", support::slack::TOKEN)
            .env("SLACK_API_URL", slack.api_url())
            .env_remove("SLACK_TOKEN_FILE")
            .output()
            .unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{all}");
        assert!(all.contains("admin.users.session.getSettings"), "{all}");
        assert!(!all.contains("slack_sessions::"), "{all}");
    }
}
