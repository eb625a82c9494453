//! [`SessionFilter`]: which sessions a hunt is after (user, workspace, address ranges,
//! OS, device, client version), with the address and version types it is built from.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use crate::error::InvalidRequest;
use crate::methods::list::{ActiveSession, DeviceInfo};

/// What [`InvalidRequest::method`] names when a filter's own input is refused.
const FILTER: &str = "SessionFilter";

/// Which sessions to find, for [`Client::find_sessions`](crate::Client::find_sessions).
/// Every condition set must hold; a condition not set matches everything, so
/// `SessionFilter::new()` matches every session of the org.
///
/// ```
/// use slack_sessions::{IpFrom, SessionFilter};
///
/// // Alice's sessions that were used from outside the VPN, on clients older than 4.36.
/// let filter = SessionFilter::new()
///     .user("alice@example.com")
///     .not_ip("10.0.0.0/8".parse()?)
///     .not_ip("fd00::/8".parse()?)
///     .ip_from(IpFrom::Recent)
///     .client_older_than("4.36".parse()?);
/// # let _ = filter;
/// # Ok::<(), slack_sessions::InvalidRequest>(())
/// ```
///
/// How each condition reads a session:
///
/// - **addresses** ([`ip`](Self::ip), [`not_ip`](Self::not_ip)): the address chosen by
///   [`ip_from`](Self::ip_from) must lie in one of the `ip` ranges (when any is given) and
///   in none of the `not_ip` ranges. With [`IpFrom::Any`] (the default) one of the two
///   addresses passing is enough. A session whose address Slack did not send (or sent
///   unreadable) matches no address condition: nothing says where it came from.
/// - **OS** and **device**: a case-insensitive substring of `os` / `device_hardware`.
/// - **client version**: the session's `slack_client_version` is older than the one given
///   ([`ClientVersion`]); a session that does not say its version does not match.
///
/// OS, device and version are read from the session's latest details: `recent`, field by
/// field, falling back to `created` where `recent` is missing or silent. For addresses,
/// [`IpFrom::Recent`] does the same: a session Slack lists without `recent` has been seen
/// from its `created` address only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionFilter {
    user: Option<String>,
    team: Option<String>,
    ips: Vec<IpRange>,
    not_ips: Vec<IpRange>,
    ip_from: IpFrom,
    os: Option<String>,
    device: Option<String>,
    client_older_than: Option<ClientVersion>,
}

/// Which of a session's addresses [`SessionFilter::ip`] and [`SessionFilter::not_ip`]
/// look at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpFrom {
    /// The address the session was created from (`created.ip`).
    Created,
    /// The address the session was last used from (`recent.ip`, or `created.ip` when
    /// Slack sends no recent address).
    Recent,
    /// Either: the session matches when one of its two addresses does (the default).
    #[default]
    Any,
}

impl IpFrom {
    /// `"created"`, `"recent"` or `"any"`.
    pub fn as_str(self) -> &'static str {
        match self {
            IpFrom::Created => "created",
            IpFrom::Recent => "recent",
            IpFrom::Any => "any",
        }
    }
}

impl FromStr for IpFrom {
    type Err = InvalidRequest;

    /// `created`, `recent` or `any`.
    fn from_str(s: &str) -> Result<Self, InvalidRequest> {
        match s {
            "created" => Ok(IpFrom::Created),
            "recent" => Ok(IpFrom::Recent),
            "any" => Ok(IpFrom::Any),
            other => Err(InvalidRequest::new(
                FILTER,
                "ip_from",
                format!("{other:?} is none of created, recent, any"),
            )),
        }
    }
}

impl SessionFilter {
    /// Every session (no condition yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this user's sessions, on every workspace: a user id (`W123…`, `U123…`) or an
    /// email address, which [`Client::find_sessions`](crate::Client::find_sessions) turns
    /// into the id.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Only sessions on this workspace (`team_id`).
    pub fn team(mut self, team_id: impl Into<String>) -> Self {
        self.team = Some(team_id.into());
        self
    }

    /// Only sessions from this address or range; repeat for several (any one will do).
    pub fn ip(mut self, range: IpRange) -> Self {
        self.ips.push(range);
        self
    }

