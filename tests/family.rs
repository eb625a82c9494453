//! The rest of the family over the wire: list with pagination, resetBulk, settings.

mod support;

use support::fake_client;

use std::time::Duration;

use slack_sessions::{
    ClearSettingsRequest, Client, Error, ErrorCode, GetSettingsRequest, ListRequest,
    ResetBulkRequest, RetryPolicy, SetSettingsRequest,
};

#[test]
fn no_active_sessions_ends_the_walk_with_an_empty_page() {
    let (fake, client) = fake_client("xoxp-test");
    fake.push_json(200, r#"{"ok":false,"error":"no_active_sessions"}"#);
    let pages: Vec<_> = client
        .pages(&ListRequest::new().user_in_team("W1", "T1"))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].active_sessions.is_empty());
    // A single send still says what Slack said.
    fake.push_json(200, r#"{"ok":false,"error":"no_active_sessions"}"#);
    assert_eq!(
        client.send(&ListRequest::new()).unwrap_err().code(),
        Some(&ErrorCode::NoActiveSessions)
    );
    // Any other error still fails the walk.
    fake.push_json(200, r#"{"ok":false,"error":"missing_team"}"#);
    let first = client.pages(&ListRequest::new()).next().unwrap();
    assert_eq!(first.unwrap_err().code(), Some(&ErrorCode::MissingTeam));
}

#[test]
fn list_refuses_a_limit_outside_1_to_1000_before_any_io() {
    let (fake, client) = fake_client("xoxp-test");
    for limit in [0, 1001, u32::MAX] {
        let err = client.send(&ListRequest::new().limit(limit)).unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest(e) if e.field() == "limit"),
            "{err}"
        );
    }
    assert!(fake.requests().is_empty());
}

