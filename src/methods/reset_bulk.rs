//! `admin.users.session.resetBulk`: enqueue a reset of many users at once.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::SlackMethod;
use crate::methods::{check_session_kind, UserIds};

/// `admin.users.session.resetBulk`: enqueues an asynchronous job that wipes the sessions
/// of up to [`MAX_USERS`](Self::MAX_USERS) users.
///
/// `"ok": true` means the job was queued, not that every session is gone yet, and Slack
/// reports no per-user outcome. When you need one outcome per user (an incident report),
/// use [`Client::reset_many`](crate::Client::reset_many), which calls
/// `admin.users.session.reset` for each user.
///
/// Scope `admin.users:write`; rate limit Tier 2 (about 20 calls a minute).
///
/// ```
/// use slack_sessions::{Client, FakeTransport, ResetBulkRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&ResetBulkRequest::new(["W1", "W2"]).web_only(true))?;
/// assert_eq!(fake.requests()[0].body(), b"user_ids=W1%2CW2&web_only=true");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetBulkRequest {
    user_ids: UserIds,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_only: Option<bool>,
}

impl ResetBulkRequest {
    /// Slack's documented limit: up to 1,000 user ids per call.
    pub const MAX_USERS: usize = 1000;

    /// Resets every session of these users.
    pub fn new<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ResetBulkRequest {
            user_ids: user_ids.into_iter().collect(),
            mobile_only: None,
            web_only: None,
        }
    }

    /// Splits any number of ids into requests of at most [`MAX_USERS`](Self::MAX_USERS).
    pub fn chunked<I, S>(user_ids: I) -> Vec<Self>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let all: Vec<String> = user_ids.into_iter().map(Into::into).collect();
        all.chunks(Self::MAX_USERS)
            .map(|c| Self::new(c.iter().cloned()))
            .collect()
    }

    /// Only expire mobile sessions.
    pub fn mobile_only(mut self, yes: bool) -> Self {
        self.mobile_only = Some(yes);
        self
    }

    /// Only expire web sessions.
    pub fn web_only(mut self, yes: bool) -> Self {
        self.web_only = Some(yes);
        self
    }

    /// A reset of these users from two flags: each is sent only when true; both true is
    /// refused by [`validate`](SlackMethod::validate).
    pub fn scoped<I, S>(user_ids: I, mobile_only: bool, web_only: bool) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ResetBulkRequest {
            user_ids: user_ids.into_iter().collect(),
            mobile_only: mobile_only.then_some(true),
            web_only: web_only.then_some(true),
        }
    }

    /// The users in this request.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids.0
    }
}

/// Slack's answer to `admin.users.session.resetBulk`: `{"ok": true}` once the job is queued.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResetBulkResponse {}

impl SlackMethod for ResetBulkRequest {
    const NAME: &'static str = "admin.users.session.resetBulk";
    type Response = ResetBulkResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:write"];
    const TIER: Option<u8> = Some(2);

    /// Refuses an empty list, more than 1,000 ids, a malformed id, and `mobile_only`
    /// together with `web_only`.
    fn validate(&self) -> Result<(), InvalidRequest> {
        self.user_ids.check(Self::NAME, Some(Self::MAX_USERS))?;
        check_session_kind(Self::NAME, self.mobile_only, self.web_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_comma_joined_ids() {
        let r = ResetBulkRequest::new(["W1", "W2", "W3"]).mobile_only(true);
        assert_eq!(
            serde_urlencoded::to_string(&r).unwrap(),
            "user_ids=W1%2CW2%2CW3&mobile_only=true"
        );
    }

    #[test]
    fn enforces_the_documented_limit() {
        let ids: Vec<String> = (0..1001).map(|n| format!("W{n}")).collect();
        let err = ResetBulkRequest::new(ids.clone()).validate().unwrap_err();
        assert_eq!(err.field(), "user_ids");
        assert!(
            err.reason().contains("1001") && err.reason().contains("1000"),
            "{err}"
        );
        assert!(ResetBulkRequest::new(ids[..1000].to_vec())
            .validate()
            .is_ok());
        let chunks = ResetBulkRequest::chunked(ids);
        assert_eq!(
            chunks
                .iter()
                .map(|c| c.user_ids().len())
                .collect::<Vec<_>>(),
            [1000, 1]
        );
        assert!(chunks.iter().all(|c| c.validate().is_ok()));
    }

    #[test]
    fn validates() {
        assert!(ResetBulkRequest::new(Vec::<String>::new())
            .validate()
            .is_err());
        assert!(ResetBulkRequest::new(["W1", ""]).validate().is_err());
        assert!(ResetBulkRequest::new(["W1"])
            .mobile_only(true)
            .web_only(true)
            .validate()
            .is_err());
    }
}
