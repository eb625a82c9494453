//! "Verified" means the user has no session left: every way the loopback server tries to
//! keep a session behind a `verified` outcome (a phone's browser, a second workspace, a
//! job that never applies, checks that fail), and resetBulk refusals isolated without
//! costing anyone else a single reset. Every outcome is checked against the server's
//! state at the moment the run hands it out.

mod support;

use std::time::Duration;

use slack_sessions::{
    Client, ErrorCode, ResetHow, ResetOutcome, RetryPolicy, UreqTransport, VerifyOptions,
};
use support::slack::{FakeSlack, SessionDetail, TOKEN};

fn client(slack: &FakeSlack) -> Client<UreqTransport> {
    Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default().jitter(false))
        .build()
        .unwrap()
}

fn quick() -> VerifyOptions {
    VerifyOptions::new()
        .first_check(Duration::from_millis(100))
        .max_check_interval(Duration::from_millis(400))
        .deadline(Duration::from_secs(2))
}

fn users(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("W{i}")).collect()
}

#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    Mobile,
    Web,
}

/// The sessions of `user` the server still holds that a run of `scope` resets.
fn left_in_scope(slack: &FakeSlack, user: &str, scope: Scope) -> Vec<u64> {
    slack.with(|s| {
        s.users.get(user).map_or_else(Vec::new, |u| {
            u.sessions
                .iter()
                .copied()
                .filter(|id| match scope {
                    Scope::All => true,
                    Scope::Mobile => s.mobile.contains(id),
                    Scope::Web => !s.mobile.contains(id),
                })
                .collect()
        })
    })
}

/// Drains a run, failing the test on any `verified` outcome whose user the server still
/// holds a session of (in scope) at the moment the outcome is handed out.
fn drain_checked(
    run: impl Iterator<Item = ResetOutcome>,
    slack: &FakeSlack,
    scope: Scope,
) -> Vec<ResetOutcome> {
    run.inspect(|o| {
        if o.verified {
            let left = left_in_scope(slack, &o.user_id, scope);
            assert!(
                left.is_empty(),
                "{} reported verified while the server holds session(s) {left:?}: {o:?}",
                o.user_id
            );
        }
    })
    .collect()
}

/// A web session on a phone's browser: its device fields say Android / Pixel 8 (for the
/// server it is web: `web_only` ends it, `mobile_only` does not).
fn phone_browser() -> SessionDetail {
    SessionDetail {
        created: Some(r#"{"device_hardware":"Pixel 8","os":"Android","ip":"10.0.0.8"}"#.into()),
        recent: Some(r#"{"device_hardware":"Pixel 8","os":"Android","os_version":"14"}"#.into()),
        ..SessionDetail::default()
    }
}

/// A session on the second workspace, T2.
fn on_t2() -> SessionDetail {
    SessionDetail {
        team_id: Some("T2".into()),
        ..SessionDetail::default()
    }
}

fn by_user<'a>(outcomes: &'a [ResetOutcome], user: &str) -> &'a ResetOutcome {
    outcomes
        .iter()
        .find(|o| o.user_id == user)
        .unwrap_or_else(|| panic!("no outcome for {user}"))
}

/// Issue 15, item 6: a web session whose device fields say Android / Pixel 8 (a phone's
/// browser) is watched in a web-only run, and a line says so. On the old code W3 was
/// "verified, no active session at the snapshot" while the job had not applied.
#[test]
fn a_phone_browser_session_is_watched_in_a_web_only_run() {
    let slack = FakeSlack::start(10);
    slack.with(|s| {
        // The job applies long after the run's deadline: only what the run checks counts.
        s.bulk_delay = Duration::from_secs(60);
        s.users.get_mut("W3").unwrap().sessions = vec![302];
        s.details.insert(302, phone_browser());
        // W4's phone-browser session survives every reset.
        s.details.insert(402, phone_browser());
        s.kept.insert(402);
    });
    let c = client(&slack);
    let outcomes = drain_checked(
        c.reset_verified(users(10), quick().web_only(true)),
        &slack,
        Scope::Web,
    );
    assert_eq!(outcomes.len(), 10);
    let w3 = by_user(&outcomes, "W3");
    assert!(w3.verified && w3.how == ResetHow::Single, "{w3:?}");
    let detail = w3.detail.as_deref().unwrap_or("");
    assert!(
        detail.contains("Android") && detail.contains("Pixel 8"),
        "{detail}"
    );
    assert!(slack.sessions("W3").is_empty());
    let w4 = by_user(&outcomes, "W4");
    assert!(!w4.verified, "{w4:?}");
    let detail = w4.detail.as_deref().unwrap_or("");
    assert!(
        detail.contains("402") && detail.contains("Android"),
        "{detail}"
    );
}

