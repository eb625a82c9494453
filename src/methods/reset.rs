//! `admin.users.session.reset`: log a user out of every session, or only web or mobile.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::{check_id, SlackMethod};
use crate::methods::check_session_kind;

/// `admin.users.session.reset`: wipes a user's sessions, leaving the user logged out;
/// their Slack clients reset their local cache.
///
/// By default every session on every device; [`mobile_only`](Self::mobile_only) or
/// [`web_only`](Self::web_only) narrow it. Needs a user token with `admin.users:write`
/// on Enterprise Grid; Slack rate-limits it at Tier 2 (about 20 calls a minute).
///
/// Scope `admin.users:write`; rate limit Tier 2 (about 20 calls a minute).
///
/// ```
/// use slack_sessions::{Client, FakeTransport, ResetRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&ResetRequest::new("W12345678").mobile_only(true))?;
/// assert_eq!(fake.requests()[0].body(), b"user_id=W12345678&mobile_only=true");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResetRequest {
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile_only: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    web_only: Option<bool>,
}

impl ResetRequest {
    /// Resets every session of `user_id` (e.g. `"W12345678"`).
    pub fn new(user_id: impl Into<String>) -> Self {
        ResetRequest {
            user_id: user_id.into(),
            mobile_only: None,
            web_only: None,
        }
    }

    /// Only expire mobile sessions (sent as `mobile_only=true` or `false`; omitted when
    /// never set, which Slack reads as `false`).
    pub fn mobile_only(mut self, yes: bool) -> Self {
        self.mobile_only = Some(yes);
        self
    }

    /// Only expire web sessions (sent as `web_only=true` or `false`; omitted when never
    /// set, which Slack reads as `false`).
    pub fn web_only(mut self, yes: bool) -> Self {
        self.web_only = Some(yes);
        self
    }

    /// A reset of `user_id` from two flags, as a command line or a config gives them:
    /// each is sent only when true (`scoped(u, false, false)` is `new(u)`). Both true is
    /// refused by [`validate`](SlackMethod::validate), as with the setters.
    pub fn scoped(user_id: impl Into<String>, mobile_only: bool, web_only: bool) -> Self {
        ResetRequest {
            user_id: user_id.into(),
            mobile_only: mobile_only.then_some(true),
            web_only: web_only.then_some(true),
        }
    }

    /// The user whose sessions are reset.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The `mobile_only` flag, when set.
    pub fn is_mobile_only(&self) -> Option<bool> {
        self.mobile_only
    }

    /// The `web_only` flag, when set.
    pub fn is_web_only(&self) -> Option<bool> {
        self.web_only
    }
}

/// Slack's answer to `admin.users.session.reset`: `{"ok": true}` and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ResetResponse {}

impl SlackMethod for ResetRequest {
    const NAME: &'static str = "admin.users.session.reset";
    type Response = ResetResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:write"];
    const TIER: Option<u8> = Some(2);

    /// Refuses an empty or malformed `user_id`, and `mobile_only` together with
    /// `web_only`: "only mobile" and "only web" at once is a contradiction, and guessing
    /// which one was meant could leave a stolen device logged in. Leave both unset to
    /// reset every session.
    fn validate(&self) -> Result<(), InvalidRequest> {
        check_id(Self::NAME, "user_id", &self.user_id)?;
        check_session_kind(Self::NAME, self.mobile_only, self.web_only)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(r: &ResetRequest) -> String {
        serde_urlencoded::to_string(r).unwrap()
    }

    #[test]
    fn encodes_required_and_optional_fields() {
        assert_eq!(form(&ResetRequest::new("W123")), "user_id=W123");
        assert_eq!(
            form(&ResetRequest::new("W123").mobile_only(true)),
            "user_id=W123&mobile_only=true"
        );
        assert_eq!(
            form(&ResetRequest::new("W123").web_only(false)),
            "user_id=W123&web_only=false"
        );
        assert_eq!(
            form(&ResetRequest::new("W123").mobile_only(false).web_only(true)),
            "user_id=W123&mobile_only=false&web_only=true"
        );
    }

    #[test]
    fn scoped_sends_only_the_flags_that_are_true() {
        assert_eq!(
            form(&ResetRequest::scoped("W1", false, false)),
            "user_id=W1"
        );
        assert_eq!(
            form(&ResetRequest::scoped("W1", true, false)),
            "user_id=W1&mobile_only=true"
        );
        assert_eq!(
            form(&ResetRequest::scoped("W1", false, true)),
            "user_id=W1&web_only=true"
        );
        assert_eq!(
            ResetRequest::scoped("W1", true, true)
                .validate()
                .unwrap_err()
                .field(),
            "web_only"
        );
    }

    #[test]
    fn escapes_the_id() {
        assert_eq!(form(&ResetRequest::new("W1&x=y")), "user_id=W1%26x%3Dy");
    }

    #[test]
    fn validates() {
        assert!(ResetRequest::new("W123").validate().is_ok());
        for bad in ["", "   ", "W1 23", "W123\n", "\tW1", "W1\u{0}"] {
            let err = ResetRequest::new(bad).validate().unwrap_err();
            assert_eq!(err.field(), "user_id", "{bad:?}");
        }
        let both = ResetRequest::new("W1").mobile_only(true).web_only(true);
        assert_eq!(both.validate().unwrap_err().field(), "web_only");
        assert!(ResetRequest::new("W1")
            .mobile_only(true)
            .web_only(false)
            .validate()
            .is_ok());
    }

    #[test]
    fn decodes_ok_and_ignores_extra_fields() {
        let r: ResetResponse = serde_json::from_str(r#"{"ok":true,"extra":[1]}"#).unwrap();
        assert_eq!(r, ResetResponse {});
    }
}
