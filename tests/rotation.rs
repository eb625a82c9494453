//! Slack's token rotation, against the loopback server's `oauth.v2.access` with single-use
//! refresh tokens and access tokens that expire in seconds (Slack's live 12 hours): a run
//! across two expiries, 16 threads across one renewal, a pair that could not be stored,
//! refusals that stop a run, and every new pair stored before its access token is used.

mod support;

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, SystemTime};

use slack_sessions::{
    AuthTestRequest, BulkOptions, Client, Error, ErrorCode, RenewalErrorKind, ResetOutcome,
    ResetRequest, RotatingToken, TokenPair, UreqTransport,
};
use support::rotation::{Rotation, CLIENT_ID, CLIENT_SECRET};
use support::slack::FakeSlack;

/// A server whose token rotation issues access tokens living `lifetime`.
fn server(users: u32, lifetime: Duration) -> FakeSlack {
    let slack = FakeSlack::start(users);
    slack.with(|s| s.rotation = Some(Rotation::new(lifetime)));
    slack
}

/// The server's current pair, as a service would have it stored.
fn first_token(slack: &FakeSlack, expires_at: Option<SystemTime>) -> RotatingToken {
    slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        let token = RotatingToken::new(
            r.first_access.clone(),
            r.refresh.clone(),
            CLIENT_ID,
            CLIENT_SECRET,
        );
        match expires_at {
            Some(at) => token.expires_at(at),
            None => token,
        }
    })
}

/// Every pair handed to `on_renewal`, in order.
#[derive(Clone, Default)]
struct Store(Arc<Mutex<Vec<TokenPair>>>);

impl Store {
    fn pairs(&self) -> Vec<TokenPair> {
        self.0.lock().unwrap().clone()
    }
}

fn client(slack: &FakeSlack, token: RotatingToken, store: &Store) -> Client {
    let store = store.clone();
    Client::builder(token)
        .api_url(slack.api_url())
        .on_renewal(move |pair| {
            store.0.lock().unwrap().push(pair.clone());
            Ok::<(), std::io::Error>(())
        })
        .build()
        .unwrap()
}

/// Every access token the server saw in use was stored by `on_renewal` before (or was
/// the first one).
fn assert_stored_before_use(slack: &FakeSlack, store: &Store) {
    let (used, first) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (r.used.clone(), r.first_access.clone())
    });
    let stored: Vec<String> = store
        .pairs()
        .iter()
        .map(|p| p.access_token.secret().to_owned())
        .collect();
    for token in used {
        assert!(
            token == first || stored.contains(&token),
            "an access token was used that on_renewal never stored"
        );
    }
}

#[test]
fn a_run_across_two_expiries_renews_twice_ahead_and_never_fails() {
    let lifetime = Duration::from_secs(1);
    let slack = server(40, lifetime);
    let store = Store::default();
    let client = client(
        &slack,
        first_token(&slack, Some(SystemTime::now() + lifetime)),
        &store,
    );
    let users: Vec<String> = (1..=30).map(|n| format!("W{n}")).collect();
    let started = std::time::Instant::now();
    let mut outcomes = Vec::new();
    // A long reset-many: one user every 100 ms, 3 s in all, three token lifetimes.
    for outcome in client.reset_many(&users, BulkOptions::default()) {
        outcomes.push(outcome);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(started.elapsed() >= lifetime * 2 + lifetime / 2);
    assert_eq!(outcomes.len(), 30);
    assert!(outcomes.iter().all(ResetOutcome::is_ok), "{outcomes:?}");
    let (issued, expired, invalid, refresh) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (
            r.issued,
            r.expired_answers,
            r.invalid_answers,
            r.refresh.clone(),
        )
    });
    assert!(issued >= 2, "renewed {issued} times across three lifetimes");
    assert_eq!(slack.calls("oauth.v2.access"), issued);
    // Renewed ahead of expiry; a call built just before a renewal can still reach the
    // server after the expiry on a busy machine (token_expired, then renewed and called
    // again), but never one with a token the server did not issue.
    assert!(
        expired <= issued,
        "{expired} token_expired answers for {issued} renewals"
    );
    assert_eq!(invalid, 0);
    let pairs = store.pairs();
    assert_eq!(pairs.len() as u32, issued);
    assert_eq!(pairs.last().unwrap().refresh_token.secret(), refresh);
    assert_stored_before_use(&slack, &store);
    for user in &users {
        assert_eq!(slack.resets(user), 1, "{user}");
    }
}

