//! Whole-org logout: `Client::reset_verified` (resetBulk, verified user by user, single
//! resets as the fallback), `Client::org_targets` and `Client::resolve_users`, against the
//! loopback Slack server with resetBulk as an asynchronous job.

mod support;

use std::time::{Duration, Instant};

use slack_sessions::{
    Client, Error, ErrorCode, ResetHow, RetryPolicy, UreqTransport, VerifyOptions,
};
use support::slack::{FakeSlack, TOKEN};

fn client(slack: &FakeSlack) -> Client<UreqTransport> {
    Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default().jitter(false))
        .build()
        .unwrap()
}

fn quick() -> VerifyOptions {
    VerifyOptions::new()
        .first_check(Duration::from_millis(200))
        .max_check_interval(Duration::from_millis(800))
        .deadline(Duration::from_secs(5))
}

fn users(n: u32) -> Vec<String> {
    (1..=n).map(|i| format!("W{i}")).collect()
}

/// Tier 2 scaled down: 20 calls per method per 2-second window.
const WINDOW: Duration = Duration::from_secs(2);
const PER_WINDOW: u32 = 20;

#[test]
fn ten_thousand_users_logged_out_and_verified_in_a_few_dozen_calls() {
    let slack = FakeSlack::start(10_000);
    slack.with(|s| {
        s.rate_limit = Some((PER_WINDOW, WINDOW));
        s.bulk_delay = Duration::from_millis(300);
    });
    let c = client(&slack);
    let started = Instant::now();
    let mut run = c.reset_verified(users(10_000), quick());
    let outcomes: Vec<_> = run.by_ref().collect();
    let took = started.elapsed();
    assert!(run.stopped().is_none(), "{:?}", run.stopped());
    assert_eq!(outcomes.len(), 10_000);
    let mut seen = std::collections::HashSet::new();
    for o in &outcomes {
        assert!(seen.insert(o.user_id.clone()), "{} twice", o.user_id);
        assert!(o.is_ok() && o.verified, "{o:?}");
        assert_eq!(o.how, ResetHow::Bulk);
    }
    for u in users(10_000) {
        assert!(slack.sessions(&u).is_empty(), "{u}");
        assert_eq!(slack.single_resets(&u), 0, "{u}");
    }
    let (bulk, list) = (
        slack.calls("admin.users.session.resetBulk"),
        slack.calls("admin.users.session.list"),
    );
    let calls = bulk + list;
    // Rate-limit time, in Tier-2 windows, as if each method's calls came one after another.
    let windows = |n: u32| n.div_ceil(PER_WINDOW);
    let bulk_windows = windows(bulk) + windows(list);
    let single_windows = windows(10_000);
    println!(
        "10,000 users: {bulk} resetBulk + {list} list calls = {calls} calls in {took:.1?} \
         ({bulk_windows} rate-limit windows; at Slack's Tier 2, about {bulk_windows} minutes). \
         One reset per user: 10,000 calls, {single_windows} windows (about {} hours at Tier 2). \
         {:.0}x fewer calls, {:.0}x less rate-limit time; {} answered 429",
        single_windows / 60,
        10_000.0 / f64::from(calls),
        f64::from(single_windows) / f64::from(bulk_windows),
        slack.with(|s| s.limited),
    );
    assert!(10_000 / calls >= 100, "{calls} calls");
    assert!(
        single_windows / bulk_windows >= 100,
        "{bulk_windows} windows"
    );
    assert!(run
        .calls()
        .any(|(m, n)| m == "admin.users.session.resetBulk" && n == bulk));
    // The run counts every call it made, the ones answered 429 included.
    let counted: u32 = run.calls().map(|(_, n)| n).sum();
    assert_eq!(counted, calls + slack.with(|s| s.limited));
}

