//! [`UreqTransport`]: the default transport, over one shared `ureq::Agent`.

use std::fmt;
use std::io;
use std::time::Duration;

use crate::error::{ConfigError, TransportError, TransportErrorKind};
use crate::transport::resolver::{self, CachingResolver};
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// The default limit on a response body: 1 MiB. Slack's answers to these methods are a
/// few hundred bytes; a session list page is a few tens of kilobytes.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// The default time to set up a connection (DNS, TCP, TLS, proxy): 10 seconds.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time to send the request (headers and body): 10 seconds.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The default time from the request sent to the response headers received: 30 seconds.
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a host name's looked-up addresses are reused by default: 30 seconds.
pub use crate::transport::resolver::DEFAULT_TTL as DEFAULT_DNS_CACHE_TTL;
/// The default time to read the whole response body once the headers are in: 30 seconds.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// A [`Transport`] over one shared [`ureq::Agent`]: connections are kept alive and
/// reused across calls and threads.
///
/// It is built so that the client sees everything and the token goes nowhere else:
/// 4xx and 5xx answers come back as responses (so Slack's JSON error and `Retry-After`
/// can be read), redirects are never followed, and no proxy is used unless one is set
/// with [`UreqTransportBuilder::proxy`] or asked for with
/// [`UreqTransportBuilder::proxy_from_env`].
///
/// Every phase of a call has a time bound (see [`UreqTransportBuilder`]), so a server that
/// accepts and never answers, or drips its body a byte at a time, costs at most the sum of
/// the bounds. Bodies over [`max_response_bytes`](UreqTransportBuilder::max_response_bytes)
/// are refused with [`TransportErrorKind::BodyTooLarge`] rather than read into memory.
///
/// Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct UreqTransport {
    agent: ureq::Agent,
    /// When a proxy is set: an agent without it, for loopback hosts, so that a request
    /// to a test server or local gateway never crosses a proxy with the token in clear.
    direct: Option<ureq::Agent>,
    resolver: CachingResolver,
    max_response_bytes: u64,
    /// What error messages name: the proxy (without credentials) and the bounds.
    proxy_shown: Option<String>,
    bounds: Bounds,
}

/// The time bounds, for error messages.
#[derive(Debug, Clone, Copy)]
struct Bounds {
    connect: Option<Duration>,
    send: Option<Duration>,
    response: Option<Duration>,
    body: Option<Duration>,
    call: Option<Duration>,
}

impl UreqTransport {
    /// A transport with the default settings.
    pub fn new() -> Self {
        UreqTransportBuilder::default()
            .build()
            .expect("the default ureq transport settings are valid")
    }

    /// Settings for a transport: timeouts, proxy, body limit.
    pub fn builder() -> UreqTransportBuilder {
        UreqTransportBuilder::default()
    }

    /// How many host lookups this transport (and its clones) made: one per host per
    /// [`dns_cache_ttl`](UreqTransportBuilder::dns_cache_ttl), plus one after each
    /// failed connect; none for an IP address. For diagnostics and tests.
    pub fn host_lookups(&self) -> u64 {
        self.resolver.lookups()
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_response_bytes", &self.max_response_bytes)
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

/// Settings for a [`UreqTransport`]. [`ClientBuilder`](crate::ClientBuilder) forwards its
/// transport settings here.
///
/// | setting | default | bounds |
/// | --- | --- | --- |
/// | [`connect_timeout`](Self::connect_timeout) | 10 s | DNS, TCP connect, TLS and proxy handshake |
/// | [`send_timeout`](Self::send_timeout) | 10 s | writing the request headers and body |
/// | [`response_timeout`](Self::response_timeout) | 30 s | waiting for and reading the response headers |
/// | [`body_timeout`](Self::body_timeout) | 30 s | reading the whole response body |
/// | [`call_timeout`](Self::call_timeout) | none | one whole attempt, all phases together |
/// | [`max_response_bytes`](Self::max_response_bytes) | 1 MiB | the response body |
/// | [`dns_cache_ttl`](Self::dns_cache_ttl) | 30 s | how long a host's address is reused |
///
/// With the defaults one attempt ends within 80 seconds whatever the server does.
///
/// Host lookups are bounded by the connect timeout without costing a pooled call
/// anything: an IP address is never looked up, a host name is looked up once per
/// `dns_cache_ttl` (on a thread, the only way to bound `getaddrinfo`) and reused, and an
/// address a connection fails to reach is forgotten at once. ureq's own resolver, with
/// a resolve timeout, spawns a thread on every call, pooled or not.
#[derive(Debug, Clone)]
pub struct UreqTransportBuilder {
    connect: Option<Duration>,
    send: Option<Duration>,
    response: Option<Duration>,
    body: Option<Duration>,
    call: Option<Duration>,
    max_response_bytes: u64,
    proxy: ProxySetting,
    max_idle_per_host: usize,
    dns_cache_ttl: Duration,
}

#[derive(Clone)]
enum ProxySetting {
    None,
    FromEnv,
    Url(String),
}

/// The proxy URL without its userinfo (`http://user:secret@host` shows as
/// `http://[redacted]@host`): proxy credentials are a secret too.
impl fmt::Debug for ProxySetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProxySetting::None => f.write_str("None"),
            ProxySetting::FromEnv => f.write_str("FromEnv"),
            ProxySetting::Url(url) => {
                let shown = match url.rsplit_once('@') {
                    Some((before, host)) => {
                        let scheme = before.split_once("://").map_or("", |(s, _)| s);
                        if scheme.is_empty() {
                            format!("[redacted]@{host}")
                        } else {
                            format!("{scheme}://[redacted]@{host}")
                        }
                    }
                    None => url.clone(),
                };
                f.debug_tuple("Url").field(&shown).finish()
            }
        }
    }
}