#[test]
fn sixteen_threads_across_a_renewal_make_exactly_one_renewal_call() {
    let slack = server(20, Duration::from_secs(30));
    let store = Store::default();
    let slow_store = store.clone();
    // The token is due: the first call of every thread wants a renewal.
    let client = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(move |pair| {
            // Storing is slow (a database): a thread that did not wait would renew again.
            std::thread::sleep(Duration::from_millis(200));
            slow_store.0.lock().unwrap().push(pair.clone());
            Ok::<(), std::io::Error>(())
        })
        .build()
        .unwrap();
    let barrier = Arc::new(Barrier::new(16));
    let threads: Vec<_> = (1..=16)
        .map(|n| {
            let (client, barrier) = (client.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                client.send(&ResetRequest::new(format!("W{n}")))
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap().expect("every thread's call succeeds");
    }
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(store.pairs().len(), 1);
    assert_stored_before_use(&slack, &store);
    let used = slack.with(|s| s.rotation.as_ref().unwrap().used.clone());
    assert_eq!(used.len(), 16);
    assert!(used
        .iter()
        .all(|t| *t == store.pairs()[0].access_token.secret()));
}

#[test]
fn a_pair_that_cannot_be_stored_is_not_used_and_is_stored_on_the_next_call() {
    let slack = server(3, Duration::from_secs(30));
    let fail = Arc::new(Mutex::new(true));
    let store = Store::default();
    let (fail2, store2) = (fail.clone(), store.clone());
    let client = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(move |pair| {
            if *fail2.lock().unwrap() {
                return Err(std::io::Error::other("disk full"));
            }
            store2.0.lock().unwrap().push(pair.clone());
            Ok(())
        })
        .build()
        .unwrap();
    let err = client.send(&ResetRequest::new("W1")).unwrap_err();
    let Error::Renewal(renewal) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(renewal.kind(), RenewalErrorKind::NotStored);
    let text = support::chain(&err);
    for words in [
        "not stored",
        "spent the old refresh token",
        "kept in memory",
        "authorized again",
        "disk full",
    ] {
        assert!(text.contains(words), "{words:?} missing from: {text}");
    }
    // Slack issued the pair, but no call used it.
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(slack.resets("W1"), 0);
    assert!(slack.with(|s| s.rotation.as_ref().unwrap().used.is_empty()));

    // Storage is back: the same pair is stored (no second renewal) and then used.
    *fail.lock().unwrap() = false;
    client.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(store.pairs().len(), 1);
    assert_stored_before_use(&slack, &store);
    assert_eq!(slack.resets("W1"), 1);
}

#[test]
fn an_unknown_expiry_renews_on_the_first_auth_error_then_calls_again() {
    let slack = server(3, Duration::from_secs(30));
    // The first access token has expired on the server; the client does not know when.
    slack.with(|s| {
        let r = s.rotation.as_mut().unwrap();
        let first = r.first_access.clone();
        r.access.insert(first, std::time::Instant::now());
    });
    let store = Store::default();
    let client = client(&slack, first_token(&slack, None), &store);
    let who = client.send(&AuthTestRequest::new()).unwrap();
    assert_eq!(who.user_id, "W1");
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    assert_eq!(
        slack.with(|s| s.rotation.as_ref().unwrap().expired_answers),
        1
    );
    assert_stored_before_use(&slack, &store);
}

#[test]
fn invalid_auth_before_the_known_expiry_is_not_a_reason_to_renew() {
    let slack = server(3, Duration::from_secs(30));
    let store = Store::default();
    // A token the server never issued, valid for 30 s more as far as the client knows.
    let token = RotatingToken::new(
        "xoxe.xoxp-1-REVOKED-0000",
        "xoxe-1-REFRESH0-bbbb2222",
        CLIENT_ID,
        CLIENT_SECRET,
    )
    .expires_at(SystemTime::now() + Duration::from_secs(30));
    let client = client(&slack, token, &store);
    let err = client.send(&AuthTestRequest::new()).unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::InvalidAuth), "{err:?}");
    assert_eq!(slack.calls("oauth.v2.access"), 0);
}

