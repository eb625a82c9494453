//! `admin.users.session.getSettings`: users' session duration and quit-on-close settings.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::SlackMethod;
use crate::methods::UserIds;

/// `admin.users.session.getSettings`: the user-level session settings of these users.
/// Users without settings of their own are listed in
/// [`GetSettingsResponse::no_settings_applied`].
///
/// Scope `admin.users:read`; rate limit Tier 4 (about 100 calls a minute).
///
/// ```
/// use slack_sessions::{Client, FakeTransport, GetSettingsRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok":true,"session_settings":[{"user_id":"W1","desktop_app_browser_quit":true,"duration":86400}],"no_settings_applied":["W2"]}"#);
/// let client = Client::with_transport("xoxp-test", fake);
/// let answer = client.send(&GetSettingsRequest::new(["W1", "W2"]))?;
/// assert_eq!(answer.session_settings[0].duration, Some(86400));
/// assert_eq!(answer.no_settings_applied, ["W2"]);
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GetSettingsRequest {
    user_ids: UserIds,
}

impl GetSettingsRequest {
    /// The settings of these users.
    pub fn new<I, S>(user_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        GetSettingsRequest {
            user_ids: user_ids.into_iter().collect(),
        }
    }
}

/// Slack's answer to `admin.users.session.getSettings`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GetSettingsResponse {
    /// One entry per user with settings of their own.
    #[serde(default, deserialize_with = "crate::methods::null_as_default")]
    pub session_settings: Vec<SessionSettings>,
    /// The users who have no settings of their own (the org's defaults apply); a
    /// `null` reads as none.
    #[serde(default, deserialize_with = "crate::methods::null_as_default")]
    pub no_settings_applied: Vec<String>,
}

/// One user's session settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct SessionSettings {
    /// The user.
    #[serde(default)]
    pub user_id: String,
    /// Whether sessions end when the desktop app or browser window closes.
    #[serde(default)]
    pub desktop_app_browser_quit: Option<bool>,
    /// How long a session lasts, in seconds.
    #[serde(default)]
    pub duration: Option<u64>,
}

impl SlackMethod for GetSettingsRequest {
    const NAME: &'static str = "admin.users.session.getSettings";
    type Response = GetSettingsResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:read"];
    const TIER: Option<u8> = Some(4);

    fn validate(&self) -> Result<(), InvalidRequest> {
        self.user_ids.check(Self::NAME, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_and_decoding() {
        let r = GetSettingsRequest::new(["W1", "W2"]);
        assert_eq!(serde_urlencoded::to_string(&r).unwrap(), "user_ids=W1%2CW2");
        assert!(GetSettingsRequest::new(Vec::<String>::new())
            .validate()
            .is_err());
        let a: GetSettingsResponse =
            serde_json::from_str(r#"{"ok":true,"session_settings":[{"user_id":"W1"}]}"#).unwrap();
        assert_eq!(a.session_settings[0].duration, None);
        assert!(a.no_settings_applied.is_empty());
        // Optional lists sent as null never fail the whole answer.
        let a: GetSettingsResponse = serde_json::from_str(
            r#"{"ok":true,"session_settings":[{"user_id":"W1"}],"no_settings_applied":null}"#,
        )
        .unwrap();
        assert!(a.no_settings_applied.is_empty());
        let a: GetSettingsResponse =
            serde_json::from_str(r#"{"ok":true,"session_settings":null}"#).unwrap();
        assert!(a.session_settings.is_empty());
    }
}
