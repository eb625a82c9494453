//! `auth.test`: who the token belongs to.

use serde::{Deserialize, Serialize};

use crate::method::SlackMethod;

/// `auth.test`: says whose token this is (user, workspace, org). A whole-org logout uses
/// it to leave the caller's own sessions alone, so that the responder keeps a working
/// console.
///
/// No scope needed; Slack's reference puts it in its own tier ("t5"), above Tier 4.
///
/// ```
/// use slack_sessions::{AuthTestRequest, Client, FakeTransport};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok":true,"url":"https://subarachnoid.slack.com/","team":"Subarachnoid Workspace",
///     "user":"grace","team_id":"T12345678","user_id":"W12345678"}"#);
/// let client = Client::with_transport("xoxp-test", fake);
/// assert_eq!(client.send(&AuthTestRequest::new())?.user_id, "W12345678");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AuthTestRequest {}

impl AuthTestRequest {
    /// Asks who the token belongs to.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Slack's answer to `auth.test`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AuthTestResponse {
    /// The token's user.
    #[serde(default)]
    pub user_id: String,
    /// The token's workspace.
    #[serde(default)]
    pub team_id: String,
    /// The user's name.
    #[serde(default)]
    pub user: Option<String>,
    /// The workspace's name.
    #[serde(default)]
    pub team: Option<String>,
    /// The workspace's URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The org, on Enterprise Grid.
    #[serde(default)]
    pub enterprise_id: Option<String>,
    /// Set when the token is a bot's.
    #[serde(default)]
    pub bot_id: Option<String>,
}

impl SlackMethod for AuthTestRequest {
    const NAME: &'static str = "auth.test";
    type Response = AuthTestResponse;
    const TIER: Option<u8> = Some(5);
}