/// Issue 15, item 7: a user with sessions on two workspaces is checked on both. On the
/// old code W1 was verified on T1 (the first session's team) while its T2 sessions 1003
/// and 4294967297 were still active.
#[test]
fn a_user_on_two_workspaces_is_checked_on_every_one() {
    for keep in [true, false] {
        let slack = FakeSlack::start(2);
        slack.with(|s| {
            s.users.get_mut("W1").unwrap().sessions = vec![101, 102, 1003, 4_294_967_297];
            for id in [1003, 4_294_967_297] {
                s.details.insert(id, on_t2());
                if keep {
                    s.kept.insert(id);
                }
            }
        });
        let c = client(&slack);
        let outcomes = drain_checked(c.reset_verified(users(2), quick()), &slack, Scope::All);
        assert_eq!(outcomes.len(), 2);
        let w1 = by_user(&outcomes, "W1");
        assert_eq!(w1.verified, !keep, "keep {keep}: {w1:?}");
        if keep {
            let detail = w1.detail.as_deref().unwrap_or("");
            assert!(
                detail.contains("1003") && detail.contains("4294967297"),
                "{detail}"
            );
        }
        assert!(by_user(&outcomes, "W2").verified);
        let asked_t2 =
            slack.server.received().iter().any(|r| {
                r.body_str().contains("user_id=W1") && r.body_str().contains("team_id=T2")
            });
        assert!(asked_t2, "keep {keep}: W1 was never looked for on T2");
    }
}

/// The same through a whole walk: many users pending, one of them with a kept session on
/// a second workspace.
#[test]
fn a_walk_keeps_a_user_with_a_session_left_on_another_workspace() {
    let slack = FakeSlack::start(40);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(150);
        s.users.get_mut("W7").unwrap().sessions.push(7003);
        s.details.insert(7003, on_t2());
        s.kept.insert(7003);
    });
    let c = client(&slack);
    let outcomes = drain_checked(c.reset_verified(users(40), quick()), &slack, Scope::All);
    assert_eq!(outcomes.len(), 40);
    for o in &outcomes {
        assert_eq!(o.verified, o.user_id != "W7", "{o:?}");
    }
}

/// Issue 15, item 8: the job applied, then every check failed: each user still gets an
/// outcome saying the reset was accepted and is not verified, and why. The old code
/// handed out nothing.
#[test]
fn a_run_whose_checks_fail_still_says_what_was_done_for_everyone() {
    let slack = FakeSlack::start(60);
    slack.with(|s| {
        // The snapshot (one page) passes, every later list call is refused.
        s.fail_after = Some(("admin.users.session.list".into(), 1, "not_an_admin".into()));
    });
    let c = client(&slack);
    let mut run = c.reset_verified(users(60), quick());
    let outcomes = drain_checked(run.by_ref(), &slack, Scope::All);
    assert_eq!(outcomes.len(), 60);
    for o in &outcomes {
        assert!(o.is_ok() && !o.verified && o.request_id.is_some(), "{o:?}");
        let detail = o.detail.as_deref().unwrap_or("");
        assert!(
            detail.contains("accepted")
                && detail.contains("not verified")
                && detail.contains("not_an_admin"),
            "{detail}"
        );
    }
    assert!(run.stopped().unwrap().contains("not_an_admin"));
    assert_eq!(run.remaining().count(), 0);
}

/// Issue 17, item 1: ids that make Slack refuse a whole resetBulk call are isolated by
/// halving the refused chunk; everyone else goes through resetBulk. The old code sent a
/// single reset to each of the chunk's 1,000 users.
#[test]
fn refused_ids_are_isolated_and_everyone_else_goes_through_reset_bulk() {
    let codes = [
        "user_not_found",
        "cannot_reset_bot",
        "cannot_reset_primary_owner",
        "session_reset_not_allowed",
        "restricted_action",
    ];
    for k in [1u32, 3, 10] {
        let slack = FakeSlack::start(1000);
        let bad: Vec<(String, &str)> = (0..k)
            .map(|i| (format!("W{}", 97 * i + 13), codes[i as usize % codes.len()]))
            .collect();
        slack.with(|s| {
            for (id, code) in &bad {
                s.bulk_refuse.insert(id.clone(), (*code).to_owned());
            }
        });
        let c = client(&slack);
        let mut run = c.reset_verified(users(1000), quick());
        let outcomes = drain_checked(run.by_ref(), &slack, Scope::All);
        assert_eq!(outcomes.len(), 1000);
        let bulk = slack.calls("admin.users.session.resetBulk");
        let singles = slack.calls("admin.users.session.reset");
        println!(
            "1,000 users, {k} refused id(s): {bulk} resetBulk calls, {singles} single resets, {} list calls",
            slack.calls("admin.users.session.list")
        );
        // About 2·k·log2(1000) calls at most, and no single reset.
        assert!(
            bulk <= 1 + 2 * k * 10,
            "{k} bad ids: {bulk} resetBulk calls"
        );
        assert_eq!(singles, 0);
        for o in &outcomes {
            match bad.iter().find(|(id, _)| *id == o.user_id) {
                Some((_, code)) => {
                    assert!(!o.verified, "{o:?}");
                    let got = o
                        .result
                        .as_ref()
                        .unwrap_err()
                        .code()
                        .unwrap()
                        .as_str()
                        .to_owned();
                    assert_eq!(got, *code, "{o:?}");
                }
                None => assert!(o.is_ok() && o.verified && o.how == ResetHow::Bulk, "{o:?}"),
            }
        }
    }
}