/// The longest bound any timeout may have: a day. Longer ones are refused, since ureq
/// adds them to the current instant and panics when that overflows
/// (`Duration::MAX`), and no Slack call is worth waiting a day for.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

impl Default for UreqTransportBuilder {
    fn default() -> Self {
        UreqTransportBuilder {
            connect: Some(DEFAULT_CONNECT_TIMEOUT),
            send: Some(DEFAULT_SEND_TIMEOUT),
            response: Some(DEFAULT_RESPONSE_TIMEOUT),
            body: Some(DEFAULT_BODY_TIMEOUT),
            call: None,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            proxy: ProxySetting::None,
            max_idle_per_host: 16,
            dns_cache_ttl: resolver::DEFAULT_TTL,
        }
    }
}

impl UreqTransportBuilder {
    /// Bound on connection setup (DNS, TCP, TLS, proxy `CONNECT`). `None` removes it.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect = timeout;
        self
    }

    /// Bound on sending the request headers and body. `None` removes it.
    pub fn send_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.send = timeout;
        self
    }

    /// Bound on waiting for and reading the response headers. `None` removes it.
    pub fn response_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.response = timeout;
        self
    }

    /// Bound on reading the whole response body. `None` removes it.
    pub fn body_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body = timeout;
        self
    }

    /// Bound on one whole attempt, every phase included, on top of the per-phase bounds.
    /// Off by default: the per-phase bounds already bound a call, and are cheaper.
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.call = timeout;
        self
    }

    /// The largest response body read, in bytes; a larger one is a
    /// [`TransportErrorKind::BodyTooLarge`] error. Default 1 MiB.
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// Sends every request through this proxy: `http://host:port` (HTTPS is tunnelled with
    /// `CONNECT`), `socks5://host:port` is not supported. Credentials go in the URL.
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = ProxySetting::Url(url.into());
        self
    }

    /// Uses the proxy named by `ALL_PROXY`, `HTTPS_PROXY` or `HTTP_PROXY` (in that order,
    /// upper or lower case), honouring `NO_PROXY`, when `yes`. Off by default, so that a
    /// stray variable never reroutes the token.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.proxy = if yes {
            ProxySetting::FromEnv
        } else {
            ProxySetting::None
        };
        self
    }

    /// How long a host name's looked-up addresses are reused (default 30 s). A connect
    /// failure forgets them earlier. `Duration::ZERO` looks the host up on every new
    /// connection (never on a call that reuses a pooled one).
    pub fn dns_cache_ttl(mut self, ttl: Duration) -> Self {
        self.dns_cache_ttl = ttl;
        self
    }

    /// The pool keeps at most this many idle connections per host (default 16). Raise it
    /// when more threads than that share one client.
    pub fn max_idle_connections_per_host(mut self, n: usize) -> Self {
        self.max_idle_per_host = n;
        self
    }

    /// Builds the transport.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Config`] when the proxy URL cannot be used.
    pub fn build(self) -> Result<UreqTransport, crate::Error> {
        for (name, bound) in [
            ("connect_timeout", self.connect),
            ("send_timeout", self.send),
            ("response_timeout", self.response),
            ("body_timeout", self.body),
            ("call_timeout", self.call),
        ] {
            if let Some(d) = bound {
                if d > MAX_TIMEOUT {
                    return Err(crate::Error::Config(ConfigError::new(format!(
                        "{name} of {}s is longer than the {}s (one day) this transport allows",
                        d.as_secs(),
                        MAX_TIMEOUT.as_secs()
                    ))));
                }
                if d.is_zero() {
                    return Err(crate::Error::Config(ConfigError::new(format!(
                        "{name} is zero; use None to remove a bound"
                    ))));
                }
            }
        }
        let proxy = match &self.proxy {
            ProxySetting::None => None,
            ProxySetting::FromEnv => ureq::Proxy::try_from_env(),
            ProxySetting::Url(url) => Some(ureq::Proxy::new(url).map_err(|e| {
                crate::Error::Config(
                    ConfigError::new("the proxy URL is not usable (expected http://host:port)")
                        .with_source(e),
                )
            })?),
        };
        let resolver = CachingResolver::new(self.dns_cache_ttl);
        let bounds = self.bounds();
        let has_proxy = proxy.is_some();
        let agent = |proxy| self.agent(proxy, &resolver);
        let proxy_shown = proxy.as_ref().map(|p| format!("{}:{}", p.host(), p.port()));
        Ok(UreqTransport {
            direct: has_proxy.then(|| agent(None)),
            agent: agent(proxy),
            resolver,
            max_response_bytes: self.max_response_bytes,
            proxy_shown,
            bounds,
        })
    }

    fn bounds(&self) -> Bounds {
        Bounds {
            connect: self.connect,
            send: self.send,
            response: self.response,
            body: self.body,
            call: self.call,
        }
    }

    fn agent(&self, proxy: Option<ureq::Proxy>, resolver: &CachingResolver) -> ureq::Agent {
        use ureq::config::AutoHeaderValue;
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .proxy(proxy)
            // The client sends its own Accept and User-Agent, and no body is compressed.
            .user_agent(AutoHeaderValue::None)
            .accept(AutoHeaderValue::None)
            .accept_encoding(AutoHeaderValue::None)
            .timeout_resolve(self.connect)
            .timeout_connect(self.connect)
            .timeout_send_request(self.send)
            .timeout_send_body(self.send)
            .timeout_recv_response(self.response)
            .timeout_recv_body(self.body)
            .timeout_per_call(self.call)
            .max_idle_connections(self.max_idle_per_host.max(10) * 2)
            .max_idle_connections_per_host(self.max_idle_per_host)
            .build();
        ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            resolver.clone(),
        )
    }
}

