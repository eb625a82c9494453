//! No thread per call: a pooled call through `UreqTransport` spawns no thread and looks
//! no host up; ureq's own resolver with a resolve timeout spawns one per call, and the
//! probe used here sees it (so the check can fail). One test per binary, so that no other
//! test's threads are counted.

mod support;

use std::time::Duration;

use slack_sessions::{Client, ResetRequest, RetryPolicy, UreqTransport};
use support::{Reply, TestServer};

/// The id the kernel gives the next thread: thread ids are handed out in increasing
/// order, so the difference between two probes bounds how many threads (and processes,
/// machine-wide) were started in between.
fn next_tid() -> u64 {
    std::thread::spawn(|| {
        let link = std::fs::read_link("/proc/thread-self").expect("Linux /proc");
        link.to_string_lossy()
            .rsplit('/')
            .next()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    })
    .join()
    .unwrap()
}

const CALLS: u64 = 300;

/// Threads started (machine-wide) while `f` runs, per the kernel's thread ids. When the
/// ids wrap around `pid_max` in between, the measurement is taken again.
fn threads_started_during(mut f: impl FnMut()) -> u64 {
    for _ in 0..3 {
        let before = next_tid();
        f();
        let after = next_tid();
        if after > before {
            return after - before - 1;
        }
    }
    panic!("thread ids wrapped around three times in a row");
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
            spawned < CALLS / 10,
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
