//! Slack's token rotation on the loopback server: expiring access tokens (lifetimes in
//! seconds, where Slack's are 12 hours) and `oauth.v2.access` with single-use refresh
//! tokens, the client id and secret taken from HTTP Basic auth (as Slack's reference
//! prefers) or from the form.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::slack::slack_error;
use super::{Received, Reply};

pub const CLIENT_ID: &str = "4711.0815";
pub const CLIENT_SECRET: &str = "client-SECRET-9f9f9f";

pub struct Rotation {
    pub client_id: String,
    pub client_secret: String,
    /// How long each access token lives.
    pub lifetime: Duration,
    /// The one refresh token that works now.
    pub refresh: String,
    /// Every access token issued, and when it expires.
    pub access: HashMap<String, Instant>,
    /// The first access token (issued "before" the test).
    pub first_access: String,
    /// Pairs issued by `oauth.v2.access`.
    pub issued: u32,
    /// Refresh tokens already used (sending one again is `invalid_refresh_token`).
    pub spent: Vec<String>,
    /// Calls answered `token_expired` / `invalid_auth`.
    pub expired_answers: u32,
    pub invalid_answers: u32,
    /// Every bearer token a method other than oauth.v2.access was called with, in order.
    pub used: Vec<String>,
    /// How long `oauth.v2.access` takes to answer (the server waits, holding its state).
    pub answer_delay: Duration,
}

impl Rotation {
    /// A rotation whose first access token expires `lifetime` from now.
    pub fn new(lifetime: Duration) -> Self {
        let first_access = "xoxe.xoxp-1-ACCESS0-aaaa1111".to_owned();
        let mut access = HashMap::new();
        access.insert(first_access.clone(), Instant::now() + lifetime);
        Rotation {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            lifetime,
            refresh: "xoxe-1-REFRESH0-bbbb2222".into(),
            access,
            first_access,
            issued: 0,
            spent: Vec::new(),
            expired_answers: 0,
            invalid_answers: 0,
            used: Vec::new(),
            answer_delay: Duration::ZERO,
        }
    }

    /// The access token issued last.
    pub fn latest_access(&self) -> String {
        self.access
            .iter()
            .max_by_key(|(_, at)| **at)
            .map(|(t, _)| t.clone())
            .unwrap()
    }

    /// `None` when the bearer token is valid; else Slack's answer.
    pub fn check(&mut self, r: &Received) -> Option<Reply> {
        let Some(auth) = r.header("authorization") else {
            return Some(slack_error("not_authed"));
        };
        let token = auth.strip_prefix("Bearer ").unwrap_or_default().to_owned();
        self.used.push(token.clone());
        match self.access.get(&token) {
            Some(at) if Instant::now() < *at => None,
            Some(_) => {
                self.expired_answers += 1;
                Some(slack_error("token_expired"))
            }
            None => {
                self.invalid_answers += 1;
                Some(slack_error("invalid_auth"))
            }
        }
    }

    /// `oauth.v2.access`.
    pub fn access(&mut self, r: &Received, form: &HashMap<String, String>) -> Reply {
        std::thread::sleep(self.answer_delay);
        let (id, secret) = match r.header("authorization").and_then(basic) {
            Some(pair) => pair,
            None => (
                form.get("client_id").cloned().unwrap_or_default(),
                form.get("client_secret").cloned().unwrap_or_default(),
            ),
        };
        if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
            return slack_error("invalid_grant_type");
        }
        if id != self.client_id {
            return slack_error("invalid_client_id");
        }
        if secret != self.client_secret {
            return slack_error("bad_client_secret");
        }
        let given = form.get("refresh_token").cloned().unwrap_or_default();
        if given != self.refresh {
            return slack_error("invalid_refresh_token");
        }
        self.issued += 1;
        let n = self.issued;
        self.spent.push(std::mem::replace(
            &mut self.refresh,
            format!("xoxe-1-REFRESH{n}-{:08x}", 0x5eed_u32.wrapping_mul(n + 7)),
        ));
        let access = format!(
            "xoxe.xoxp-1-ACCESS{n}-{:08x}",
            0xace_u32.wrapping_mul(n + 3)
        );
        self.access
            .insert(access.clone(), Instant::now() + self.lifetime);
        Reply::json(
            200,
            &format!(
                r#"{{"ok":true,"app_id":"A1","token_type":"user","scope":"admin.users:write","user_id":"W1","access_token":"{access}","refresh_token":"{}","expires_in":{},"team":{{"id":"T1"}},"enterprise":{{"id":"E1"}}}}"#,
                self.refresh,
                self.lifetime.as_secs().max(1)
            ),
        )
    }
}

/// `Basic base64(id:secret)` read back.
fn basic(header: &str) -> Option<(String, String)> {
    let coded = header.strip_prefix("Basic ")?;
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in coded.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = bits << 6 | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    let text = String::from_utf8(out).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}