#[test]
fn a_refused_renewal_is_typed_stops_a_run_and_is_not_asked_again() {
    for (secret, refresh, code) in [
        ("wrong-secret-1234", None, ErrorCode::BadClientSecret),
        (
            CLIENT_SECRET,
            Some("xoxe-1-SPENT-00000000"),
            ErrorCode::InvalidRefreshToken,
        ),
    ] {
        let slack = server(5, Duration::from_secs(30));
        let (access, stored_refresh) = slack.with(|s| {
            let r = s.rotation.as_ref().unwrap();
            (r.first_access.clone(), r.refresh.clone())
        });
        let token = RotatingToken::new(
            access,
            refresh.map_or(stored_refresh, str::to_owned),
            CLIENT_ID,
            secret,
        )
        .expires_at(SystemTime::now());
        let store = Store::default();
        let client = client(&slack, token, &store);
        let users: Vec<String> = (1..=5).map(|n| format!("W{n}")).collect();
        let mut run = client.reset_many(&users, BulkOptions::default());
        let outcomes: Vec<_> = run.by_ref().collect();
        assert!(run.stopped().is_some(), "the run went on");
        assert_eq!(outcomes.len(), 1, "{outcomes:?}");
        assert_eq!(run.remaining().len(), 4);
        let Err(Error::Renewal(e)) = &outcomes[0].result else {
            panic!("{outcomes:?}")
        };
        assert_eq!(e.kind(), RenewalErrorKind::Refused);
        assert_eq!(e.code(), Some(&code));
        assert_eq!(slack.calls("oauth.v2.access"), 1);
        // Later calls get the refusal without asking Slack again.
        let again = client.send(&ResetRequest::new("W1")).unwrap_err();
        assert!(
            matches!(again, Error::Renewal(ref e) if e.code() == Some(&code)),
            "{again:?}"
        );
        assert_eq!(slack.calls("oauth.v2.access"), 1);
        let text = support::chain(&again);
        assert!(
            !text.contains(secret) && !text.contains("bbbb2222"),
            "{text}"
        );
        assert!(store.pairs().is_empty());
    }
}

#[test]
fn a_rotating_token_without_on_renewal_is_refused_before_any_call() {
    let slack = server(1, Duration::from_secs(30));
    let err = Client::builder(first_token(&slack, None))
        .api_url(slack.api_url())
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(err.to_string().contains("on_renewal"), "{err}");
    assert!(slack.server.received().is_empty());
}

/// `Client` names the built-in transport by default, clones cheaply, and is shared.
#[test]
fn a_service_can_name_and_clone_the_client() {
    struct App {
        client: slack_sessions::Client,
    }
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Client>();
    assert_send_sync::<Client<UreqTransport>>();
    let app = App {
        client: Client::new("xoxp-test-1234").unwrap(),
    };
    let copy = app.client.clone();
    assert_eq!(copy.api_url(), app.client.api_url());
}

#[test]
fn on_renewal_that_calls_the_client_gets_an_error_not_a_hang() {
    let slack = server(2, Duration::from_secs(30));
    let cell: Arc<Mutex<Option<Client>>> = Arc::default();
    let inner = cell.clone();
    let seen = Arc::new(Mutex::new(None));
    let seen2 = seen.clone();
    let client = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(move |_| {
            let client = inner.lock().unwrap().clone().unwrap();
            *seen2.lock().unwrap() = Some(client.send(&ResetRequest::new("W2")).map(drop));
            Ok::<(), std::io::Error>(())
        })
        .build()
        .unwrap();
    *cell.lock().unwrap() = Some(client.clone());
    client.send(&ResetRequest::new("W1")).unwrap();
    let inner_result = seen.lock().unwrap().take().unwrap();
    assert!(
        matches!(inner_result, Err(Error::Renewal(_))),
        "{inner_result:?}"
    );
    assert_eq!(slack.resets("W1"), 1);
    assert_eq!(slack.resets("W2"), 0);
}