impl Transport for UreqTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let direct = self
            .direct
            .as_ref()
            .filter(|_| request.uri().host().is_some_and(crate::client::is_loopback));
        let agent = direct.unwrap_or(&self.agent);
        // A clone of a Uri shares its bytes: no allocation on the hot path.
        let uri = request.uri().clone();
        let context = |uri: &http::Uri| Context {
            target: resolver::host_port(uri)
                .map_or_else(|| uri.to_string(), |(host, port)| format!("{host}:{port}")),
            proxy: if direct.is_some() {
                None
            } else {
                self.proxy_shown.clone()
            },
            bounds: self.bounds,
        };
        let response = agent.run(request).map_err(|e| {
            let error = map_error(e, &context(&uri));
            if error.kind() == TransportErrorKind::Connect {
                if let Some((host, port)) = resolver::host_port(&uri) {
                    self.resolver.forget(host, port);
                }
            }
            error
        })?;
        let (parts, mut body) = response.into_parts();
        let bytes = body
            .with_config()
            .limit(self.max_response_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(limit) => TransportError::new(
                    TransportErrorKind::BodyTooLarge,
                    format!(
                        "the response body from {} is larger than the {limit}-byte limit (HTTP {})",
                        context(&uri).target,
                        parts.status
                    ),
                ),
                other => map_error(other, &context(&uri)),
            })?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

/// What a failed call was talking to, for its error message.
struct Context {
    /// `host:port` of the API.
    target: String,
    /// `host:port` of the proxy the call went through, if any.
    proxy: Option<String>,
    bounds: Bounds,
}

impl Context {
    /// Who a connection is made to: the API host, or the proxy on the way to it.
    fn peer(&self) -> String {
        match &self.proxy {
            Some(p) => format!("the proxy {p} (on the way to {})", self.target),
            None => self.target.clone(),
        }
    }
}

fn secs(d: Option<Duration>) -> String {
    d.map_or_else(|| "no".to_owned(), |d| format!("{}s", d.as_secs_f64()))
}