#[test]
fn users_a_job_never_logs_out_fall_back_to_single_resets_and_are_verified() {
    let slack = FakeSlack::start(50);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(100);
        s.bulk_never = ["W3", "W7"].map(String::from).into();
        s.bulk_fail = ["W9"].map(String::from).into();
    });
    let c = client(&slack);
    let mut run = c.reset_verified(users(50), quick().deadline(Duration::from_millis(900)));
    let outcomes: Vec<_> = run.by_ref().collect();
    assert!(run.stopped().is_none(), "{:?}", run.stopped());
    assert_eq!(outcomes.len(), 50);
    for o in &outcomes {
        assert!(o.is_ok() && o.verified, "{o:?}");
        let single = ["W3", "W7", "W9"].contains(&o.user_id.as_str());
        assert_eq!(
            o.how,
            if single {
                ResetHow::Single
            } else {
                ResetHow::Bulk
            },
            "{o:?}"
        );
        assert_eq!(
            slack.single_resets(&o.user_id),
            u32::from(single),
            "{}",
            o.user_id
        );
        assert!(slack.sessions(&o.user_id).is_empty());
    }
}

#[test]
fn a_mobile_only_run_verifies_only_mobile_sessions() {
    let slack = FakeSlack::start(20);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(100);
        s.mobile = (1..=20u64).map(|n| n * 100 + 2).collect();
    });
    let c = client(&slack);
    let outcomes: Vec<_> = c
        .reset_verified(users(20), quick().mobile_only(true))
        .collect();
    assert_eq!(outcomes.len(), 20);
    assert!(outcomes
        .iter()
        .all(|o| o.is_ok() && o.verified && o.how == ResetHow::Bulk));
    // The desktop session of each user is still there, and that was right.
    assert_eq!(slack.sessions("W5"), [501]);
    let bodies: Vec<String> = slack
        .server
        .received()
        .iter()
        .filter(|r| r.target.ends_with("resetBulk"))
        .map(|r| r.body_str().to_owned())
        .collect();
    assert!(
        bodies.iter().all(|b| b.ends_with("&mobile_only=true")),
        "{bodies:?}"
    );
}

#[test]
fn a_fatal_answer_stops_the_run_and_says_who_is_left() {
    let slack = FakeSlack::start(5);
    slack.with(|s| {
        s.fail_with.insert(
            "admin.users.session.resetBulk".into(),
            "not_an_admin".into(),
        )
    });
    let c = client(&slack);
    let mut run = c.reset_verified(users(5), quick());
    assert_eq!(run.by_ref().count(), 0);
    assert!(
        run.stopped().unwrap().contains("not_an_admin"),
        "{:?}",
        run.stopped()
    );
    assert_eq!(run.remaining().count(), 5);
}

#[test]
fn org_targets_leave_out_bots_the_primary_owner_and_the_caller() {
    let slack = FakeSlack::start(250);
    let c = client(&slack);
    let t = c.org_targets(false).unwrap();
    assert_eq!(t.users.len(), 249, "W1 (the caller) left out");
    assert!(!t.users.contains(&"W1".to_owned()));
    assert!(t.skipped_self && t.caller.as_deref() == Some("W1"));
    assert_eq!(t.bots, ["B1"]);
    assert_eq!(t.primary_owners, ["WOWNER"]);
    // 252 users at 100 a page.
    assert_eq!(slack.calls("admin.users.list"), 3);
    assert_eq!(c.org_targets(true).unwrap().users.len(), 250);
}

