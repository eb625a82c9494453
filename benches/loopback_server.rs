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

use slack_sessions::transport::ureq::{
    DEFAULT_BODY_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_RESPONSE_TIMEOUT, DEFAULT_SEND_TIMEOUT,
};

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
    /// Per-phase timeouts, exactly `UreqTransport`'s defaults.
    Phases,
    /// One global timeout, the sum of the phases.
    Global,
    /// One per-call timeout, the sum of the phases.
    PerCall,
    /// No timeout at all (unbounded: for measuring what bounds cost).
    None,
}

/// A bare `ureq::Agent` with `UreqTransport`'s safety settings (4xx/5xx as responses,
/// no redirects, no proxy), bounded as `bound` says. Built from the crate's own default
/// constants so the comparison cannot drift from what the SDK does.
pub fn plain_agent(bound: Bound) -> ureq::Agent {
    let total = DEFAULT_CONNECT_TIMEOUT
        + DEFAULT_SEND_TIMEOUT
        + DEFAULT_RESPONSE_TIMEOUT
        + DEFAULT_BODY_TIMEOUT;
    let b = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None);
    let b = match bound {
        Bound::Phases => b
            .timeout_resolve(Some(DEFAULT_CONNECT_TIMEOUT))
            .timeout_connect(Some(DEFAULT_CONNECT_TIMEOUT))
            .timeout_send_request(Some(DEFAULT_SEND_TIMEOUT))
            .timeout_send_body(Some(DEFAULT_SEND_TIMEOUT))
            .timeout_recv_response(Some(DEFAULT_RESPONSE_TIMEOUT))
            .timeout_recv_body(Some(DEFAULT_BODY_TIMEOUT)),
        Bound::Global => b.timeout_global(Some(total)),
        Bound::PerCall => b.timeout_per_call(Some(total)),
        Bound::None => b,
    };
    b.build().new_agent()
}

/// POSTs the given request bytes with a bare agent and reads the body under the same
/// limit as `UreqTransport`.
pub fn plain_call(agent: &ureq::Agent, parts: &http::request::Parts, body: &[u8]) -> Vec<u8> {
    let mut r = http::Request::new(body.to_vec());
    *r.method_mut() = parts.method.clone();
    *r.uri_mut() = parts.uri.clone();
    *r.headers_mut() = parts.headers.clone();
    let response = agent.run(r).unwrap();
    response
        .into_body()
        .with_config()
        .limit(DEFAULT_MAX_RESPONSE_BYTES)
        .read_to_vec()
        .unwrap()
}