/// Two processes (or replicas) share one store: the second does not spend a refresh token
/// the first already used, it takes the stored pair.
#[test]
fn clients_sharing_a_store_take_the_stored_pair_instead_of_renewing_again() {
    let slack = server(4, Duration::from_secs(30));
    let shared: Arc<Mutex<Option<TokenPair>>> = Arc::default();
    let make = |shared: &Arc<Mutex<Option<TokenPair>>>| {
        let (store, load) = (shared.clone(), shared.clone());
        Client::builder(first_token(&slack, Some(SystemTime::now())))
            .api_url(slack.api_url())
            .on_renewal(move |pair| {
                *store.lock().unwrap() = Some(pair.clone());
                Ok::<(), std::io::Error>(())
            })
            .load_stored(move || Ok::<_, std::io::Error>(load.lock().unwrap().clone()))
            .build()
            .unwrap()
    };
    // Both started from the same stored pair, which is due.
    let (first, second) = (make(&shared), make(&shared));
    first.send(&ResetRequest::new("W1")).unwrap();
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    // The second would have sent the spent refresh token; it takes the stored pair.
    second.send(&ResetRequest::new("W2")).unwrap();
    assert_eq!(slack.calls("oauth.v2.access"), 1);
    let stored = shared.lock().unwrap().clone().unwrap();
    let used = slack.with(|s| s.rotation.as_ref().unwrap().used.clone());
    assert_eq!(
        used,
        [stored.access_token.secret(), stored.access_token.secret()]
    );
}

/// The store lagged when this client read it (it still held the pair this client has),
/// Slack refuses the refresh token another client spent: the client reads the store once
/// more and goes on with the pair the other client stored, instead of giving up.
#[test]
fn after_invalid_refresh_token_the_store_is_read_again_and_its_pair_taken() {
    let slack = server(4, Duration::from_secs(30));
    let shared: Arc<Mutex<Option<TokenPair>>> = Arc::default();
    let store = shared.clone();
    let other = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(move |pair| {
            *store.lock().unwrap() = Some(pair.clone());
            Ok::<(), std::io::Error>(())
        })
        .build()
        .unwrap();
    other.send(&ResetRequest::new("W1")).unwrap();
    let reads = Arc::new(Mutex::new(0u32));
    let (load, count) = (shared.clone(), reads.clone());
    let first = slack.with(|s| s.rotation.as_ref().unwrap().spent[0].clone());
    let client = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
        .load_stored(move || {
            let mut n = count.lock().unwrap();
            *n += 1;
            // The first read lags: the store still has the pair this client started with.
            if *n == 1 {
                return Ok::<_, std::io::Error>(Some(TokenPair::new(
                    "xoxe.xoxp-1-ACCESS0-aaaa1111",
                    first.clone(),
                    SystemTime::now(),
                )));
            }
            Ok(load.lock().unwrap().clone())
        })
        .build()
        .unwrap();
    client.send(&ResetRequest::new("W2")).unwrap();
    assert_eq!(*reads.lock().unwrap(), 2);
    // Its one renewal was refused; then the stored pair was used.
    assert_eq!(slack.calls("oauth.v2.access"), 2);
    let stored = shared.lock().unwrap().clone().unwrap();
    let used = slack.with(|s| s.rotation.as_ref().unwrap().used.clone());
    assert_eq!(used.last().unwrap(), stored.access_token.secret());
}

