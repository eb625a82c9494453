//! The loopback harness shared by the benchmarks and the `loopback_calls` example: a
//! keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with the same small
//! Slack success (std only; one thread per connection), and the bare ureq agent the SDK is
//! compared with.
#![allow(dead_code)] // each includer uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

/// The body limit a careful user sets (1 MiB), the same figure as the SDK's default.
const MAX_BODY: u64 = 1024 * 1024;

pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
}

const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nx-slack-req-id: bench\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";

pub fn start() -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().unwrap();
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || {
                stream.set_nodelay(true).ok();
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                let mut body = Vec::new();
                loop {
                    let mut len = 0usize;
                    line.clear();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':') {
                            if name.eq_ignore_ascii_case("content-length") {
                                len = value.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    body.resize(len, 0);
                    if reader.read_exact(&mut body).is_err() || writer.write_all(ANSWER).is_err() {
                        return;
                    }
                }
            });
        }
    });
    Server { addr, connections }
}

/// How a bare agent bounds a call.
#[derive(Clone, Copy)]
pub enum Bound {
    /// What a careful ureq user writes, and the baseline the SDK is held to: per-phase
    /// timeouts for connect, send, receive and body; no resolve timeout (with one, ureq
    /// 3.5 spawns a thread to resolve on every call).
    Careful,
    /// The careful agent plus a resolve timeout, to keep the price of that thread visible.
    CarefulWithResolve,
    /// One global timeout.
    Global,
    /// One per-call timeout.
    PerCall,
    /// No timeout at all (unbounded: for measuring what bounds cost).
    None,
}

/// A bare `ureq::Agent` as a careful user would set it up for Slack: 4xx/5xx as
/// responses, no redirects, no proxy, bounded as `bound` says. Its figures are its own
/// (10 s to connect and to send, 30 s to receive the headers and the body), written here
/// rather than taken from the crate, so that the baseline never inherits the SDK's
/// settings.
pub fn plain_agent(bound: Bound) -> ureq::Agent {
    use std::time::Duration;
    let s = Duration::from_secs;
    let b = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None);
    let careful = |b: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>| {
        b.timeout_connect(Some(s(10)))
            .timeout_send_request(Some(s(10)))
            .timeout_send_body(Some(s(10)))
            .timeout_recv_response(Some(s(30)))
            .timeout_recv_body(Some(s(30)))
    };
    let b = match bound {
        Bound::Careful => careful(b),
        Bound::CarefulWithResolve => careful(b).timeout_resolve(Some(s(10))),
        Bound::Global => b.timeout_global(Some(s(80))),
        Bound::PerCall => b.timeout_per_call(Some(s(80))),
        Bound::None => b,
    };
    b.build().new_agent()
}

/// POSTs the given request bytes with a bare agent and reads the body under a 1 MiB
/// limit.
pub fn plain_call(agent: &ureq::Agent, parts: &http::request::Parts, body: &[u8]) -> Vec<u8> {
    let mut r = http::Request::new(body.to_vec());
    *r.method_mut() = parts.method.clone();
    *r.uri_mut() = parts.uri.clone();
    *r.headers_mut() = parts.headers.clone();
    let response = agent.run(r).unwrap();
    response
        .into_body()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .unwrap()
}