    /// Only sessions from outside this range; repeat for several ("everything outside
    /// our VPN and our offices").
    pub fn not_ip(mut self, range: IpRange) -> Self {
        self.not_ips.push(range);
        self
    }

    /// Which address the ranges are matched against (default [`IpFrom::Any`]).
    pub fn ip_from(mut self, which: IpFrom) -> Self {
        self.ip_from = which;
        self
    }

    /// Only sessions whose OS contains this text, ignoring case (`"windows"`, `"ios"`).
    pub fn os(mut self, text: impl Into<String>) -> Self {
        self.os = Some(text.into());
        self
    }

    /// Only sessions whose device hardware contains this text, ignoring case
    /// (`"iphone"`, `"macbook"`).
    pub fn device(mut self, text: impl Into<String>) -> Self {
        self.device = Some(text.into());
        self
    }

    /// Only sessions on a Slack client older than this version.
    pub fn client_older_than(mut self, version: ClientVersion) -> Self {
        self.client_older_than = Some(version);
        self
    }

    /// The user asked for, as given (an id or an email address).
    pub fn user_ref(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// The workspace asked for.
    pub fn team_ref(&self) -> Option<&str> {
        self.team.as_deref()
    }

    /// Whether anything besides the user and the workspace is asked of a session: the
    /// conditions only the session's details can settle.
    pub fn looks_at_details(&self) -> bool {
        !self.ips.is_empty()
            || !self.not_ips.is_empty()
            || self.os.is_some()
            || self.device.is_some()
            || self.client_older_than.is_some()
    }

    /// Whether `session` meets every condition. The user condition compares ids: an
    /// email address (which a session does not carry) matches no session here, so
    /// resolve it first ([`Client::find_sessions`](crate::Client::find_sessions) does).
    pub fn matches(&self, session: &ActiveSession) -> bool {
        self.matches_but_address(session) && (!self.has_ranges() || self.address_matches(session))
    }

    /// Whether `session` meets every condition but the address ones, and is left out
    /// only because the address [`ip_from`](Self::ip_from) chooses is missing or is not
    /// an IP address. Such a session is suspect under [`not_ip`](Self::not_ip) ("outside
    /// our VPN"), so [`FindSessions`](crate::FindSessions) counts them.
    ///
    /// ```
    /// use slack_sessions::{ActiveSession, SessionFilter};
    ///
    /// let s: ActiveSession = serde_json::from_str(
    ///     r#"{"user_id":"W1","team_id":"T1","session_id":1,"created":{"ip":"unknown"}}"#,
    /// )?;
    /// let outside_vpn = SessionFilter::new().not_ip("10.0.0.0/8".parse()?);
    /// assert!(!outside_vpn.matches(&s));
    /// assert!(outside_vpn.lacks_address(&s));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn lacks_address(&self, session: &ActiveSession) -> bool {
        self.has_ranges()
            && self.addresses(session).iter().all(Option::is_none)
            && self.matches_but_address(session)
    }

    fn has_ranges(&self) -> bool {
        !self.ips.is_empty() || !self.not_ips.is_empty()
    }

    fn matches_but_address(&self, session: &ActiveSession) -> bool {
        if self.user.as_deref().is_some_and(|u| u != session.user_id)
            || self.team.as_deref().is_some_and(|t| t != session.team_id)
        {
            return false;
        }
        let latest = |field: fn(&DeviceInfo) -> Option<&String>| -> Option<&str> {
            session
                .recent
                .as_ref()
                .and_then(field)
                .or_else(|| session.created.as_ref().and_then(field))
                .map(String::as_str)
        };
        if let Some(os) = &self.os {
            if !latest(|d| d.os.as_ref()).is_some_and(|v| contains_ignore_case(v, os)) {
                return false;
            }
        }
        if let Some(device) = &self.device {
            if !latest(|d| d.device_hardware.as_ref())
                .is_some_and(|v| contains_ignore_case(v, device))
            {
                return false;
            }
        }
        if let Some(limit) = &self.client_older_than {
            let version = latest(|d| d.slack_client_version.as_ref())
                .and_then(|v| v.parse::<ClientVersion>().ok());
            if version.is_none_or(|v| v >= *limit) {
                return false;
            }
        }
        true
    }

