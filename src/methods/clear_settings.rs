//! `admin.users.session.clearSettings`: drop users' own session settings.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::SlackMethod;
use crate::methods::UserIds;

/// `admin.users.session.clearSettings`: removes these users' own session settings, so
/// the org's defaults apply to them again.
///
/// Scope `admin.users:write`; rate limit Tier 4 (about 100 calls a minute).
///
/// ```
/// use slack_sessions::{ClearSettingsRequest, Client, FakeTransport};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&ClearSettingsRequest::new(["W1"]))?;
/// assert_eq!(fake.requests()[0].body(), b"user_ids=W1");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClearSettingsRequest {
    user_ids: UserIds,
}

impl ClearSettingsRequest {
    /// Clears the settings of these users.
    pub fn new<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClearSettingsRequest {
            user_ids: user_ids.into_iter().collect(),
        }
    }
}

/// Slack's answer to `admin.users.session.clearSettings`: `{"ok": true}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ClearSettingsResponse {}

impl SlackMethod for ClearSettingsRequest {
    const NAME: &'static str = "admin.users.session.clearSettings";
    type Response = ClearSettingsResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:write"];
    const TIER: Option<u8> = Some(4);

    fn validate(&self) -> Result<(), InvalidRequest> {
        self.user_ids.check(Self::NAME, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire() {
        assert_eq!(
            serde_urlencoded::to_string(ClearSettingsRequest::new(["W1", "W9"])).unwrap(),
            "user_ids=W1%2CW9"
        );
        assert!(ClearSettingsRequest::new([""]).validate().is_err());
    }
}
