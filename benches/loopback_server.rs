//! A keep-alive HTTP/1.1 server on 127.0.0.1 that answers every request with the same
//! small Slack success, for the loopback benchmarks. Std only; one thread per connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

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