    /// The addresses [`ip_from`](Self::ip_from) chooses (`None`: missing or unreadable).
    fn addresses(&self, session: &ActiveSession) -> [Option<IpAddr>; 2] {
        let ip = |d: &Option<DeviceInfo>| -> Option<IpAddr> {
            d.as_ref()?.ip.as_deref()?.trim().parse().ok()
        };
        let created = ip(&session.created);
        let recent = ip(&session.recent);
        match self.ip_from {
            IpFrom::Created => [created, None],
            IpFrom::Recent => [recent.or(created), None],
            IpFrom::Any => [created, recent],
        }
    }

    fn address_matches(&self, session: &ActiveSession) -> bool {
        self.addresses(session).into_iter().flatten().any(|addr| {
            (self.ips.is_empty() || self.ips.iter().any(|r| r.contains(addr)))
                && !self.not_ips.iter().any(|r| r.contains(addr))
        })
    }

    /// A copy with the user replaced (an email address by its id).
    pub(crate) fn with_user(&self, user: String) -> Self {
        SessionFilter {
            user: Some(user),
            ..self.clone()
        }
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// An IPv4 or IPv6 address range in CIDR notation (`203.0.113.0/24`, `2001:db8::/32`),
/// or one address (`203.0.113.7`, a /32; `2001:db8::1`, a /128).
///
/// Host bits past the prefix are ignored (`10.1.2.3/8` is `10.0.0.0/8`). An IPv4 range
/// matches IPv4 addresses, and IPv6 addresses that are IPv4-mapped (`::ffff:10.1.2.3`);
/// an IPv6 range matches IPv6 addresses. `0.0.0.0/0` is every IPv4 address, `::/0`
/// every IPv6 one.
///
/// ```
/// use slack_sessions::IpRange;
///
/// let vpn: IpRange = "10.8.0.0/16".parse()?;
/// assert!(vpn.contains("10.8.200.1".parse().unwrap()));
/// assert!(!vpn.contains("10.9.0.1".parse().unwrap()));
/// assert_eq!(vpn.to_string(), "10.8.0.0/16");
/// # Ok::<(), slack_sessions::InvalidRequest>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    /// The range of `network`'s first `prefix` bits (at most 32 for IPv4, 128 for IPv6).
    ///
    /// # Errors
    ///
    /// A prefix longer than the address.
    pub fn new(network: IpAddr, prefix: u8) -> Result<Self, InvalidRequest> {
        let max = match network {
            IpAddr::V4(_) => 32,
            IpAddr::V6(_) => 128,
        };
        if prefix > max {
            return Err(InvalidRequest::new(
                FILTER,
                "ip",
                format!("/{prefix} is longer than an address of {max} bits ({network})"),
            ));
        }
        // An IPv4-mapped range (`::ffff:203.0.113.0/120`) is the IPv4 range it maps, as
        // the addresses it is matched against are.
        let (network, prefix) = match network {
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) if prefix >= 96 => (IpAddr::V4(v4), prefix - 96),
                _ => (network, prefix),
            },
            v4 => (v4, prefix),
        };
        let network = match network {
            IpAddr::V4(a) => IpAddr::V4((u32::from(a) & mask32(prefix)).into()),
            IpAddr::V6(a) => IpAddr::V6((u128::from(a) & mask128(prefix)).into()),
        };
        Ok(IpRange { network, prefix })
    }

    /// Whether `addr` lies in the range.
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => u32::from(a) & mask32(self.prefix) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => u128::from(a) & mask128(self.prefix) == u128::from(n),
            _ => false,
        }
    }

    /// The first address of the range.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// How many leading bits are fixed.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

fn mask32(prefix: u8) -> u32 {
    match prefix {
        0 => 0,
        p => u32::MAX << (32 - u32::from(p)),
    }
}

fn mask128(prefix: u8) -> u128 {
    match prefix {
        0 => 0,
        p => u128::MAX << (128 - u32::from(p)),
    }
}

impl FromStr for IpRange {
    type Err = InvalidRequest;