#[test]
fn emails_resolve_before_any_write_and_an_unknown_one_stops_everything() {
    let slack = FakeSlack::start(30);
    let c = client(&slack);
    let few = ["W1", "w2@example.com", "W3@EXAMPLE.com"].map(String::from);
    assert_eq!(c.resolve_users(&few).unwrap(), ["W1", "W2", "W3"]);
    assert_eq!(slack.calls("users.lookupByEmail"), 2);
    let many: Vec<String> = (1..=20).map(|n| format!("w{n}@example.com")).collect();
    assert_eq!(c.resolve_users(&many).unwrap(), users(20));
    assert_eq!(
        slack.calls("users.lookupByEmail"),
        2,
        "many go through admin.users.list"
    );
    for input in [
        vec!["W1".to_owned(), "nobody@example.com".to_owned()],
        (1..=12)
            .map(|n| format!("w{n}@example.com"))
            .chain(["ghost@example.com".to_owned()])
            .collect(),
    ] {
        match c.resolve_users(&input) {
            Err(Error::InvalidRequest(e)) => {
                assert!(
                    e.reason().contains("@example.com") && e.reason().contains("nothing was reset"),
                    "{e}"
                )
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        c.send(&slack_sessions::LookupByEmailRequest::new(
            "nobody@example.com"
        ))
        .unwrap_err()
        .code(),
        Some(ErrorCode::UsersNotFound)
    ));
    assert_eq!(
        slack.with(|s| s.calls.get("admin.users.session.reset").copied()),
        None
    );
}

/// Checking a few users before a whole walk must not let the unlucky first few (whom the
/// job never logs out) hold everyone else back: the sample moves on each round.
#[test]
fn the_sample_moves_on_so_a_few_stuck_users_do_not_hold_back_the_rest() {
    let slack = FakeSlack::start(50);
    slack.with(|s| {
        s.bulk_delay = Duration::from_millis(50);
        s.bulk_never = ["W1", "W2", "W3"].map(String::from).into();
    });
    let c = client(&slack);
    let outcomes: Vec<_> = c
        .reset_verified(users(50), quick().deadline(Duration::from_secs(3)))
        .collect();
    assert_eq!(outcomes.len(), 50);
    for o in &outcomes {
        assert!(o.is_ok() && o.verified, "{o:?}");
        let stuck = ["W1", "W2", "W3"].contains(&o.user_id.as_str());
        assert_eq!(
            o.how,
            if stuck {
                ResetHow::Single
            } else {
                ResetHow::Bulk
            },
            "{o:?}"
        );
    }
}

/// The org engine's walks stop a looping cursor the way `Client::pages` does, with the
/// same error (not one that claims nothing was sent).
#[test]
fn a_looping_cursor_stops_the_snapshot_as_pages_would() {
    let fake = slack_sessions::FakeTransport::new();
    for _ in 0..2 {
        fake.push_json(
            200,
            r#"{"ok":true,"active_sessions":[],"response_metadata":{"next_cursor":"again"}}"#,
        );
    }
    let c = Client::builder(TOKEN)
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let mut run = c.reset_verified(["W1"], quick());
    assert_eq!(run.by_ref().count(), 0);
    let why = run.stopped().unwrap();
    assert!(why.contains("already sent in this walk"), "{why}");
    assert!(!why.contains("nothing was sent"), "{why}");
    assert_eq!(fake.requests().len(), 2);
}

/// A client whose waits are recorded, not slept (time bounds count them), telling each
/// wait's `gives_up_after` to the returned list.
type Told = std::sync::Arc<std::sync::Mutex<Vec<Option<Duration>>>>;

fn recorded_client(slack: &FakeSlack) -> (support::RecordingSleep, Told, Client<UreqTransport>) {
    let sleep = support::RecordingSleep::default();
    let told = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = told.clone();
    let client = Client::builder(TOKEN)
        .api_url(slack.api_url())
        .retry(RetryPolicy::default().jitter(false))
        .sleeper(sleep.clone())
        .on_wait(move |w| log.lock().unwrap().push(w.gives_up_after))
        .build()
        .unwrap();
    (sleep, told, client)
}

#[test]
fn a_reset_bulk_always_rate_limited_ends_at_the_bound_per_call_with_every_user_reported() {
    let slack = FakeSlack::start(5);
    // Every resetBulk: HTTP 429, Retry-After 30.
    slack.with(|s| {
        s.fail_after = Some((
            "admin.users.session.resetBulk".into(),
            0,
            "ratelimited".into(),
        ))
    });
    let (sleep, told, c) = recorded_client(&slack);
    // The default bound per call: 600 s.
    let mut run = c.reset_verified(users(5), quick());
    let outcomes: Vec<_> = run.by_ref().collect();
    let waited: Duration = sleep.waits().iter().sum();
    assert!(
        waited <= Duration::from_secs(600) && waited >= Duration::from_secs(570),
        "{waited:?}"
    );
    assert_eq!(outcomes.len(), 5, "every user of the call gets an outcome");
    for o in &outcomes {
        assert!(matches!(o.result, Err(Error::RateLimited { .. })), "{o:?}");
        assert!(!o.verified);
        let detail = o.detail.as_deref().unwrap();
        assert!(
            detail.contains("bound per call (600s)") && detail.contains("nothing was reset"),
            "{detail}"
        );
    }
    let why = run.stopped().unwrap();
    assert!(why.contains("resetBulk was still rate limited"), "{why}");
    assert_eq!(run.remaining().count(), 0);
    assert_eq!(slack.with(|s| s.users["W1"].resets), 0);
    // Every wait said how much longer the run would wait for this call.
    let told = told.lock().unwrap().clone();
    assert!(!told.is_empty());
    assert!(told
        .iter()
        .all(|t| t.is_some_and(|t| t <= Duration::from_secs(600))));
}

#[test]
fn a_snapshot_always_rate_limited_stops_at_the_bound_per_call_and_names_everyone_left() {
    let slack = FakeSlack::start(5);
    slack.with(|s| {
        s.fail_after = Some(("admin.users.session.list".into(), 0, "ratelimited".into()))
    });
    let (sleep, _, c) = recorded_client(&slack);
    let options = quick().max_wait_per_call(Some(Duration::from_secs(120)));
    let mut run = c.reset_verified(users(5), options);
    assert_eq!(run.by_ref().count(), 0, "nothing was written");
    let waited: Duration = sleep.waits().iter().sum();
    assert!(waited <= Duration::from_secs(120), "{waited:?}");
    let why = run.stopped().unwrap();
    assert!(
        why.contains("snapshot") && why.contains("bound per call (120s)"),
        "{why}"
    );
    assert_eq!(run.remaining().count(), 5);
    assert_eq!(slack.calls("admin.users.session.resetBulk"), 0);
}

#[test]
fn a_whole_org_snapshot_always_rate_limited_stops_at_the_default_bound() {
    let slack = FakeSlack::start(5);
    slack.with(|s| {
        s.fail_after = Some(("admin.users.session.list".into(), 0, "ratelimited".into()))
    });
    let (sleep, _, c) = recorded_client(&slack);
    let mut run = c.reset_everyone(false, quick());
    assert_eq!(run.by_ref().count(), 0);
    let waited: Duration = sleep.waits().iter().sum();
    assert!(waited <= Duration::from_secs(600), "{waited:?}");
    let why = run.stopped().unwrap();
    assert!(why.contains("600s"), "{why}");
    // A part of a snapshot names nobody.
    assert_eq!(run.remaining().count(), 0);
}

#[test]
fn the_run_time_bound_stops_the_checks_and_everyone_accepted_is_reported_unverified() {
    let slack = FakeSlack::start(5);
    // The snapshot (one page) goes through; every later list call is rate limited.
    slack.with(|s| {
        s.fail_after = Some(("admin.users.session.list".into(), 1, "ratelimited".into()))
    });
    let (sleep, _, c) = recorded_client(&slack);
    let options = VerifyOptions::new()
        .deadline(Duration::from_secs(3600))
        .max_run_time(Some(Duration::from_secs(100)));
    let mut run = c.reset_verified(users(5), options);
    let outcomes: Vec<_> = run.by_ref().collect();
    let waited: Duration = sleep.waits().iter().sum();
    assert!(waited <= Duration::from_secs(100), "{waited:?}");
    assert_eq!(outcomes.len(), 5);
    for o in &outcomes {
        assert!(o.is_ok() && !o.verified, "{o:?}");
        assert!(
            o.detail.as_deref().unwrap().contains("time bound (100s)"),
            "{o:?}"
        );
    }
    let why = run.stopped().unwrap();
    assert!(why.contains("run's time bound (100s) ran out"), "{why}");
}
