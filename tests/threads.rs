//! No thread per call: a pooled call through `UreqTransport` spawns no thread and looks
//! no host up; ureq's own resolver with a resolve timeout spawns one per call, and the
//! probe used here sees it (so the check can fail). One test per binary, so that no other
//! test's threads are counted; other processes' threads never are, so the check holds on
//! a busy machine (`.ci/run` runs it beside two busy shell loops).

mod support;

use std::time::Duration;

use slack_sessions::{Client, ResetRequest, RetryPolicy, UreqTransport};
use support::{Reply, TestServer};

/// How many threads this process has started through `std::thread` so far: std gives
/// every spawned thread the next value of a process-wide counter as its `ThreadId`, so
/// the difference between two probes counts the threads this process started in between
/// (ureq's resolver, like everything in Rust, spawns through std), and nothing any other
/// process does moves it. (The kernel's thread ids, used before, are machine-wide: any
/// busy shell loop or build beside the test moved them.)
fn next_thread_number() -> u64 {
    let id = std::thread::spawn(|| std::thread::current().id())
        .join()
        .unwrap();
    // `ThreadId`'s number is not public API yet; its Debug form is `ThreadId(N)`. Should
    // that change, this panics rather than measure nothing.
    let text = format!("{id:?}");
    text.strip_prefix("ThreadId(")
        .and_then(|t| t.strip_suffix(')'))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("cannot read a thread number from {text:?}"))
}

const CALLS: u64 = 300;

/// Threads this process started while `f` ran.
fn threads_started_during(f: impl FnOnce()) -> u64 {
    let before = next_thread_number();
    f();
    next_thread_number() - before - 1
}

#[test]
fn pooled_calls_spawn_no_thread_and_look_nothing_up() {
    let server = TestServer::start(|_| Reply::json(200, r#"{"ok":true}"#));
    let port = server.addr().port();
    for host in ["127.0.0.1", "localhost"] {
        let transport = UreqTransport::new();
        let client = Client::builder("xoxp-test")
            .api_url(format!("http://{host}:{port}/api/"))
            .retry(RetryPolicy::none())
            .transport(transport.clone())
            .build()
            .unwrap();
        client.send(&ResetRequest::new("W1")).unwrap(); // connect (and look up) once
        let spawned = threads_started_during(|| {
            for _ in 0..CALLS {
                client.send(&ResetRequest::new("W1")).unwrap();
            }
        });
        assert!(
            spawned == 0,
            "{host}: {spawned} threads started during {CALLS} calls"
        );
        let lookups = transport.host_lookups();
        assert_eq!(lookups, u64::from(host == "localhost"), "{host}");
    }
    assert_eq!(server.connections(), 2, "one pooled connection per client");

    // The probe is not blind: ureq's own resolver with a resolve timeout spawns a thread
    // per call, and the count shows it.
    let agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .new_agent();
    let url = format!("http://127.0.0.1:{port}/api/admin.users.session.reset");
    let spawned = threads_started_during(|| {
        for _ in 0..CALLS {
            agent.post(&url).send("user_id=W1").unwrap();
        }
    });
    assert!(spawned >= CALLS, "the probe saw only {spawned} threads");
}