/// A store that lags hands back an OLDER pair than the one held (its refresh token
/// spent): the client keeps its own pair and renews with it, instead of sending the
/// stale refresh token and remembering Slack's refusal for good.
#[test]
fn an_older_stored_pair_is_ignored() {
    let slack = server(4, Duration::from_secs(30));
    let held: Arc<Mutex<Option<TokenPair>>> = Arc::default();
    let keep = held.clone();
    let before = Client::builder(first_token(&slack, Some(SystemTime::now())))
        .api_url(slack.api_url())
        .on_renewal(move |pair| {
            *keep.lock().unwrap() = Some(pair.clone());
            Ok::<(), std::io::Error>(())
        })
        .build()
        .unwrap();
    before.send(&ResetRequest::new("W1")).unwrap();
    let pair = held.lock().unwrap().clone().unwrap();
    let (old_access, old_refresh) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (r.first_access.clone(), r.spent[0].clone())
    });
    // This client holds the current pair, due now; the store answers the first pair,
    // which expired a minute earlier.
    let now = SystemTime::now();
    let token = RotatingToken::from_pair(&pair, CLIENT_ID, CLIENT_SECRET).expires_at(now);
    let client = Client::builder(token)
        .api_url(slack.api_url())
        .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
        .load_stored(move || {
            Ok::<_, std::io::Error>(Some(TokenPair::new(
                old_access.clone(),
                old_refresh.clone(),
                now - Duration::from_secs(60),
            )))
        })
        .build()
        .unwrap();
    client.send(&ResetRequest::new("W2")).unwrap();
    client.send(&ResetRequest::new("W3")).unwrap();
    assert_eq!(slack.calls("oauth.v2.access"), 2);
    let refreshes = slack
        .server
        .received()
        .iter()
        .filter(|r| r.target == "/api/oauth.v2.access")
        .filter(|r| {
            r.body_str().contains(
                slack
                    .with(|s| s.rotation.as_ref().unwrap().spent[0].clone())
                    .as_str(),
            )
        })
        .count();
    assert_eq!(refreshes, 1, "the stale refresh token was sent again");
}

/// A renewal with no answer says whether the refresh token may be spent: a timeout after
/// the request went out may have reached Slack (which then spent it); a connection never
/// made did not. Before, both said the refresh token "was kept".
#[test]
fn a_renewal_without_an_answer_says_whether_the_refresh_token_may_be_spent() {
    use slack_sessions::{FakeTransport, RetryPolicy, TransportError, TransportErrorKind};
    let failed = |kind| {
        let fake = FakeTransport::new();
        fake.push_error(TransportError::new(kind, "no answer"));
        let token = RotatingToken::new("xoxe.xoxp-1-a", "xoxe-1-r", "123.456", "app-secret")
            .expires_at(SystemTime::now() - Duration::from_secs(1));
        let client = Client::builder(token)
            .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
            .retry(RetryPolicy::default().max_retries(0))
            .transport(fake)
            .build()
            .unwrap();
        match client.send(&ResetRequest::new("W1")) {
            Err(Error::Renewal(e)) => {
                assert_eq!(e.kind(), RenewalErrorKind::Failed);
                e.to_string()
            }
            other => panic!("{other:?}"),
        }
    };
    let timeout = failed(TransportErrorKind::Timeout);
    assert!(timeout.contains("may have issued"), "{timeout}");
    assert!(timeout.contains("spent the refresh token"), "{timeout}");
    assert!(!timeout.contains("was kept"), "{timeout}");
    let connect = failed(TransportErrorKind::Connect);
    assert!(connect.contains("nothing reached Slack"), "{connect}");
    assert!(connect.contains("still works"), "{connect}");
}