/// Stale ids (users Slack no longer knows) have no session in the snapshot: they go in a
/// chunk of their own, so the clean users' chunk is never refused for them.
#[test]
fn stale_ids_cost_their_own_small_chunk_and_get_slacks_code() {
    let slack = FakeSlack::start(1000);
    let c = client(&slack);
    let mut ids = users(1000);
    ids.insert(10, "WGONE1".into());
    ids.insert(500, "WGONE2".into());
    ids.push("WGONE3".into());
    let outcomes = drain_checked(c.reset_verified(ids, quick()), &slack, Scope::All);
    assert_eq!(outcomes.len(), 1003);
    let bulk = slack.calls("admin.users.session.resetBulk");
    // One clean chunk, then [3] → [1] + [2] → [1] + [1].
    assert_eq!(bulk, 1 + 5, "{bulk}");
    assert_eq!(slack.calls("admin.users.session.reset"), 0);
    for gone in ["WGONE1", "WGONE2", "WGONE3"] {
        let o = by_user(&outcomes, gone);
        assert_eq!(
            o.result.as_ref().unwrap_err().code(),
            Some(&ErrorCode::UserNotFound),
            "{o:?}"
        );
    }
}

/// Issue 17, item 2: a user is handed out as soon as a check shows them logged out, not
/// when the verification ends. 68 users the job never logs out keep the verification
/// going until its deadline; the other 1,000 come out after the first walk. On the old
/// code they came out at the deadline, after a check every round.
#[test]
fn verified_users_come_out_at_once_not_at_the_deadline() {
    let slack = FakeSlack::start(1068);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(50);
        s.bulk_never = (1001..=1068).map(|n| format!("W{n}")).collect();
    });
    let c = client(&slack);
    let options = quick()
        .first_check(Duration::from_millis(100))
        .max_check_interval(Duration::from_millis(100))
        .deadline(Duration::from_secs(30));
    let mut run = c.reset_verified(users(1068), options);
    let mut verified = 0;
    for o in run.by_ref() {
        assert!(left_in_scope(&slack, &o.user_id, Scope::All).is_empty() || !o.verified);
        verified += usize::from(o.verified);
        if verified == 1000 {
            break;
        }
    }
    let list_calls = slack.calls("admin.users.session.list");
    // Snapshot (3 pages), a sample of 3, one walk (3 pages), give or take a round.
    assert!(
        list_calls <= 20,
        "{list_calls} list calls before 1,000 users came out"
    );
    assert_eq!(slack.calls("admin.users.session.reset"), 0);
}

/// A mobile-only run leaves out only sessions certainly of the desktop kind; a mobile
/// session the server keeps is never behind a `verified` line.
#[test]
fn a_mobile_only_run_never_verifies_over_a_kept_mobile_session() {
    let slack = FakeSlack::start(6);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(50);
        s.mobile = (1..=6u64).map(|n| n * 100 + 2).collect();
        s.kept.insert(202);
    });
    let c = client(&slack);
    let outcomes = drain_checked(
        c.reset_verified(users(6), quick().mobile_only(true)),
        &slack,
        Scope::Mobile,
    );
    assert_eq!(outcomes.len(), 6);
    assert!(!by_user(&outcomes, "W2").verified);
    let w5 = by_user(&outcomes, "W5");
    assert!(w5.verified, "{w5:?}");
    assert!(
        w5.detail.as_deref().unwrap_or("").contains("left out"),
        "{w5:?}"
    );
    // The desktop session was rightly left alone.
    assert_eq!(slack.sessions("W5"), [501]);
}

