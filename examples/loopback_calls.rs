//! Instruction-count harness for the README's Performance section: makes N sequential
//! calls to a loopback server in one of several client configurations, so that
//! `valgrind --tool=callgrind` can count the instructions each configuration costs.
//!
//! ```text
//! cargo run --release --example loopback_calls -- serve            # prints ADDR, serves until killed
//! valgrind --tool=callgrind target/release/examples/loopback_calls ADDR CONFIG N
//! ```
//!
//! CONFIG is one of `sdk` (the SDK's send through UreqTransport, default settings),
//! `sdk_call_timeout` (the same with `ClientBuilder::timeout`), and bare ureq agents
//! POSTing identical bytes: `plain_phases` (per-phase timeouts, as UreqTransport),
//! `plain_global` (one global timeout), `plain_per_call` (one per-call timeout),
//! `plain_none` (no timeouts).

use std::time::Duration;

use slack_sessions::{Client, ResetRequest, RetryPolicy};

#[path = "../benches/loopback_server.rs"]
mod loopback_server;

use loopback_server::{plain_agent, plain_call, Bound};

fn plain(config: &str) -> ureq::Agent {
    plain_agent(match config {
        "plain_phases" => Bound::Phases,
        "plain_global" => Bound::Global,
        "plain_per_call" => Bound::PerCall,
        "plain_none" => Bound::None,
        other => panic!("unknown config {other}"),
    })
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("serve") {
        let server = loopback_server::start();
        println!("{}", server.addr);
        loop {
            std::thread::park();
        }
    }
    if args.first().map(String::as_str) == Some("ratio") {
        let blocks: usize = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
        ratio(blocks);
        return;
    }
    let [addr, config, n] = &args[..] else {
        eprintln!("usage: loopback_calls serve | loopback_calls ADDR CONFIG N");
        std::process::exit(2);
    };
    let n: u32 = n.parse().expect("N is a number");
    let api_url = format!("http://{addr}/api/");
    let request = ResetRequest::new("W12345678");
    let builder = Client::builder("xoxp-bench-token")
        .api_url(&api_url)
        .retry(RetryPolicy::none());
    match config.as_str() {
        "sdk" | "sdk_call_timeout" => {
            let builder = if config == "sdk_call_timeout" {
                builder.timeout(Duration::from_secs(80))
            } else {
                builder
            };
            let client = builder.build().unwrap();
            for _ in 0..n {
                client.send(&request).unwrap();
            }
        }
        plain_config => {
            let client = builder.build().unwrap();
            let (parts, body) = client.build_request(&request).unwrap().into_parts();
            let agent = plain(plain_config);
            for _ in 0..n {
                plain_call(&agent, &parts, &body);
            }
        }
    }
}

/// Wall-clock ratio of the SDK's send to a bare ureq call, measured interleaved (blocks
/// of 50 calls each, alternating) so that drift on a shared machine hits both alike.
fn ratio(blocks: usize) {
    use std::time::Instant;
    let server = loopback_server::start();
    let api_url = format!("http://{}/api/", server.addr);
    let client = Client::builder("xoxp-bench-token")
        .api_url(&api_url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ResetRequest::new("W12345678");
    let (parts, body) = client.build_request(&request).unwrap().into_parts();
    let agent = plain("plain_phases");
    let mut ratios = Vec::with_capacity(blocks);
    let (mut sdk_total, mut plain_total) = (Duration::ZERO, Duration::ZERO);
    for block in 0..blocks + 5 {
        let t = Instant::now();
        for _ in 0..50 {
            client.send(&request).unwrap();
        }
        let sdk = t.elapsed();
        let t = Instant::now();
        for _ in 0..50 {
            plain_call(&agent, &parts, &body);
        }
        let plain = t.elapsed();
        if block >= 5 {
            // the first blocks warm up connections and caches
            ratios.push(sdk.as_secs_f64() / plain.as_secs_f64());
            sdk_total += sdk;
            plain_total += plain;
        }
    }
    ratios.sort_by(f64::total_cmp);
    let calls = (blocks * 50) as u32;
    println!(
        "sdk {:?}/call, plain ureq {:?}/call, median block ratio {:.4}, total ratio {:.4}, {} connections",
        sdk_total / calls,
        plain_total / calls,
        ratios[ratios.len() / 2],
        sdk_total.as_secs_f64() / plain_total.as_secs_f64(),
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
    );
}