    fn from_str(s: &str) -> Result<Self, InvalidRequest> {
        let text = s.trim();
        let bad = |why: String| InvalidRequest::new(FILTER, "ip", why);
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| {
            bad(format!(
                "{s:?} is not an IPv4 or IPv6 address or CIDR range (like 203.0.113.0/24 or 2001:db8::/32)"
            ))
        })?;
        let prefix = match prefix {
            None => match addr {
                IpAddr::V4(_) => 32,
                IpAddr::V6(_) => 128,
            },
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p
                .parse::<u8>()
                .map_err(|_| bad(format!("{s:?}: the prefix /{p} is too long")))?,
            Some(p) => {
                return Err(bad(format!(
                    "{s:?}: the prefix after / must be a number of bits, not {p:?}"
                )))
            }
        };
        IpRange::new(addr, prefix).map_err(|e| bad(format!("{s:?}: {}", e.reason())))
    }
}

impl fmt::Display for IpRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A Slack client version (`slack_client_version`: `4.2.0`, `91.0.4472.77`,
/// `4.29.149 App Store`), ordered as versions are.
///
/// Numbers are compared part by part, numerically (`4.10` is newer than `4.9`), missing
/// parts count as 0 (`4.2` equals `4.2.0`), and text after the numbers is ignored except
/// that a pre-release (`4.36.0-beta2`) is older than its release. A leading `v` is
/// allowed.
///
/// ```
/// use slack_sessions::ClientVersion;
///
/// let v = |s: &str| s.parse::<ClientVersion>().unwrap();
/// assert!(v("4.9.1") < v("4.10"));
/// assert!(v("4.36.0-beta2") < v("4.36.0"));
/// assert_eq!(v("4.2"), v("4.2.0"));
/// assert!("latest".parse::<ClientVersion>().is_err());
/// ```
#[derive(Debug, Clone)]
pub struct ClientVersion {
    text: String,
    parts: Vec<u64>,
    pre_release: bool,
}

impl ClientVersion {
    /// The numeric parts, as written.
    pub fn parts(&self) -> &[u64] {
        &self.parts
    }

    /// The version as it was given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// A version as a person types it: dot-separated numbers (`4.36.0`), an optional
    /// leading `v` and an optional pre-release (`4.36.0-beta2`), nothing else. The
    /// lenient [`FromStr`] reading is for what Slack sends (`4.29.149 App Store`);
    /// this one refuses `4,36`, `4..36` or `4.x`, which it would read as `4`.
    ///
    /// ```
    /// use slack_sessions::ClientVersion;
    ///
    /// assert_eq!(ClientVersion::parse_strict("4.36.0")?.parts(), [4, 36, 0]);
    /// assert!(ClientVersion::parse_strict("4,36").is_err());
    /// assert!(ClientVersion::parse_strict("4.x").is_err());
    /// # Ok::<(), slack_sessions::InvalidRequest>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Anything but the above, naming the text.
    pub fn parse_strict(text: &str) -> Result<Self, InvalidRequest> {
        let version: ClientVersion = text.parse()?;
        let t = version.text.as_str();
        let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
        let (numbers, pre) = match t.split_once('-') {
            Some((n, p)) => (n, Some(p)),
            None => (t, None),
        };
        let numbers_ok = numbers
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        let pre_ok = pre.is_none_or(|p| {
            !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        });
        if numbers_ok && pre_ok {
            Ok(version)
        } else {
            Err(InvalidRequest::new(
                FILTER,
                "client_version",
                format!(
                    "{text:?} is not a version: write dot-separated numbers, like 4.36.0 (or 4.36.0-beta2)"
                ),
            ))
        }
    }

    fn key(&self) -> (&[u64], bool) {
        let mut end = self.parts.len();
        while end > 0 && self.parts[end - 1] == 0 {
            end -= 1;
        }
        (&self.parts[..end], !self.pre_release)
    }
}

impl FromStr for ClientVersion {
    type Err = InvalidRequest;

    fn from_str(s: &str) -> Result<Self, InvalidRequest> {
        let text = s.trim();
        let digits = text.strip_prefix(['v', 'V']).unwrap_or(text).trim_start();
        let mut parts = Vec::new();
        let mut rest = digits;
        loop {
            let len = rest.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 {
                break;
            }
            let part = rest[..len].parse::<u64>().map_err(|_| {
                InvalidRequest::new(
                    FILTER,
                    "client_version",
                    format!("{s:?}: a part is too large"),
                )
            })?;
            parts.push(part);
            rest = &rest[len..];
            match rest.strip_prefix('.') {
                Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
                _ => break,
            }
        }
        if parts.is_empty() {
            return Err(InvalidRequest::new(
                FILTER,
                "client_version",
                format!("{s:?} is not a version (like 4.36.0)"),
            ));
        }
        Ok(ClientVersion {
            text: text.to_owned(),
            parts,
            pre_release: rest.starts_with('-'),
        })
    }
}

impl PartialEq for ClientVersion {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}

impl Eq for ClientVersion {}

impl PartialOrd for ClientVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ClientVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let (a, a_release) = self.key();
        let (b, b_release) = other.key();
        let len = a.len().max(b.len());
        for i in 0..len {
            let (x, y) = (
                a.get(i).copied().unwrap_or(0),
                b.get(i).copied().unwrap_or(0),
            );
            match x.cmp(&y) {
                Ordering::Equal => {}
                other => return other,
            }
        }
        a_release.cmp(&b_release)
    }
}