/// A ureq error as a [`TransportError`] whose message names the host (and whether it was
/// the proxy), the phase, and the bound that elapsed; the client adds the method.
fn map_error(error: ureq::Error, cx: &Context) -> TransportError {
    use ureq::Timeout as T;
    use TransportErrorKind as K;
    let target = &cx.target;
    let b = cx.bounds;
    let (kind, message) = match &error {
        ureq::Error::Timeout(t) => {
            let (phase, bound, name) = match t {
                T::Resolve | T::Connect => (format!("connecting to {}", cx.peer()), b.connect, "connect"),
                T::SendRequest | T::SendBody | T::Await100 | T::PerWrite => {
                    (format!("sending the request to {target}"), b.send, "send")
                }
                T::RecvResponse | T::PerRead => {
                    (format!("waiting for the answer from {target}"), b.response, "response")
                }
                T::RecvBody => (format!("reading the answer's body from {target}"), b.body, "body"),
                _ => (format!("on the whole call to {target}"), b.call, "call"),
            };
            (K::Timeout, format!("timed out {phase} after {} ({name} timeout)", secs(bound)))
        }
        ureq::Error::HostNotFound => match &cx.proxy {
            Some(p) => (K::Connect, format!("host not found: the proxy {p}")),
            None => (K::Connect, format!("host not found: {target}")),
        },
        ureq::Error::ConnectionFailed => {
            (K::Connect, format!("connection failed to {}", cx.peer()))
        }
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused => {
                (K::Connect, format!("connection refused by {}", cx.peer()))
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
                (K::Timeout, format!("timed out talking to {}", cx.peer()))
            }
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::UnexpectedEof => (
                K::Io,
                format!("the connection to {} closed before the answer was complete", cx.peer()),
            ),
            _ => (K::Io, format!("i/o error talking to {}", cx.peer())),
        },
        ureq::Error::Protocol(_) => (
            K::Io,
            format!("the answer from {target} was not valid HTTP/1.1 (or the connection closed mid-answer)"),
        ),
        ureq::Error::BodyExceedsLimit(limit) => (
            K::BodyTooLarge,
            format!("the response body from {target} is larger than the {limit}-byte limit"),
        ),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => (
            K::InvalidRequest,
            format!("the request to {target} could not be sent as built"),
        ),
        ureq::Error::InvalidProxyUrl => (K::Connect, "the proxy URL is invalid".to_owned()),
        ureq::Error::ConnectProxyFailed(why) => (
            K::Connect,
            format!(
                "the proxy {} refused to open a tunnel to {target} ({why})",
                cx.proxy.as_deref().unwrap_or("?")
            ),
        ),
        ureq::Error::Tls(_)
        | ureq::Error::Pem(_)
        | ureq::Error::Rustls(_)
        | ureq::Error::TlsRequired => (K::Connect, format!("tls handshake with {target} failed")),
        _ => (K::Other, format!("http client error talking to {}", cx.peer())),
    };
    TransportError::new(kind, message).with_source(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ureq_errors_map_to_kinds_that_decide_retries() {
        let cases = [
            (
                ureq::Error::Tls("bad certificate"),
                TransportErrorKind::Connect,
            ),
            (ureq::Error::HostNotFound, TransportErrorKind::Connect),
            (
                ureq::Error::Io(io::ErrorKind::ConnectionRefused.into()),
                TransportErrorKind::Connect,
            ),
            (
                ureq::Error::Io(io::ErrorKind::ConnectionReset.into()),
                TransportErrorKind::Io,
            ),
            (
                ureq::Error::Io(io::ErrorKind::TimedOut.into()),
                TransportErrorKind::Timeout,
            ),
            (
                ureq::Error::BodyExceedsLimit(5),
                TransportErrorKind::BodyTooLarge,
            ),
            (
                ureq::Error::BadUri("x".into()),
                TransportErrorKind::InvalidRequest,
            ),
            (
                ureq::Error::ConnectProxyFailed("proxy server responded 502/502".into()),
                TransportErrorKind::Connect,
            ),
            (ureq::Error::RedirectFailed, TransportErrorKind::Other),
        ];
        for (error, kind) in cases {
            let text = error.to_string();
            let cx = Context {
                target: "slack.com:443".into(),
                proxy: None,
                bounds: UreqTransportBuilder::default().bounds(),
            };
            let mapped = map_error(error, &cx);
            assert_eq!(mapped.kind(), kind, "{text}");
            assert!(
                std::error::Error::source(&mapped).is_some(),
                "the ureq error is kept"
            );
        }
    }
}