#[test]
fn list_wire_and_pages() {
    let (fake, client) = fake_client("xoxp-test");
    fake.push_json(200, r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":1}],"response_metadata":{"next_cursor":"c2"}}"#)
        .push_json(200, r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":"2"}],"response_metadata":{"next_cursor":"c3"}}"#)
        .push_json(200, r#"{"ok":true,"active_sessions":[],"response_metadata":{"next_cursor":""}}"#);
    let pages: Vec<_> = client
        .pages(&ListRequest::new().limit(1))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pages.len(), 3);
    let bodies: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| String::from_utf8(r.body().clone()).unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["limit=1", "limit=1&cursor=c2", "limit=1&cursor=c3"]
    );
    assert!(fake
        .requests()
        .iter()
        .all(|r| r.uri() == "https://slack.com/api/admin.users.session.list"));
}

#[test]
fn an_error_mid_walk_is_an_item_not_a_silent_end() {
    let (fake, client) = fake_client("xoxp-test");
    fake.push_json(
        200,
        r#"{"ok":true,"active_sessions":[],"response_metadata":{"next_cursor":"c2"}}"#,
    )
    .push_json(200, r#"{"ok":false,"error":"invalid_cursor"}"#)
    .push_json(200, r#"{"ok":true}"#);
    let items: Vec<_> = client.pages(&ListRequest::new()).collect();
    assert_eq!(items.len(), 2);
    assert!(items[0].is_ok());
    assert_eq!(
        items[1].as_ref().unwrap_err().code(),
        Some(&ErrorCode::InvalidCursor)
    );
    assert_eq!(fake.pending(), 1, "the walk stopped after the error");
}

#[test]
fn a_repeated_cursor_ends_the_walk_with_an_error() {
    let (fake, client) = fake_client("xoxp-test");
    for _ in 0..3 {
        fake.push_json(
            200,
            r#"{"ok":true,"active_sessions":[],"response_metadata":{"next_cursor":"same"}}"#,
        );
    }
    let items: Vec<_> = client.pages(&ListRequest::new()).collect();
    assert_eq!(items.len(), 2);
    assert!(
        matches!(&items[1], Err(Error::Decode { reason, .. }) if reason.contains("already sent"))
    );
}

#[test]
fn an_alternating_cursor_cannot_loop_either() {
    let (fake, client) = fake_client("xoxp-test");
    for c in ["a", "b", "a", "b", "a"] {
        fake.push_json(
            200,
            &format!(
                r#"{{"ok":true,"active_sessions":[],"response_metadata":{{"next_cursor":"{c}"}}}}"#
            ),
        );
    }
    let items: Vec<_> = client.pages(&ListRequest::new()).collect();
    assert_eq!(items.len(), 3, "a, b, then a again is caught");
    assert!(
        matches!(&items[2], Err(Error::Decode { reason, .. }) if reason.contains("already sent")),
        "{:?}",
        items[2]
    );
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn a_walk_stops_at_its_page_limit() {
    let (fake, client) = fake_client("xoxp-test");
    for n in 0..10 {
        fake.push_json(
            200,
            &format!(
                r#"{{"ok":true,"active_sessions":[],"response_metadata":{{"next_cursor":"c{n}"}}}}"#
            ),
        );
    }
    let items: Vec<_> = client.pages(&ListRequest::new()).max_pages(4).collect();
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(Result::is_ok));
    assert!(
        matches!(&items[3], Err(Error::Decode { reason, .. }) if reason.contains("page limit")),
        "{:?}",
        items[3]
    );
    assert_eq!(fake.requests().len(), 4);
}

#[test]
fn invalid_family_requests_send_nothing() {
    let (fake, client) = fake_client("xoxp-test");
    let too_many: Vec<String> = (0..1001).map(|n| format!("W{n}")).collect();
    let errors = [
        client
            .send(&ResetBulkRequest::new(too_many.clone()))
            .unwrap_err(),
        client
            .send(&ResetBulkRequest::new(Vec::<String>::new()))
            .unwrap_err(),
        client.send(&SetSettingsRequest::new(["W1"])).unwrap_err(),
        client
            .send(&SetSettingsRequest::new(["W1"]).duration(Duration::from_secs(60)))
            .unwrap_err(),
        client.send(&GetSettingsRequest::new(["W1 "])).unwrap_err(),
        client
            .send(&ClearSettingsRequest::new(["W1,W2"]))
            .unwrap_err(),
        client.send(&ListRequest::new().limit(0)).unwrap_err(),
    ];
    for e in &errors {
        assert!(matches!(e, Error::InvalidRequest(_)), "{e:?}");
    }
    assert!(fake.requests().is_empty());
}

#[cfg(feature = "ureq")]
mod loopback {
    use super::*;
    use support::slack::{FakeSlack, TOKEN};

    fn client(slack: &FakeSlack) -> Client<slack_sessions::UreqTransport> {
        Client::builder(TOKEN)
            .api_url(slack.api_url())
            .retry(RetryPolicy::none())
            .build()
            .unwrap()
    }

    #[test]
    fn list_walks_every_page_with_mixed_id_types() {
        let slack = FakeSlack::start(5);
        let c = client(&slack);
        let mut ids = Vec::new();
        let mut pages = 0;
        for page in c.pages(&ListRequest::new().limit(3)) {
            let page = page.unwrap();
            pages += 1;
            for s in &page.active_sessions {
                assert_eq!(s.team_id, "T1");
                assert_eq!(
                    s.created.as_ref().unwrap().device_hardware.as_deref(),
                    Some("Macbook Pro")
                );
                ids.push((s.user_id.clone(), s.session_id));
            }
        }
        // 5 users x 2 sessions + the primary owner's 1 = 11 sessions, 3 a page.
        assert_eq!(ids.len(), 11);
        assert_eq!(pages, 4);
        assert!(ids.contains(&("W5".to_owned(), 502)));
        let one: Vec<u64> = c
            .pages(&ListRequest::new().user_in_team("W2", "T1"))
            .flat_map(|p| p.unwrap().active_sessions)
            .map(|s| s.session_id)
            .collect();
        assert_eq!(one, [201, 202]);
    }

    #[test]
    fn reset_bulk_and_settings() {
        let slack = FakeSlack::start(3);
        let c = client(&slack);
        c.send(&ResetBulkRequest::new(["W1", "W2"])).unwrap();
        assert_eq!(
            (slack.resets("W1"), slack.resets("W2"), slack.resets("W3")),
            (1, 1, 0)
        );
        assert_eq!(slack.server.received()[0].body_str(), "user_ids=W1%2CW2");
        assert_eq!(
            c.send(&ResetBulkRequest::new(["W1", "B1"]))
                .unwrap_err()
                .code(),
            Some(&ErrorCode::CannotResetBot)
        );

        c.send(
            &SetSettingsRequest::new(["W1", "W2"])
                .duration(Duration::from_secs(86_400))
                .desktop_app_browser_quit(true),
        )
        .unwrap();
        let got = c.send(&GetSettingsRequest::new(["W1", "W3"])).unwrap();
        assert_eq!(got.session_settings.len(), 1);
        assert_eq!(got.session_settings[0].user_id, "W1");
        assert_eq!(got.session_settings[0].duration, Some(86_400));
        assert_eq!(got.session_settings[0].desktop_app_browser_quit, Some(true));
        assert_eq!(got.no_settings_applied, ["W3"]);
        c.send(&ClearSettingsRequest::new(["W1"])).unwrap();
        let got = c.send(&GetSettingsRequest::new(["W1", "W2"])).unwrap();
        assert_eq!(got.no_settings_applied, ["W1"]);
        assert_eq!(
            c.send(&SetSettingsRequest::new(["B1"]).desktop_app_browser_quit(false))
                .unwrap_err()
                .code(),
            Some(&ErrorCode::BotsNotAllowed)
        );
    }
}
