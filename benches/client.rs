//! Criterion benchmarks of what the SDK adds on top of the network round trip.
//!
//! `cargo bench --bench client` runs them all; the README's Performance section keeps the
//! figures. Groups: `encode`, `decode`, `scrub` (1 MiB and 512 KiB answers, honest and
//! hostile, through `Client::decode_response`: the scrub is linear when hostile/honest
//! and 1 MiB/512 KiB stay near constant ratios), `send_fake`, and `loopback` (the SDK's `send`
//! through `UreqTransport` beside a bare `ureq::Agent` POSTing identical bytes to the same
//! keep-alive server on 127.0.0.1).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use slack_sessions::{
    decode_response, Client, FakeTransport, InvalidateRequest, ResetRequest, RetryPolicy,
};

#[path = "loopback_server.rs"]
mod loopback_server;

const TOKEN: &str = "xoxp-bench-token";

fn encode(c: &mut Criterion) {
    let client = Client::with_transport(TOKEN, FakeTransport::new());
    let reset = ResetRequest::new("W12345678").mobile_only(true);
    let invalidate = InvalidateRequest::new("W12345678", 1112275520242);
    let mut g = c.benchmark_group("encode");
    g.bench_function("reset", |b| {
        b.iter(|| client.build_request(black_box(&reset)).unwrap())
    });
    g.bench_function("invalidate", |b| {
        b.iter(|| client.build_request(black_box(&invalidate)).unwrap())
    });
    g.finish();
}

fn response(headers: &[(&str, &str)], body: &str) -> http::Response<Vec<u8>> {
    let mut b = http::Response::builder().status(200);
    for (n, v) in headers {
        b = b.header(*n, *v);
    }
    b.body(body.as_bytes().to_vec()).unwrap()
}

