//! [`CachingResolver`]: `UreqTransport`'s host lookup, bounded and free on a pooled call.
//!
//! With a resolve (or global, or per-call) timeout set, ureq 3.5's own resolver looks the
//! host up on *every* call, before it checks its connection pool, on a newly spawned
//! thread (the only way to bound a blocking `getaddrinfo`). That thread was most of what
//! a pooled call cost. This resolver answers an IP literal at once (no lookup at all),
//! remembers a host's answer for [`DEFAULT_TTL`], and looks up on a miss only, still on a
//! thread bounded by ureq's resolve timeout (the connect budget). So a pooled call never
//! spawns a thread, and a lookup that never returns costs at most the connect budget.
//! An answer that a connection then fails to reach is forgotten
//! ([`forget`](CachingResolver::forget)), so a host that moved is looked up again.

use std::fmt;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// How long a looked-up answer is used before it is looked up again: 30 seconds, the
/// order of a typical DNS TTL for an API host.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// A blocking lookup of `host:port` (the system resolver, or a stand-in in tests).
pub(crate) type Lookup = fn(&str, u16) -> std::io::Result<Vec<SocketAddr>>;

fn system_lookup(host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

struct Entry {
    host: String,
    port: u16,
    addrs: ResolvedSocketAddrs,
    at: Instant,
}

/// The resolver behind [`UreqTransport`](crate::UreqTransport); shared by its clones.
#[derive(Clone)]
pub(crate) struct CachingResolver {
    inner: Arc<Inner>,
}

struct Inner {
    ttl: Duration,
    lookup: Lookup,
    /// A handful of hosts at most (the API host, perhaps a proxy): a scan beats a hash.
    entries: Mutex<Vec<Entry>>,
    lookups: AtomicU64,
}

impl CachingResolver {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self::with_lookup(ttl, system_lookup)
    }

    pub(crate) fn with_lookup(ttl: Duration, lookup: Lookup) -> Self {
        CachingResolver {
            inner: Arc::new(Inner {
                ttl,
                lookup,
                entries: Mutex::new(Vec::new()),
                lookups: AtomicU64::new(0),
            }),
        }
    }

    /// How many lookups went to the system resolver (cache misses).
    pub(crate) fn lookups(&self) -> u64 {
        self.inner.lookups.load(Ordering::Relaxed)
    }

    /// Drops the answer for `host:port`, after a connection to it failed.
    pub(crate) fn forget(&self, host: &str, port: u16) {
        let mut entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| !(e.port == port && e.host == host));
    }

    fn cached(&self, host: &str, port: u16) -> Option<ResolvedSocketAddrs> {
        let entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        let e = entries.iter().find(|e| e.port == port && e.host == host)?;
        (e.at.elapsed() < self.inner.ttl).then(|| e.addrs.clone())
    }

    fn store(&self, host: &str, port: u16, addrs: &ResolvedSocketAddrs) {
        let mut entries = self.inner.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|e| !(e.port == port && e.host == host));
        entries.push(Entry {
            host: host.to_owned(),
            port,
            addrs: addrs.clone(),
            at: Instant::now(),
        });
    }

    /// A lookup bounded by `timeout`: on a thread, since `getaddrinfo` cannot be
    /// interrupted. A lookup that outlives its bound is left to finish on its own.
    fn lookup(
        &self,
        host: &str,
        port: u16,
        timeout: NextTimeout,
    ) -> Result<Vec<SocketAddr>, ureq::Error> {
        self.inner.lookups.fetch_add(1, Ordering::Relaxed);
        let lookup = self.inner.lookup;
        if timeout.after.is_not_happening() {
            return Ok(lookup(host, port)?);
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let name = host.to_owned();
        std::thread::Builder::new()
            .name("slack-sessions-dns".into())
            .spawn(move || tx.send(lookup(&name, port)).ok())
            .map_err(ureq::Error::Io)?;
        match rx.recv_timeout(*timeout.after) {
            Ok(answer) => Ok(answer?),
            Err(_) => Err(ureq::Error::Timeout(timeout.reason)),
        }
    }
}