/// A renewal Slack refused has Slack's code in `Error::code()`, fatal, like any refusal.
#[test]
fn a_refused_renewal_has_slacks_code_for_triage() {
    use slack_sessions::{ErrorClass, FakeTransport};
    let fake = FakeTransport::new();
    fake.push_json(200, r#"{"ok":false,"error":"invalid_refresh_token"}"#);
    let token = RotatingToken::new("xoxe.xoxp-1-a", "xoxe-1-r", "123.456", "app-secret")
        .expires_at(SystemTime::now());
    let client = Client::builder(token)
        .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
        .transport(fake)
        .build()
        .unwrap();
    let e = client.send(&ResetRequest::new("W1")).unwrap_err();
    assert!(matches!(e, Error::Renewal(_)), "{e:?}");
    assert_eq!(e.code(), Some(&ErrorCode::InvalidRefreshToken));
    assert_eq!(e.code().map(ErrorCode::class), Some(ErrorClass::Fatal));
}

/// A refresh token (`xoxe-…`) given as the access token is refused when the client is
/// built, fixed or rotating, with a Config error that says what it is (never the token).
#[test]
fn a_refresh_token_as_the_access_token_is_refused_at_build() {
    let fixed = Client::builder("xoxe-1-REFRESH-abcdef123456")
        .build()
        .unwrap_err();
    assert!(matches!(fixed, Error::Config(_)), "{fixed:?}");
    assert!(fixed.to_string().contains("refresh token"), "{fixed}");
    assert!(!fixed.to_string().contains("abcdef123456"), "{fixed}");
    let swapped = RotatingToken::new(
        "xoxe-1-REFRESH-abcdef123456",
        "xoxe-1-OTHER-0987654321",
        CLIENT_ID,
        CLIENT_SECRET,
    );
    let rotating = Client::builder(swapped)
        .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
        .build()
        .unwrap_err();
    assert!(matches!(rotating, Error::Config(_)), "{rotating:?}");
    assert!(rotating.to_string().contains("swapped"), "{rotating}");
    assert!(!rotating.to_string().contains("abcdef123456"), "{rotating}");
}

/// The issue's own call: a slice of `&str` (also for `reset_many`, `reset_verified`).
#[test]
#[allow(clippy::needless_borrows_for_generic_args)] // the borrowed slice is the point
fn resolve_users_reset_many_and_reset_verified_take_a_slice_of_str() {
    use slack_sessions::{FakeTransport, VerifyOptions};
    let fake = FakeTransport::new();
    let client = Client::builder("xoxp-test-slices")
        .transport(fake.clone())
        .build()
        .unwrap();
    assert_eq!(client.resolve_users(&["W1", "W2"]).unwrap(), ["W1", "W2"]);
    fake.push_json(200, r#"{"ok":true}"#);
    let outcomes: Vec<ResetOutcome> = client.reset_many(&["W1"], BulkOptions::new()).collect();
    assert_eq!(outcomes.len(), 1);
    let _run = client.reset_verified(&["W1"], VerifyOptions::new());
}

/// An `ok` renewal answer of an unexpected shape (here `expires_in` as a string or a
/// float) carries the new pair: no error built from it shows any 8-character piece of
/// either new token, and the message says the refresh token may be spent.
#[test]
fn an_odd_ok_renewal_answer_never_shows_the_new_pair() {
    use slack_sessions::{FakeTransport, RetryPolicy};
    let new_access = "xoxe.xoxp-1-NEWACCESSabcdefghijklmnopqrstuvwxyz0123456789";
    let new_refresh = "xoxe-1-NEWREFRESHzyxwvutsrqponmlkjihgfedcba9876543210";
    for expires in [r#""43200""#, "43200.0"] {
        for body in [
            format!(
                r#"{{"ok":true,"access_token":"{new_access}","refresh_token":"{new_refresh}","expires_in":{expires}}}"#
            ),
            format!(
                r#"{{"ok":true,"authed_user":{{"access_token":"{new_access}","refresh_token":"{new_refresh}","expires_in":{expires}}}}}"#
            ),
        ] {
            let fake = FakeTransport::new();
            fake.push_json(200, &body);
            let token = RotatingToken::new("xoxe.xoxp-1-a", "xoxe-1-r", "123.456", "app-secret")
                .expires_at(SystemTime::now() - Duration::from_secs(1));
            let client = Client::builder(token)
                .on_renewal(|_pair| Ok::<(), std::io::Error>(()))
                .retry(RetryPolicy::default().max_retries(0))
                .transport(fake)
                .build()
                .unwrap();
            let e = client.send(&ResetRequest::new("W1")).unwrap_err();
            let mut text = format!("{e}\n{e:?}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(&format!("\n{s}"));
                source = s.source();
            }
            for secret in [new_access, new_refresh] {
                for w in secret.as_bytes().windows(8) {
                    let w = std::str::from_utf8(w).unwrap();
                    assert!(!text.contains(w), "{w:?} of a new token shown: {text}");
                }
            }
            assert!(text.contains("could not be read"), "{text}");
            assert!(text.contains("may be spent"), "{text}");
            assert!(!text.contains("still works"), "{text}");
            assert!(!text.contains("was kept"), "{text}");
        }
    }
}
