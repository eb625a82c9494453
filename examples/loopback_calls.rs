//! Measurement harness for the README's Performance section: makes N sequential calls to
//! a loopback server in one of several client configurations, so that
//! `valgrind --tool=callgrind` can count the instructions each costs, and measures
//! wall-clock ratios interleaved in one run.
//!
//! ```text
//! cargo run --release --example loopback_calls -- serve            # prints ADDR, serves until killed
//! valgrind --tool=callgrind target/release/examples/loopback_calls ADDR CONFIG N
//! cargo run --release --example loopback_calls -- ratio 200 [HOST]  # SDK / careful bare agent
//! cargo run --release --example loopback_calls -- threads 16 2000  # one shared client, 16 threads
//! ```
//!
//! CONFIG is one of:
//! - `sdk`: `Client::send` through `UreqTransport`, default settings;
//! - `sdk_call_timeout`: the same with `ClientBuilder::timeout`;
//! - `sdk_mocked`: `Client::send` over a transport that hands back a canned answer (no
//!   network), and `null_mocked`: that transport alone, so that `sdk_mocked − null_mocked`
//!   is the SDK's own work per call;
//! - bare ureq agents POSTing identical bytes: `plain_careful` (the baseline: per-phase
//!   timeouts, no resolve timeout, no redirects), `plain_with_resolve` (plus a resolve
//!   timeout), `plain_global`, `plain_per_call`, `plain_none`.

use std::time::Duration;

use slack_sessions::{
    Client, HttpRequest, HttpResponse, ResetRequest, RetryPolicy, Transport, TransportError,
};

#[path = "../benches/loopback_server.rs"]
mod loopback_server;

use loopback_server::{plain_agent, plain_call, Bound};

fn plain(config: &str) -> ureq::Agent {
    plain_agent(match config {
        "plain_careful" => Bound::Careful,
        "plain_with_resolve" => Bound::CarefulWithResolve,
        "plain_global" => Bound::Global,
        "plain_per_call" => Bound::PerCall,
        "plain_none" => Bound::None,
        other => panic!("unknown config {other}"),
    })
}

/// A transport with no network: every call gets a copy of the same answer.
struct Canned(HttpResponse);