/// The host (without IPv6 brackets) and port a URI names.
pub(crate) fn host_port(uri: &Uri) -> Option<(&str, u16)> {
    let authority = uri.authority()?;
    let port = authority.port_u16().or(match uri.scheme_str()? {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    })?;
    let host = authority.host();
    Some((host.trim_start_matches('[').trim_end_matches(']'), port))
}

impl Resolver for CachingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let (host, port) =
            host_port(uri).ok_or_else(|| ureq::Error::BadUri(format!("{uri} has no host")))?;
        let mut out = self.empty();
        if let Ok(ip) = host.parse::<IpAddr>() {
            out.push(SocketAddr::new(ip, port));
            return Ok(out);
        }
        if let Some(addrs) = self.cached(host, port) {
            return Ok(addrs);
        }
        let found = self.lookup(host, port, timeout)?;
        for addr in config.ip_family().keep_wanted(found.into_iter()).take(16) {
            out.push(addr);
        }
        if out.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        self.store(host, port, &out);
        Ok(out)
    }
}

impl fmt::Debug for CachingResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachingResolver")
            .field("ttl", &self.inner.ttl)
            .field("lookups", &self.lookups())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;
    use ureq::Timeout;

    fn bound(d: Duration) -> NextTimeout {
        NextTimeout {
            after: UreqDuration::Exact(d),
            reason: Timeout::Resolve,
            ..NextTimeout::default()
        }
    }

    fn resolve(r: &CachingResolver, url: &str) -> Result<ResolvedSocketAddrs, ureq::Error> {
        r.resolve(
            &url.parse().unwrap(),
            &Config::default(),
            bound(Duration::from_secs(5)),
        )
    }

    fn local(_: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
    }

    #[test]
    fn one_lookup_per_host_per_lifetime_and_none_for_ip_literals() {
        let r = CachingResolver::with_lookup(Duration::from_secs(60), local);
        for _ in 0..300 {
            assert_eq!(
                resolve(&r, "https://slack.test/api/x").unwrap()[0],
                SocketAddr::from(([127, 0, 0, 1], 443))
            );
            resolve(&r, "http://127.0.0.1:8080/api/x").unwrap();
            resolve(&r, "http://[::1]:8080/api/x").unwrap();
        }
        assert_eq!(r.lookups(), 1);
        resolve(&r, "https://other.test:8443/").unwrap();
        assert_eq!(r.lookups(), 2);
        // A failed connect forgets the answer: the next call looks it up again.
        r.forget("slack.test", 443);
        resolve(&r, "https://slack.test/api/x").unwrap();
        assert_eq!(r.lookups(), 3);
        // An answer older than the lifetime is looked up again.
        let short = CachingResolver::with_lookup(Duration::from_millis(1), local);
        resolve(&short, "https://slack.test/").unwrap();
        std::thread::sleep(Duration::from_millis(5));
        resolve(&short, "https://slack.test/").unwrap();
        assert_eq!(short.lookups(), 2);
    }

    #[test]
    fn a_lookup_that_never_answers_is_bounded() {
        fn hangs(_: &str, _: u16) -> std::io::Result<Vec<SocketAddr>> {
            std::thread::sleep(Duration::from_secs(3600));
            unreachable!()
        }
        let r = CachingResolver::with_lookup(DEFAULT_TTL, hangs);
        let started = Instant::now();
        let err = r
            .resolve(
                &"https://slack.test/".parse().unwrap(),
                &Config::default(),
                bound(Duration::from_millis(200)),
            )
            .unwrap_err();
        assert!(
            matches!(err, ureq::Error::Timeout(Timeout::Resolve)),
            "{err:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn nothing_found_is_host_not_found_and_not_cached() {
        fn none(_: &str, _: u16) -> std::io::Result<Vec<SocketAddr>> {
            Ok(vec![])
        }
        let r = CachingResolver::with_lookup(DEFAULT_TTL, none);
        assert!(matches!(
            resolve(&r, "https://slack.test/"),
            Err(ureq::Error::HostNotFound)
        ));
        assert!(resolve(&r, "https://slack.test/").is_err());
        assert_eq!(r.lookups(), 2);
    }
}
