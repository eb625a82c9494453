//! The `slack-sessions` binary with a rotating token, against the loopback server's
//! `oauth.v2.access` (single-use refresh tokens, access tokens living seconds): the token
//! file is created from the environment, then is the one source of the pair; every new
//! pair is in the file before its access token is used; a long reset-many survives a
//! renewal; a pair that cannot be written says what was lost and how to recover; no
//! secret is ever printed.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use support::rotation::{Rotation, CLIENT_ID, CLIENT_SECRET};
use support::slack::FakeSlack;

fn server(users: u32, lifetime: Duration) -> FakeSlack {
    let slack = FakeSlack::start(users);
    slack.with(|s| s.rotation = Some(Rotation::new(lifetime)));
    slack
}

/// (first access token, first refresh token) of the server.
fn first_pair(slack: &FakeSlack) -> (String, String) {
    slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (r.first_access.clone(), r.refresh.clone())
    })
}

/// Every secret the server knows of: all access tokens, the refresh tokens, the secret.
fn secrets(slack: &FakeSlack) -> Vec<String> {
    slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        let mut all: Vec<String> = r.access.keys().cloned().collect();
        all.extend(r.spent.iter().cloned());
        all.push(r.refresh.clone());
        all.push(CLIENT_SECRET.to_owned());
        all
    })
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "slack-sessions-rotation-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the CLI with the rotation environment; checks no secret is printed.
fn run(slack: &FakeSlack, env: &[(&str, &str)], args: &[&str]) -> (i32, String, String) {
    let out = command(slack, env, args).output().unwrap();
    checked(slack, out)
}

/// The CLI with the rotation environment, not started.
fn command(slack: &FakeSlack, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slack-sessions"));
    cmd.args(args)
        .env_remove("SLACK_TOKEN")
        .env_remove("SLACK_REFRESH_TOKEN")
        .env_remove("SLACK_TOKEN_FILE")
        .env("SLACK_API_URL", slack.api_url())
        .env("SLACK_CLIENT_ID", CLIENT_ID)
        .env("SLACK_CLIENT_SECRET", CLIENT_SECRET);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The exit code, stdout and stderr of a finished run; checks no secret is printed.
fn checked(slack: &FakeSlack, out: std::process::Output) -> (i32, String, String) {
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    for secret in secrets(slack) {
        for w in secret.as_bytes().windows(12) {
            let w = std::str::from_utf8(w).unwrap();
            assert!(
                !stdout.contains(w) && !stderr.contains(w),
                "{w:?} leaked: {stdout}{stderr}"
            );
        }
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    (out.status.code().unwrap(), stdout, stderr)
}

/// Makes `dir` refuse new files, even to root (`chattr +i`, when allowed), else by its
/// mode (enough for anyone else). `true` when `chattr` did it.
fn freeze(dir: &Path) -> bool {
    let chattr = Command::new("chattr")
        .arg("+i")
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    if !chattr {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500)).unwrap();
    }
    chattr
}

