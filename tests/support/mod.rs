//! A small std-only HTTP/1.1 server on 127.0.0.1 for the integration tests: keep-alive,
//! scripted replies (including misbehaviour), every request and connection recorded.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

pub mod rotation;
pub mod slack;

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub target: String,
    /// Header names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Every byte of the request as read off the socket.
    pub raw: Vec<u8>,
    /// Which accepted connection it came on (0-based).
    pub connection: usize,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn body_str(&self) -> &str {
        std::str::from_utf8(&self.body).unwrap()
    }
}

/// What the server does with a request.
pub enum Reply {
    /// A normal answer; `Content-Length` is added.
    Respond {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Writes these bytes as they are, then closes the connection.
    Raw(Vec<u8>),
    /// Closes the connection without answering.
    Close,
    /// Keeps the connection open and silent for this long, then closes it.
    Hang(Duration),
    /// Sends headers announcing `len` bytes, then one byte every `every`, forever-ish.
    Drip { len: usize, every: Duration },
}

impl Reply {
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Respond {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        if let Reply::Respond { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

type Handler = dyn Fn(&Received) -> Reply + Send + Sync + 'static;

pub struct TestServer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl TestServer {
    pub fn start(handler: impl Fn(&Received) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        {
            let (received, connections, stop) =
                (received.clone(), connections.clone(), stop.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let id = connections.fetch_add(1, Ordering::SeqCst);
                    let (received, handler, stop) =
                        (received.clone(), handler.clone(), stop.clone());
                    thread::spawn(move || serve(stream, id, &received, &*handler, &stop));
                }
            });
        }
        TestServer {
            addr,
            received,
            connections,
            stop,
        }
    }

    /// A server that answers every request with the same JSON.
    pub fn always_json(status: u16, body: &'static str) -> Self {
        Self::start(move |_| Reply::json(status, body))
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL to give the client.
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.addr)
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

fn serve(
    stream: TcpStream,
    id: usize,
    received: &Mutex<Vec<Received>>,
    handler: &Handler,
    stop: &AtomicBool,
) {
    stream.set_read_timeout(Some(Duration::from_secs(30))).ok();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    loop {
        let Some(request) = read_request(&mut reader, id) else {
            return;
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        received.lock().unwrap().push(request.clone());
        let reply = handler(&request);
        let keep_alive = !request
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        match reply {
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
                for (n, v) in &headers {
                    head.push_str(&format!("{n}: {v}\r\n"));
                }
                head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let mut bytes = head.into_bytes();
                bytes.extend_from_slice(&body);
                if writer.write_all(&bytes).is_err() || !keep_alive {
                    return;
                }
            }
            Reply::Raw(bytes) => {
                let _ = writer.write_all(&bytes);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Close => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Hang(d) => {
                thread::sleep(d);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Reply::Drip { len, every } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
                );
                if writer.write_all(head.as_bytes()).is_err() {
                    return;
                }
                for _ in 0..len {
                    thread::sleep(every);
                    if writer.write_all(b" ").is_err() {
                        return;
                    }
                }
                return;
            }
        }
    }
}

fn read_request(reader: &mut BufReader<TcpStream>, connection: usize) -> Option<Received> {
    let mut raw = Vec::new();
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    raw.extend_from_slice(line.as_bytes());
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            return None;
        }
        raw.extend_from_slice(h.as_bytes());
        let h = h.trim_end_matches(['\r', '\n']);
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    raw.extend_from_slice(&body);
    Some(Received {
        method,
        target,
        headers,
        body,
        raw,
        connection,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

/// Formats an error with its whole source chain, as a log or a CLI would print it.
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An HTTP proxy on 127.0.0.1 that answers `CONNECT host:port` and relays bytes both
/// ways to a loopback target (any other target gets a 502 and is never contacted); it
/// records the first line of every request it saw.
pub struct ConnectProxy {
    pub addr: SocketAddr,
    pub connects: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let connects = Arc::new(Mutex::new(Vec::new()));
        let seen = connects.clone();
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                let seen = seen.clone();
                thread::spawn(move || {
                    let mut reader = BufReader::new(client.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    seen.lock().unwrap().push(line.trim_end().to_owned());
                    let mut parts = line.split_whitespace();
                    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
                        let _ = (&client).write_all(
                            b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n",
                        );
                        return;
                    };
                    // Tests talk only to 127.0.0.1: any other target is refused unopened.
                    let loopback =
                        target.starts_with("127.0.0.1:") || target.starts_with("localhost:");
                    let Some(Ok(upstream)) = loopback.then(|| TcpStream::connect(target)) else {
                        let _ = (&client)
                            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
                        return;
                    };
                    let _ = (&client).write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
                    let buffered = reader.buffer().to_vec();
                    let mut up_w = upstream.try_clone().unwrap();
                    up_w.write_all(&buffered).unwrap();
                    let mut up_r = upstream;
                    let mut client_w = client.try_clone().unwrap();
                    let mut client_r = client;
                    thread::spawn(move || {
                        let _ = std::io::copy(&mut up_r, &mut client_w);
                        let _ = client_w.shutdown(Shutdown::Both);
                    });
                    let _ = std::io::copy(&mut client_r, &mut up_w);
                    let _ = up_w.shutdown(Shutdown::Both);
                });
            }
        });
        ConnectProxy { addr, connects }
    }
}

/// A port on 127.0.0.1 with nothing listening on it.
pub fn refused_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Captures log records of the current thread (tests run on many threads in one process).
pub mod logs {
    use std::sync::{Mutex, Once};
    use std::thread::{self, ThreadId};