/// Issue 15, item 10, the org engine's part: the verify deadline is a real one. After the
/// snapshot every list call is rate limited with `Retry-After: 30`; with a 300 ms
/// deadline no wait that would end past it is started (waits are recorded, not slept).
/// The old engine waited out each 429 up to 1,000 times, deadline or not.
#[test]
fn the_verify_deadline_bounds_the_rate_limit_waits_of_its_checks() {
    let slack = FakeSlack::start(5);
    slack.with(|s| {
        s.fail_after = Some(("admin.users.session.list".into(), 1, "ratelimited".into()))
    });
    let sleeps = support::RecordingSleep::default();
    let c = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default().jitter(false))
        .sleeper(sleeps.clone())
        .build()
        .unwrap();
    let deadline = Duration::from_millis(300);
    let options = quick()
        .first_check(Duration::from_millis(50))
        .deadline(deadline);
    let mut run = c.reset_verified(users(5), options);
    let outcomes = drain_checked(run.by_ref(), &slack, Scope::All);
    assert!(run.stopped().is_none(), "{:?}", run.stopped());
    assert_eq!(outcomes.len(), 5);
    for o in &outcomes {
        // Never seen gone: not verified, and the line says why.
        assert!(o.is_ok() && !o.verified, "{o:?}");
        assert!(
            o.detail
                .as_deref()
                .unwrap_or("")
                .contains("not seen gone by the deadline"),
            "{o:?}"
        );
    }
    let longest = sleeps.waits().into_iter().max().unwrap_or_default();
    assert!(
        longest <= deadline,
        "a wait of {longest:?} past a {deadline:?} deadline"
    );
    assert!(
        slack.with(|s| s.limited) > 0,
        "the checks were rate limited"
    );
}

/// A web-only run over users who also use the mobile app: the app's session (iPhone /
/// iOS, the same fields a phone's browser shows) is watched, never assumed gone; once
/// every session the fields prove web is gone, the user's line says the reset applied and
/// what is left, at once, with no single reset (it would end the same sessions) and no
/// wait for the deadline.
#[test]
fn a_web_only_run_says_what_is_left_without_single_resets() {
    let slack = FakeSlack::start(50);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(50);
        s.mobile = (1..=50u64).map(|n| n * 100 + 2).collect();
    });
    let c = client(&slack);
    let options = quick().deadline(Duration::from_secs(30));
    let outcomes = drain_checked(
        c.reset_verified(users(50), options.web_only(true)),
        &slack,
        Scope::Web,
    );
    assert_eq!(outcomes.len(), 50);
    for o in &outcomes {
        assert!(o.is_ok() && !o.verified && o.how == ResetHow::Bulk, "{o:?}");
        let detail = o.detail.as_deref().unwrap_or("");
        assert!(
            detail.contains("applied") && detail.contains("iPhone"),
            "{detail}"
        );
        assert_eq!(slack.sessions(&o.user_id).len(), 1, "{}", o.user_id);
    }
    // No single reset: nobody waited for the deadline (which sends the fallback).
    assert_eq!(slack.calls("admin.users.session.reset"), 0);
}

/// A whole-org run whose snapshot fails part-way names nobody as left over: its users are
/// who a complete snapshot names, and nothing was written.
#[test]
fn a_whole_org_run_whose_snapshot_fails_writes_nothing_and_names_nobody() {
    let slack = FakeSlack::start(1500);
    slack.with(|s| {
        s.fail_after = Some(("admin.users.session.list".into(), 2, "not_an_admin".into()))
    });
    let c = client(&slack);
    let mut run = c.reset_everyone(false, quick());
    assert_eq!(run.by_ref().count(), 0);
    assert!(
        run.stopped().unwrap().contains("not_an_admin"),
        "{:?}",
        run.stopped()
    );
    assert_eq!(run.remaining().count(), 0);
    assert!(run.org().is_none() || run.org().is_some_and(|o| o.users.is_empty()));
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 0);
}

/// Issue 15, item 6/7: a phone that reports its os as `Linux` (Android is Linux) with
/// a phone's hardware is not certainly web: a mobile-only run watches it. On the old
/// code `Linux` counted as a desktop, W2's kept phone session was left out and W2 came
/// out "verified ... (1 of the other kind left out)".
#[test]
fn a_linux_phone_is_watched_in_a_mobile_only_run() {
    let slack = FakeSlack::start(3);
    slack.with(|s| {
        s.mobile = (1..=3u64).map(|n| n * 100 + 2).collect();
        s.kept.insert(202);
        s.details.insert(
            202,
            SessionDetail {
                created: Some(
                    r#"{"device_hardware":"Samsung SM-S918B","os":"Linux","ip":"10.0.0.9"}"#.into(),
                ),
                ..SessionDetail::default()
            },
        );
    });
    let c = client(&slack);
    let outcomes = drain_checked(
        c.reset_verified(users(3), quick().mobile_only(true)),
        &slack,
        Scope::Mobile,
    );
    let w2 = by_user(&outcomes, "W2");
    assert!(!w2.verified, "{w2:?}");
    assert!(by_user(&outcomes, "W3").verified);
}
