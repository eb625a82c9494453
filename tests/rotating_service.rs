//! `examples/rotating_service.rs`, the service a user would copy, run against the loopback
//! server for several token lifetimes (1 s here, 12 hours at Slack): four workers share
//! one client; every call succeeds; each lifetime brings a renewal, made ahead of expiry
//! and stored in the file before use.

mod support;

#[path = "../examples/rotating_service.rs"]
#[allow(dead_code)]
mod service;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::rotation::{Rotation, CLIENT_ID, CLIENT_SECRET};
use support::slack::FakeSlack;

#[test]
fn the_service_example_runs_through_several_expiries() {
    let lifetime = Duration::from_secs(1);
    let slack = FakeSlack::start(8);
    slack.with(|s| s.rotation = Some(Rotation::new(lifetime)));
    let (access, refresh) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (r.first_access.clone(), r.refresh.clone())
    });
    let dir = std::env::temp_dir().join(format!("rotating-service-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
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

    let summary = service::run(&service::Config {
        api_url: Some(slack.api_url()),
        token_file: file.clone(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        users: (1..=8).map(|n| format!("W{n}")).collect(),
        workers: 4,
        run_for: Duration::from_millis(4_500),
        every: Duration::from_millis(50),
    })
    .unwrap();

    assert!(summary.failures.is_empty(), "{:?}", summary.failures);
    assert!(summary.calls >= 40, "{summary:?}");
    let (issued, expired, invalid, server_refresh) = slack.with(|s| {
        let r = s.rotation.as_ref().unwrap();
        (
            r.issued,
            r.expired_answers,
            r.invalid_answers,
            r.refresh.clone(),
        )
    });
    assert!(summary.renewals >= 3, "{summary:?}");
    assert_eq!(u64::from(issued), summary.renewals);
    assert_eq!(slack.calls("oauth.v2.access"), issued);
    // Renewals are made ahead of expiry; a call in flight across one may still meet
    // token_expired on a busy machine, and is renewed-and-retried without failing.
    assert!(expired <= issued * 4, "{expired} token_expired answers");
    assert_eq!(invalid, 0);
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(stored["refresh_token"], server_refresh.as_str());
    std::fs::remove_dir_all(dir).unwrap();
}