fn decode(c: &mut Criterion) {
    let ok = response(&[("x-slack-req-id", "req-1")], r#"{"ok":true}"#);
    let warned = response(
        &[("x-slack-req-id", "req-1")],
        r#"{"ok":true,"warning":"superfluous_charset","response_metadata":{"warnings":["superfluous_charset"]}}"#,
    );
    let missing_scope = response(
        &[
            ("x-slack-req-id", "req-1"),
            ("x-oauth-scopes", "users:read"),
            ("x-accepted-oauth-scopes", "admin.users:write"),
        ],
        r#"{"ok":false,"error":"missing_scope","needed":"admin.users:write","provided":"users:read"}"#,
    );
    let mut g = c.benchmark_group("decode");
    g.bench_function("ok", |b| {
        b.iter(|| decode_response::<ResetRequest>(black_box(&ok)).unwrap())
    });
    g.bench_function("ok_with_warnings", |b| {
        b.iter(|| decode_response::<ResetRequest>(black_box(&warned)).unwrap())
    });
    g.bench_function("missing_scope", |b| {
        b.iter(|| decode_response::<ResetRequest>(black_box(&missing_scope)).unwrap_err())
    });
    g.finish();
}

/// A body of about `bytes`: honest (long strings of ordinary text), or hostile (the token
/// and pieces of it from every offset, each after a malformed escape).
fn big_body(bytes: usize, hostile: bool) -> String {
    let mut items = Vec::new();
    let mut size = 0;
    let mut i = 0;
    while size < bytes {
        let item = if hostile {
            let from = i % (TOKEN.len() - 8);
            format!("\\\\u00zz{} \\\\x{}", &TOKEN[from..], TOKEN)
        } else {
            format!(
                "session {i} from Slack/5.0 on macOS 14.4, ip 192.0.2.{}",
                i % 250
            )
        };
        size += item.len() + 3;
        items.push(format!("\"{item}\""));
        i += 1;
    }
    format!(
        r#"{{"ok":true,"warning":"x","items":[{}]}}"#,
        items.join(",")
    )
}

fn scrub(c: &mut Criterion) {
    let client = Client::with_transport(TOKEN, FakeTransport::new());
    let mut g = c.benchmark_group("scrub");
    for (name, bytes, hostile) in [
        ("honest_1mib", 1 << 20, false),
        ("honest_512kib", 1 << 19, false),
        ("hostile_1mib", 1 << 20, true),
        ("hostile_512kib", 1 << 19, true),
    ] {
        let answer = response(&[], &big_body(bytes, hostile));
        g.bench_function(name, |b| {
            b.iter(|| {
                client
                    .decode_response::<ResetRequest>(black_box(&answer))
                    .is_ok()
            })
        });
    }
    g.finish();
}

fn send_fake(c: &mut Criterion) {
    let fake = FakeTransport::new();
    let client = Client::builder(TOKEN)
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let request = ResetRequest::new("W12345678");
    c.bench_function("send_fake", |b| {
        b.iter_batched(
            || {
                // Outside the timing: forget what was recorded, queue the next answer.
                fake.take_requests();
                fake.push_json(200, r#"{"ok":true}"#);
            },
            |()| client.send(black_box(&request)).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

/// The same call with a rotating token that is not due: what rotation costs a call that
/// does not renew (reading the token in use, and the larger secret set to scrub), as a
/// ratio to `send_fake` in the same run.
fn send_fake_rotating(c: &mut Criterion) {
    let fake = FakeTransport::new();
    let token = slack_sessions::RotatingToken::new(
        "xoxe.xoxp-1-Mi0yLTE2NTkxNzQ0NjQyNzMtODAwMjE5NjA3ODQ5Ny1wUjZrQ2hGWnRYcVZ0bEJt",
        "xoxe-1-My0xLTE2NTkxNzQ0NjQyNzMtOTk4NzY1NDMyMTAtZkxhUnpQcVN3WG1uQmVUZ0h5WWtK",
        "2141029472.691202649728",
        "e1b9e11dfcd19c1982d5de12921e17e8",
    )
    .expires_at(std::time::SystemTime::now() + std::time::Duration::from_secs(43_200));
    let client = Client::builder(token)
        .on_renewal(|_| Ok::<(), std::io::Error>(()))
        .retry(RetryPolicy::none())
        .transport(fake.clone())
        .build()
        .unwrap();
    let request = ResetRequest::new("W12345678");
    c.bench_function("send_fake_rotating", |b| {
        b.iter_batched(
            || {
                fake.take_requests();
                fake.push_json(200, r#"{"ok":true}"#);
            },
            |()| client.send(black_box(&request)).unwrap(),
            BatchSize::SmallInput,
        )
    });
}

fn loopback(c: &mut Criterion) {
    let server = loopback_server::start();
    let api_url = format!("http://{}/api/", server.addr);
    let client = Client::builder(TOKEN)
        .api_url(&api_url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ResetRequest::new("W12345678");
    // The identical bytes the SDK sends.
    let wire = client.build_request(&request).unwrap();
    let (parts, body) = wire.into_parts();
    let careful = loopback_server::plain_agent(loopback_server::Bound::Careful);
    let with_resolve = loopback_server::plain_agent(loopback_server::Bound::CarefulWithResolve);

    let mut g = c.benchmark_group("loopback");
    g.bench_function("send_loopback", |b| {
        b.iter(|| client.send(black_box(&request)).unwrap())
    });
    g.bench_function("plain_ureq_careful", |b| {
        b.iter(|| loopback_server::plain_call(&careful, &parts, &body))
    });
    g.bench_function("plain_ureq_with_resolve_timeout", |b| {
        b.iter(|| loopback_server::plain_call(&with_resolve, &parts, &body))
    });
    g.finish();
    eprintln!(
        "loopback: {} TCP connections for both benchmarks (one per client when reused)",
        server.connections.load(std::sync::atomic::Ordering::SeqCst)
    );
}

criterion_group!(
    benches,
    encode,
    decode,
    scrub,
    send_fake,
    send_fake_rotating,
    loopback
);
criterion_main!(benches);