impl Canned {
    fn new() -> Self {
        Canned(
            http::Response::builder()
                .status(200)
                .header("content-type", "application/json; charset=utf-8")
                .header("x-slack-req-id", "bench")
                .body(br#"{"ok":true}"#.to_vec())
                .unwrap(),
        )
    }
}

impl Transport for Canned {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        std::hint::black_box(request);
        Ok(self.0.clone())
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let server = loopback_server::start();
            println!("{}", server.addr);
            loop {
                std::thread::park();
            }
        }
        Some("ratio") => {
            let blocks = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(200);
            ratio(blocks, args.get(2).map_or("127.0.0.1", String::as_str));
            return;
        }
        Some("threads") => {
            let threads = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(16);
            let calls = args.get(2).and_then(|n| n.parse().ok()).unwrap_or(2000);
            shared(threads, calls);
            return;
        }
        _ => {}
    }
    let [addr, config, n] = &args[..] else {
        eprintln!("usage: loopback_calls serve | ratio [BLOCKS] | threads [T] [N] | ADDR CONFIG N");
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
        "sdk_mocked" => {
            let client = builder.transport(Canned::new()).build().unwrap();
            for _ in 0..n {
                client.send(&request).unwrap();
            }
        }
        "null_mocked" => {
            let canned = Canned::new();
            let client = builder.build().unwrap();
            let (parts, body) = client.build_request(&request).unwrap().into_parts();
            for _ in 0..n {
                // What the mocked SDK row does besides the SDK's own work: a request to
                // hand over and a canned answer back.
                let mut r = http::Request::new(body.clone());
                *r.headers_mut() = parts.headers.clone();
                std::hint::black_box(canned.send(r).unwrap());
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

/// Wall-clock ratio of the SDK's send to the careful bare agent (and to the one with a
/// resolve timeout), measured interleaved in blocks of 50 calls so that drift on a shared
/// machine hits all alike. HOST is how the server is named: `127.0.0.1` (default) or
/// `localhost` (a host name, as `slack.com` is).
fn ratio(blocks: usize, host: &str) {
    use std::time::Instant;
    let server = loopback_server::start();
    let api_url = format!("http://{host}:{}/api/", server.addr.port());
    let client = Client::builder("xoxp-bench-token")
        .api_url(&api_url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let request = ResetRequest::new("W12345678");
    let (parts, body) = client.build_request(&request).unwrap().into_parts();
    let careful = plain("plain_careful");
    let with_resolve = plain("plain_with_resolve");
    let mut ratios = Vec::with_capacity(blocks);
    let mut resolve_ratios = Vec::with_capacity(blocks);
    let mut totals = [Duration::ZERO; 3];
    for block in 0..blocks + 5 {
        let mut times = [Duration::ZERO; 3];
        let t = Instant::now();
        for _ in 0..50 {
            client.send(&request).unwrap();
        }
        times[0] = t.elapsed();
        let t = Instant::now();
        for _ in 0..50 {
            plain_call(&careful, &parts, &body);
        }
        times[1] = t.elapsed();
        let t = Instant::now();
        for _ in 0..50 {
            plain_call(&with_resolve, &parts, &body);
        }
        times[2] = t.elapsed();
        if block >= 5 {
            // the first blocks warm up connections and caches
            ratios.push(times[0].as_secs_f64() / times[1].as_secs_f64());
            resolve_ratios.push(times[2].as_secs_f64() / times[1].as_secs_f64());
            for (total, t) in totals.iter_mut().zip(times) {
                *total += t;
            }
        }
    }
    ratios.sort_by(f64::total_cmp);
    resolve_ratios.sort_by(f64::total_cmp);
    let calls = (blocks * 50) as u32;
    println!(
        "sdk {:?}/call, careful bare ureq {:?}/call, bare ureq with resolve timeout {:?}/call; \
         median block ratio sdk/careful {:.4} (total {:.4}), with-resolve/careful {:.4}; {} connections",
        totals[0] / calls,
        totals[1] / calls,
        totals[2] / calls,
        ratios[ratios.len() / 2],
        totals[0].as_secs_f64() / totals[1].as_secs_f64(),
        resolve_ratios[resolve_ratios.len() / 2],
        server.connections.load(std::sync::atomic::Ordering::SeqCst),
    );
}

/// `threads` threads share one client (then one bare agent), `calls` calls each:
/// calls per second and connections used.
fn shared(threads: usize, calls: usize) {
    use std::sync::atomic::Ordering;
    use std::time::Instant;
    let request = ResetRequest::new("W12345678");
    let run = |name: &str, call: &(dyn Fn() + Sync)| {
        let t = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(|| {
                    for _ in 0..calls {
                        call();
                    }
                });
            }
        });
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{name}: {threads} threads x {calls} calls in {secs:.2}s = {:.0} calls/s",
            (threads * calls) as f64 / secs
        );
    };
    let server = loopback_server::start();
    let api_url = format!("http://{}/api/", server.addr);
    let client = Client::builder("xoxp-bench-token")
        .api_url(&api_url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    run("sdk, one shared Client", &|| {
        client.send(&request).unwrap();
    });
    let sdk_connections = server.connections.load(Ordering::SeqCst);
    let server = loopback_server::start();
    let api_url = format!("http://{}/api/", server.addr);
    let builder = Client::builder("xoxp-bench-token").api_url(&api_url);
    let (parts, body) = builder
        .build()
        .unwrap()
        .build_request(&request)
        .unwrap()
        .into_parts();
    let agent = plain("plain_careful");
    run("careful bare ureq, one shared Agent", &|| {
        plain_call(&agent, &parts, &body);
    });
    println!(
        "connections: sdk {sdk_connections}, bare {}",
        server.connections.load(Ordering::SeqCst)
    );
}