impl fmt::Display for ClientVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(created: Option<&str>, recent: Option<&str>) -> ActiveSession {
        let device = |ip: &str| DeviceInfo {
            ip: Some(ip.to_owned()),
            ..DeviceInfo::default()
        };
        ActiveSession {
            user_id: "W1".into(),
            team_id: "T1".into(),
            session_id: 1,
            created: created.map(device),
            recent: recent.map(device),
        }
    }

    fn range(s: &str) -> IpRange {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ranges_at_their_edges() {
        let all4 = range("0.0.0.0/0");
        assert!(all4.contains(ip("0.0.0.0")) && all4.contains(ip("255.255.255.255")));
        assert!(!all4.contains(ip("::1")), "a v4 range holds no v6 address");
        assert!(all4.contains(ip("::ffff:192.0.2.1")), "v4-mapped v6 is v4");
        let all6 = range("::/0");
        assert!(all6.contains(ip("2001:db8::1")) && all6.contains(ip("::")));
        assert!(!all6.contains(ip("192.0.2.1")));

        let one = range("192.0.2.7/32");
        assert_eq!(one, range("192.0.2.7"));
        assert!(one.contains(ip("192.0.2.7")));
        assert!(!one.contains(ip("192.0.2.6")) && !one.contains(ip("192.0.2.8")));
        let one6 = range("2001:db8::7/128");
        assert_eq!(one6, range("2001:db8::7"));
        assert!(one6.contains(ip("2001:db8::7")) && !one6.contains(ip("2001:db8::8")));

        let net = range("10.1.2.3/8");
        assert_eq!(net.to_string(), "10.0.0.0/8");
        assert!(net.contains(ip("10.255.255.255")) && !net.contains(ip("11.0.0.0")));
        let net6 = range("2001:db8:abcd::/48");
        assert!(net6.contains(ip("2001:db8:abcd:ffff::1")));
        assert!(!net6.contains(ip("2001:db8:abce::1")));
        assert_eq!(range("2001:db8::/31").prefix(), 31);
        assert!(range("10.0.0.0/31").contains(ip("10.0.0.1")));
        assert!(range("::/1").contains(ip("7fff::")) && !range("::/1").contains(ip("8000::")));
    }

    #[test]
    fn bad_ranges_name_what_is_wrong() {
        for (text, says) in [
            ("10.0.0.0/33", "longer than an address of 32 bits"),
            ("::/129", "longer than an address of 128 bits"),
            ("10.0.0.0/", "must be a number of bits"),
            ("10.0.0.0/-1", "must be a number of bits"),
            ("10.0.0.0/8/8", "must be a number of bits"),
            ("10.0.0.0/1000", "too long"),
            ("10.0.0", "not an IPv4 or IPv6 address"),
            ("example.com", "not an IPv4 or IPv6 address"),
            ("", "not an IPv4 or IPv6 address"),
        ] {
            let e = text.parse::<IpRange>().unwrap_err();
            assert_eq!(e.field(), "ip");
            assert!(e.reason().contains(says), "{text}: {}", e.reason());
        }
    }

    #[test]
    fn addresses_follow_ip_from_and_a_missing_recent() {
        let attacker = SessionFilter::new().ip(range("203.0.113.0/24"));
        let s = session(Some("10.0.0.1"), Some("203.0.113.9"));
        assert!(attacker.matches(&s), "any: the recent address will do");
        assert!(!attacker.clone().ip_from(IpFrom::Created).matches(&s));
        assert!(attacker.clone().ip_from(IpFrom::Recent).matches(&s));

        // No `recent`: its created address is the latest known.
        let quiet = session(Some("203.0.113.9"), None);
        assert!(attacker.clone().ip_from(IpFrom::Recent).matches(&quiet));
        assert!(attacker.clone().ip_from(IpFrom::Created).matches(&quiet));
        assert!(attacker.matches(&quiet));
        // No address at all matches no address condition.
        assert!(!attacker.matches(&session(None, None)));
        assert!(!SessionFilter::new()
            .not_ip(range("10.0.0.0/8"))
            .matches(&session(None, Some("not an ip"))));
        assert!(SessionFilter::new().matches(&session(None, None)));

        let outside_vpn = SessionFilter::new()
            .not_ip(range("10.0.0.0/8"))
            .not_ip(range("fd00::/8"));
        assert!(!outside_vpn.matches(&session(Some("10.0.0.1"), Some("fd00::1"))));
        assert!(outside_vpn.matches(&session(Some("10.0.0.1"), Some("2001:db8::1"))));
        assert!(!outside_vpn
            .clone()
            .ip_from(IpFrom::Created)
            .matches(&session(Some("10.0.0.1"), Some("2001:db8::1"))));
        // ip and not_ip together: inside one, outside the other.
        let f = SessionFilter::new()
            .ip(range("0.0.0.0/0"))
            .not_ip(range("10.0.0.0/8"));
        assert!(f.matches(&session(Some("192.0.2.1"), None)));
        assert!(!f.matches(&session(Some("10.0.0.1"), None)));
        assert!(!f.matches(&session(Some("2001:db8::1"), None)));
    }

    #[test]
    fn os_device_and_version_read_the_latest_details() {
        let mut s = session(Some("10.0.0.1"), Some("10.0.0.2"));
        s.created.as_mut().unwrap().os = Some("Windows".into());
        s.created.as_mut().unwrap().slack_client_version = Some("4.29.149".into());
        s.created.as_mut().unwrap().device_hardware = Some("ThinkPad".into());
        assert!(SessionFilter::new().os("windows").matches(&s));
        assert!(SessionFilter::new().device("thinkpad").matches(&s));
        assert!(!SessionFilter::new().os("mac").matches(&s));
        let older = |v: &str| SessionFilter::new().client_older_than(v.parse().unwrap());
        assert!(older("4.30").matches(&s));
        assert!(!older("4.29.149").matches(&s));
        s.recent.as_mut().unwrap().slack_client_version = Some("4.36.1 App Store".into());
        assert!(!older("4.30").matches(&s), "the recent client is newer");
        assert!(older("4.37").matches(&s));
        s.created.as_mut().unwrap().slack_client_version = None;
        s.recent.as_mut().unwrap().slack_client_version = None;
        assert!(
            !older("99").matches(&s),
            "an unknown version matches nothing"
        );

        let f = SessionFilter::new().user("W1").team("T2");
        assert!(!f.matches(&s));
        assert!(SessionFilter::new().user("W1").team("T1").matches(&s));
    }

    #[test]
    fn versions_compare_as_versions() {
        let v = |s: &str| s.parse::<ClientVersion>().unwrap();
        assert!(v("4.9") < v("4.10"));
        assert!(v("4.10.0") > v("4.9.99"));
        assert!(v("91.0.4472.77") > v("4.36.0"));
        assert_eq!(v("v4.2"), v("4.2.0.0"));
        assert!(v("4.36.0-beta2") < v("4.36"));
        assert!(v("4.36.0-beta2") > v("4.35.9"));
        assert_eq!(v("4.29.149 App Store"), v("4.29.149"));
        assert_eq!(v("4.29.149 App Store").parts(), [4, 29, 149]);
        assert_eq!(v("4.3.").parts(), [4, 3]);
        for bad in ["", "latest", "v", ".4", "99999999999999999999999"] {
            let e = bad.parse::<ClientVersion>().unwrap_err();
            assert_eq!(e.field(), "client_version", "{bad}");
        }
    }
}