    static RECORDS: Mutex<Vec<(ThreadId, log::Level, String)>> = Mutex::new(Vec::new());
    static INIT: Once = Once::new();

    struct Capture;

    impl log::Log for Capture {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            RECORDS.lock().unwrap().push((
                thread::current().id(),
                record.level(),
                format!("{}: {}", record.target(), record.args()),
            ));
        }
        fn flush(&self) {}
    }

    pub fn install() {
        INIT.call_once(|| {
            log::set_boxed_logger(Box::new(Capture)).unwrap();
            log::set_max_level(log::LevelFilter::Trace);
        });
    }

    /// The records this thread logged at `level`, from the crate's target.
    pub fn mine(level: log::Level) -> Vec<String> {
        let me = thread::current().id();
        RECORDS
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, l, m)| *t == me && *l == level && m.starts_with("slack_sessions"))
            .map(|(_, _, m)| m.clone())
            .collect()
    }

    /// Removes and returns every record this thread logged, any level, any target.
    pub fn take_mine() -> Vec<(log::Level, String)> {
        let me = thread::current().id();
        let mut all = RECORDS.lock().unwrap();
        let (mine, others): (Vec<_>, Vec<_>) = all.drain(..).partition(|(t, _, _)| *t == me);
        *all = others;
        mine.into_iter().map(|(_, l, m)| (l, m)).collect()
    }

    /// Every record this thread logged, any level, any target.
    pub fn all_mine() -> Vec<(log::Level, String)> {
        let me = thread::current().id();
        RECORDS
            .lock()
            .unwrap()
            .iter()
            .filter(|(t, _, _)| *t == me)
            .map(|(_, l, m)| (*l, m.clone()))
            .collect()
    }
}

/// A `Sleep` that records waits instead of sleeping.
#[derive(Clone, Default)]
pub struct RecordingSleep(pub Arc<Mutex<Vec<Duration>>>);

impl slack_sessions::Sleep for RecordingSleep {
    fn sleep(&self, duration: Duration) {
        self.0.lock().unwrap().push(duration);
    }
}

impl RecordingSleep {
    pub fn waits(&self) -> Vec<Duration> {
        self.0.lock().unwrap().clone()
    }
}

/// A client over a fresh fake transport whose waits are recorded, not slept; jitter off
/// so that waits can be asserted exactly.
pub fn scripted(
    token: &str,
    policy: slack_sessions::RetryPolicy,
) -> (
    slack_sessions::FakeTransport,
    RecordingSleep,
    slack_sessions::Client<slack_sessions::FakeTransport>,
) {
    let fake = slack_sessions::FakeTransport::new();
    let sleep = RecordingSleep::default();
    let client = slack_sessions::Client::builder(token)
        .retry(policy.jitter(false))
        .sleeper(sleep.clone())
        .transport(fake.clone())
        .build()
        .unwrap();
    (fake, sleep, client)
}

/// A client over a fresh fake transport with retries off: each error path is seen on its
/// first attempt.
pub fn fake_client(
    token: &str,
) -> (
    slack_sessions::FakeTransport,
    slack_sessions::Client<slack_sessions::FakeTransport>,
) {
    let (fake, _, client) = scripted(token, slack_sessions::RetryPolicy::none());
    (fake, client)
}