fn thaw(dir: &Path, chattr: bool) {
    if chattr {
        assert!(Command::new("chattr")
            .arg("-i")
            .arg(dir)
            .status()
            .unwrap()
            .success());
    } else {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}

fn stored(file: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap()
}

fn mode(file: &Path) -> u32 {
    std::fs::metadata(file).unwrap().permissions().mode() & 0o777
}

/// How many oauth.v2.access requests carried this refresh token.
fn sent_refresh(slack: &FakeSlack, refresh: &str) -> usize {
    slack
        .server
        .received()
        .iter()
        .filter(|r| r.target == "/api/oauth.v2.access" && r.body_str().contains(refresh))
        .count()
}

fn expire_all(slack: &FakeSlack) {
    slack.with(|s| {
        for at in s.rotation.as_mut().unwrap().access.values_mut() {
            *at = std::time::Instant::now();
        }
    });
}

#[test]
fn a_rotating_user_token_is_a_user_token_and_a_refresh_token_is_named() {
    let slack = server(2, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    let (code, _, stderr) = run(&slack, &[("SLACK_TOKEN", &access)], &["reset", "W1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
    assert_eq!(slack.resets("W1"), 1);

    let before = slack.server.received().len();
    let (code, _, stderr) = run(&slack, &[("SLACK_TOKEN", &refresh)], &["reset", "W2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refresh token (xoxe-)"), "{stderr}");
    assert!(stderr.contains("SLACK_REFRESH_TOKEN"), "{stderr}");
    assert_eq!(slack.server.received().len(), before, "a request was sent");
}

#[test]
fn the_first_pair_comes_from_the_environment_then_the_file_alone() {
    let slack = server(3, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    expire_all(&slack); // the environment's access token has expired; its expiry is unknown
    let dir = temp_dir("first");
    let file = dir.join("pair.json");
    let file_arg = file.to_str().unwrap();
    let env = [
        ("SLACK_TOKEN", access.as_str()),
        ("SLACK_REFRESH_TOKEN", refresh.as_str()),
    ];

    let (code, _, stderr) = run(&slack, &env, &["--token-file", file_arg, "reset", "W1"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("created"), "{stderr}");
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(slack.resets("W1"), 1);
    assert_eq!(mode(&file), 0o600);
    let pair = stored(&file);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(pair["refresh_token"], server_refresh.as_str());
    assert!(
        pair["expires_at"].as_u64().unwrap()
            > SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs()
    );

    // Same environment again: the file wins, nothing is renewed (the token is fresh).
    let (code, _, stderr) = run(&slack, &env, &["--token-file", file_arg, "reset", "W2"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("using the token pair in"), "{stderr}");
    assert_eq!(slack.calls("oauth.v2.access"), 1);

    // Expired again: renewed from the file's refresh token, through SLACK_TOKEN_FILE.
    expire_all(&slack);
    let mut env_file = env.to_vec();
    env_file.push(("SLACK_TOKEN_FILE", file_arg));
    let (code, _, stderr) = run(&slack, &env_file, &["reset", "W3"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.calls("oauth.v2.access"), 2);
    assert_eq!(slack.resets("W3"), 1);
    // The environment's refresh token was sent once, when the file did not exist.
    assert_eq!(sent_refresh(&slack, &refresh), 1);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    assert_eq!(mode(&file), 0o600);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_token_file_open_to_others_is_refused_before_any_call() {
    let slack = server(1, Duration::from_secs(30));
    let dir = temp_dir("open");
    let file = dir.join("pair.json");
    let (access, refresh) = first_pair(&slack);
    std::fs::write(
        &file,
        format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":null}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (code, _, stderr) = run(
        &slack,
        &[],
        &["--token-file", file.to_str().unwrap(), "reset", "W1"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("mode 644") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    assert!(slack.server.received().is_empty());

    // A refresh token without a file to keep the next pair in is refused too.
    let (code, _, stderr) = run(
        &slack,
        &[("SLACK_TOKEN", &access), ("SLACK_REFRESH_TOKEN", &refresh)],
        &["reset", "W1"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--token-file"), "{stderr}");
    assert!(slack.server.received().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_long_reset_many_survives_renewals_mid_run() {
    let lifetime = Duration::from_secs(1);
    let slack = server(20, lifetime);
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("long");
    let file = dir.join("pair.json");
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    std::fs::write(
        &file,
        format!(
            r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":{expires}}}"#
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let users = dir.join("users.txt");
    std::fs::write(
        &users,
        (1..=20).map(|n| format!("W{n}\n")).collect::<String>(),
    )
    .unwrap();
    // 20 users at most 600 a minute: two seconds, two token lifetimes.
    let (code, stdout, stderr) = run(
        &slack,
        &[],
        &[
            "--token-file",
            file.to_str().unwrap(),
            "--json",
            "reset-many",
            users.to_str().unwrap(),
            "--rate",
            "600",
            "--yes",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let ok = lines
        .iter()
        .filter(|l| l["ok"] == true && l.get("user_id").is_some())
        .count();
    assert_eq!(ok, 20, "{stdout}");
    for n in 1..=20 {
        assert_eq!(slack.resets(&format!("W{n}")), 1, "W{n}");
    }
    let issued = slack.with(|s| s.rotation.as_ref().unwrap().issued);
    assert!(issued >= 1, "no renewal in a run across two lifetimes");
    assert_eq!(slack.calls("oauth.v2.access"), issued);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_pair_that_cannot_be_written_says_what_was_lost_and_how_to_recover() {
    let slack = server(2, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("lost");
    let file = dir.join("pair.json");
    let old =
        format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":1}}"#);
    std::fs::write(&file, &old).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    // No file can be created in the directory (the lock file beside FILE is there
    // already): the crash between renewal and storing, made certain.
    std::fs::write(dir.join("pair.json.lock"), "").unwrap();
    let frozen = freeze(&dir);
    let (code, stdout, stderr) = run(
        &slack,
        &[],
        &[
            "--token-file",
            file.to_str().unwrap(),
            "--json",
            "reset",
            "W1",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let object: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(object["ok"], false);
    assert_eq!(object["error"], "token_not_stored");
    let message = object["message"].as_str().unwrap();
    for words in [
        "spent the refresh token",
        "pair.json",
        "new pair is lost",
        "authorize the app again",
        "remove the token file",
    ] {
        assert!(message.contains(words), "{words:?} missing: {message}");
    }
    // Slack issued a pair, nothing used it, the file is as it was.
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(slack.resets("W1"), 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
    thaw(&dir, frozen);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Another run renews and rewrites the file while this one is going: this run takes the
/// file's pair when it needs a renewal, instead of spending the refresh token it read at
/// start (which Slack would refuse: the other run used it).
#[test]
fn a_run_takes_the_pair_another_run_wrote_instead_of_a_spent_refresh_token() {
    let slack = server(40, Duration::from_secs(4));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("shared");
    let file = dir.join("pair.json");
    let expires = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 4;
    std::fs::write(
        &file,
        format!(
            r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":{expires}}}"#
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let users = dir.join("users.txt");
    std::fs::write(
        &users,
        (1..=40).map(|n| format!("W{n}\n")).collect::<String>(),
    )
    .unwrap();

    // The other run: half a second in, it renews the same pair and writes the file.
    let other = {
        let (file, url, access, refresh) = (
            file.clone(),
            slack.api_url(),
            access.clone(),
            refresh.clone(),
        );
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(500));
            let token =
                slack_sessions::RotatingToken::new(access, refresh, CLIENT_ID, CLIENT_SECRET)
                    .expires_at(SystemTime::now());
            let client = slack_sessions::Client::builder(token)
                .api_url(url)
                .on_renewal(move |pair| {
                    let at = pair
                        .expires_at
                        .duration_since(UNIX_EPOCH)
                        .unwrap()
                        .as_secs();
                    let text = format!(
                        r#"{{"access_token":"{}","refresh_token":"{}","expires_at":{at}}}"#,
                        pair.access_token.secret(),
                        pair.refresh_token.secret()
                    );
                    let tmp = file.with_extension("other");
                    std::fs::write(&tmp, text)?;
                    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
                    std::fs::rename(&tmp, &file)
                })
                .build()
                .unwrap();
            client
                .send(&slack_sessions::AuthTestRequest::new())
                .unwrap();
        })
    };
    // This run: 40 users, 100 ms apart; it renews about 3 s in.
    let (code, stdout, stderr) = run(
        &slack,
        &[],
        &[
            "--token-file",
            file.to_str().unwrap(),
            "--json",
            "reset-many",
            users.to_str().unwrap(),
            "--rate",
            "600",
            "--yes",
        ],
    );
    other.join().unwrap();
    assert_eq!(code, 0, "{stderr}");
    let ok = stdout
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["ok"] == true && l.get("user_id").is_some())
        .count();
    assert_eq!(ok, 40, "{stdout}");
    // The first refresh token went to Slack once: from the other run.
    assert_eq!(sent_refresh(&slack, &refresh), 1);
    let (issued, server_refresh) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (r.issued, r.refresh.clone())
    });
    assert!(issued >= 1);
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Another local user must not catch the pair or swap the file: a link planted where the
/// old code wrote its temporary file (`.pair.json.tmp`) is not followed, a token file
/// that is a symlink is refused, and so is one in a directory others may write to (no
/// sticky bit), before any call.
#[test]
fn the_new_pair_never_goes_through_a_planted_link_or_an_open_directory() {
    let slack = server(3, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("links");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let file = dir.join("pair.json");
    // Due at once: the run renews and writes the new pair.
    let pair =
        format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":1}}"#);
    std::fs::write(&file, &pair).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loot = dir.join("loot");
    std::os::unix::fs::symlink(&loot, dir.join(".pair.json.tmp")).unwrap();
    let file_arg = file.to_str().unwrap();
    let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert!(!loot.exists(), "the new pair went through the planted link");
    let meta = std::fs::symlink_metadata(&file).unwrap();
    assert!(
        meta.file_type().is_file(),
        "{file_arg} is no longer a regular file"
    );
    assert_eq!(mode(&file), 0o600);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    // No temporary file is left behind.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") && n != ".pair.json.tmp")
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // FILE a symlink: refused, saying so.
    let link = dir.join("link.json");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let before = slack.server.received().len();
    let (code, _, stderr) = run(
        &slack,
        &[],
        &["--token-file", link.to_str().unwrap(), "reset", "W2"],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("symlink"), "{stderr}");

    // FILE in a directory everyone may write to, without the sticky bit: refused.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W2"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("other users may write to") && stderr.contains("mode 777"),
        "{stderr}"
    );
    assert_eq!(slack.server.received().len(), before, "a request was sent");
    assert_eq!(slack.resets("W2"), 0);
    // With the sticky bit (as /tmp has) others cannot replace the file: accepted.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W2"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.resets("W2"), 1);
    std::fs::remove_dir_all(dir).unwrap();
}

/// Two runs on one FILE, both due to renew at once: the second waits for the first to
/// write its new pair (a lock beside FILE), then takes that pair instead of spending the
/// same refresh token. Before, the second always died with `invalid_refresh_token` while
/// FILE held a valid pair.
#[test]
fn two_runs_on_one_file_renew_once_and_both_go_on() {
    let slack = server(3, Duration::from_secs(30));
    // Slack takes a while to answer: both runs have sent or read by then.
    slack.with(|s| s.rotation.as_mut().unwrap().answer_delay = Duration::from_millis(800));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("two");
    let file = dir.join("pair.json");
    std::fs::write(
        &file,
        format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":1}}"#),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let file_arg = file.to_str().unwrap();
    let children: Vec<_> = ["W1", "W2"]
        .into_iter()
        .map(|user| {
            command(
                &slack,
                &[],
                &["--token-file", file_arg, "--json", "reset", user],
            )
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let (code, stdout, stderr) = checked(&slack, child.wait_with_output().unwrap());
        assert_eq!(code, 0, "{stdout}{stderr}");
        let object: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
        assert_eq!(object["ok"], true, "{stdout}");
    }
    assert_eq!(slack.resets("W1"), 1);
    assert_eq!(slack.resets("W2"), 1);
    // One renewal; the first refresh token went to Slack once.
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(sent_refresh(&slack, &refresh), 1);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    std::fs::remove_dir_all(dir).unwrap();
}

/// FILE cannot be replaced (immutable: even root cannot rename over it), the directory
/// takes new files: the run tries a few times, then puts the pair in `FILE.rescue-PID`
/// (0600) and says so, instead of losing it with the process. Before, the pair was lost
/// and the message said storing it would be tried again. A FILE that becomes writable
/// while the run tries again takes the pair and the run goes on.
#[test]
fn a_pair_that_cannot_replace_the_file_is_tried_again_then_rescued() {
    let slack = server(3, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("rescue");
    let file = dir.join("pair.json");
    let old =
        format!(r#"{{"access_token":"{access}","refresh_token":"{refresh}","expires_at":1}}"#);
    std::fs::write(&file, &old).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let immutable = |on: bool| {
        Command::new("chattr")
            .arg(if on { "+i" } else { "-i" })
            .arg(&file)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !immutable(true) {
        eprintln!("chattr +i is not allowed here: this test needs it");
        assert_ne!(uid(), 0, "root without chattr");
        return;
    }
    let file_arg = file.to_str().unwrap();
    let (code, stdout, stderr) = run(
        &slack,
        &[],
        &["--token-file", file_arg, "--json", "reset", "W1"],
    );
    assert!(immutable(false));
    assert_eq!(code, 1, "{stderr}");
    let object: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(object["error"], "token_not_stored");
    let message = object["message"].as_str().unwrap();
    assert!(stderr.contains("trying again"), "{stderr}");
    let rescues: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("pair.json.rescue-"))
        .collect();
    assert_eq!(rescues.len(), 1, "{rescues:?}");
    let rescue = &rescues[0];
    assert_eq!(mode(rescue), 0o600);
    for words in [
        "spent the refresh token",
        "tried 4 times",
        "saved to",
        rescue.to_str().unwrap(),
        "mv ",
    ] {
        assert!(message.contains(words), "{words:?} missing: {message}");
    }
    assert!(!message.contains("lost"), "{message}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), old);
    assert_eq!(slack.resets("W1"), 0);
    // Following the message recovers: the rescued pair works, no new authorization.
    std::fs::rename(rescue, &file).unwrap();
    let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(slack.resets("W1"), 1);
    assert_eq!(slack.calls("oauth.v2.access"), 1);

    // FILE can be replaced again while the run waits: the pair goes to FILE.
    expire_all(&slack);
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace(r#""expires_at": "#, r#""expires_at": 1, "x": "#),
    )
    .unwrap();
    assert!(immutable(true));
    let thaw = {
        let file = file.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            Command::new("chattr")
                .arg("-i")
                .arg(&file)
                .status()
                .unwrap()
        })
    };
    let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W2"]);
    assert!(thaw.join().unwrap().success());
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("trying again"), "{stderr}");
    assert_eq!(slack.resets("W2"), 1);
    let server_refresh = slack.with(|s| s.rotation.as_ref().unwrap().refresh.clone());
    assert_eq!(stored(&file)["refresh_token"], server_refresh.as_str());
    std::fs::remove_dir_all(dir).unwrap();
}

/// The user id of this process (0: root, whom file modes do not stop).
fn uid() -> u32 {
    std::fs::metadata("/proc/self").map_or(1, |m| std::os::unix::fs::MetadataExt::uid(&m))
}

/// A renewal Slack refuses is reported as oauth.v2.access's failure (the README's word),
/// not as the command's method, which was never called.
#[test]
fn a_refused_renewal_names_oauth_v2_access_in_json() {
    let slack = server(2, Duration::from_secs(30));
    let (access, _) = first_pair(&slack);
    let dir = temp_dir("refused");
    let file = dir.join("pair.json");
    std::fs::write(
        &file,
        format!(
            r#"{{"access_token":"{access}","refresh_token":"xoxe-1-REVOKED-0000","expires_at":1}}"#
        ),
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, stdout, stderr) = run(
        &slack,
        &[],
        &[
            "--token-file",
            file.to_str().unwrap(),
            "--json",
            "reset",
            "W1",
        ],
    );
    assert_eq!(code, 1, "{stderr}");
    let object: Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(object["ok"], false);
    assert_eq!(object["error"], "invalid_refresh_token");
    assert_eq!(object["method"], "oauth.v2.access", "{stdout}");
    assert_eq!(slack.resets("W1"), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A first pair that cannot be right is refused before FILE is created (it used to be
/// saved, then refused on every run without naming FILE); a FILE holding a bad pair is
/// named, with how to recover.
#[test]
fn a_bad_first_pair_never_reaches_the_file_and_a_bad_file_is_named() {
    let slack = server(1, Duration::from_secs(30));
    let (access, refresh) = first_pair(&slack);
    let dir = temp_dir("bad-first");
    let file = dir.join("pair.json");
    let file_arg = file.to_str().unwrap();
    for (token, refresh_var, words) in [
        (refresh.as_str(), access.as_str(), "swapped"),
        (
            access.as_str(),
            "hello",
            "SLACK_REFRESH_TOKEN is not a refresh token",
        ),
        (
            "hello",
            refresh.as_str(),
            "SLACK_TOKEN is not a Slack token",
        ),
    ] {
        let (code, _, stderr) = run(
            &slack,
            &[("SLACK_TOKEN", token), ("SLACK_REFRESH_TOKEN", refresh_var)],
            &["--token-file", file_arg, "reset", "W1"],
        );
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains(words), "{words:?}: {stderr}");
        assert!(stderr.contains("was not created"), "{stderr}");
        assert!(!file.exists(), "{stderr}");
    }
    for (content, words) in [
        (
            r#"{"access_token":"","refresh_token":"","expires_at":null}"#,
            "its access_token is empty",
        ),
        (
            r#"{"refresh_token":"xoxe-1-x","expires_at":null}"#,
            "missing field `access_token`",
        ),
    ] {
        std::fs::write(&file, content).unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let (code, _, stderr) = run(&slack, &[], &["--token-file", file_arg, "reset", "W1"]);
        assert_eq!(code, 2, "{stderr}");
        for w in [words, file_arg, "remove it"] {
            assert!(stderr.contains(w), "{w:?}: {stderr}");
        }
        assert!(!stderr.contains("set SLACK_TOKEN"), "{stderr}");
    }
    assert!(slack.server.received().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}
