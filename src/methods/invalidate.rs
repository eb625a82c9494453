//! `admin.users.session.invalidate`: end one session.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::{check_id, SlackMethod};

/// `admin.users.session.invalidate`: ends one session, named by its owner and its id.
///
/// Slack requires `user_id` and `session_id`; `team_id`, the session's workspace, is
/// optional and goes *alongside* the user ([`team`](Self::team)). A team-only request
/// cannot be built: Slack stopped accepting them in January 2025.
///
/// Session ids come from `admin.users.session.list`. They are 64-bit: Slack documents
/// them only as integers and its own examples exceed 2^32 (`1112275520242`), so the
/// 32-bit `int` of some generated SDKs would truncate them.
///
/// Scope `admin.users:write`; rate limit Tier 2 (about 20 calls a minute).
///
/// ```
/// use slack_sessions::{Client, FakeTransport, InvalidateRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#).push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&InvalidateRequest::new("W12345678", 1112275520242))?;
/// client.send(&InvalidateRequest::new("W12345678", 42).team("T123"))?;
/// assert_eq!(fake.requests()[0].body(), b"user_id=W12345678&session_id=1112275520242");
/// assert_eq!(fake.requests()[1].body(), b"user_id=W12345678&session_id=42&team_id=T123");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvalidateRequest {
    user_id: String,
    session_id: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
}

impl InvalidateRequest {
    /// Ends session `session_id` of user `user_id`.
    pub fn new(user_id: impl Into<String>, session_id: u64) -> Self {
        InvalidateRequest {
            user_id: user_id.into(),
            session_id,
            team_id: None,
        }
    }

    /// Ends session `session_id` of user `user_id`.
    #[deprecated(
        since = "0.2.0",
        note = "use `InvalidateRequest::new(user_id, session_id)`"
    )]
    pub fn for_user(user_id: impl Into<String>, session_id: u64) -> Self {
        Self::new(user_id, session_id)
    }

    /// Also names the session's workspace (`team_id`), sent alongside `user_id`.
    pub fn team(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }

    /// The user whose session ends.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The session to end.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// The session's workspace, when given.
    pub fn team_id(&self) -> Option<&str> {
        self.team_id.as_deref()
    }
}

/// Slack's answer to `admin.users.session.invalidate`: `{"ok": true}` and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InvalidateResponse {}

impl SlackMethod for InvalidateRequest {
    const NAME: &'static str = "admin.users.session.invalidate";
    type Response = InvalidateResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:write"];
    const TIER: Option<u8> = Some(2);

    /// Refuses an empty or malformed `user_id` or `team_id`, and session id 0 (no session
    /// has it; it is what an unset id looks like).
    fn validate(&self) -> Result<(), InvalidRequest> {
        check_id(Self::NAME, "user_id", &self.user_id)?;
        if self.session_id == 0 {
            return Err(InvalidRequest::new(
                Self::NAME,
                "session_id",
                "is 0, which names no session",
            ));
        }
        if let Some(team) = &self.team_id {
            check_id(Self::NAME, "team_id", team)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(r: &InvalidateRequest) -> String {
        serde_urlencoded::to_string(r).unwrap()
    }

    #[test]
    fn encodes_user_and_optional_team() {
        assert_eq!(
            form(&InvalidateRequest::new("W1", 7)),
            "user_id=W1&session_id=7"
        );
        assert_eq!(
            form(&InvalidateRequest::new("W1", 7).team("T1")),
            "user_id=W1&session_id=7&team_id=T1"
        );
    }

    #[test]
    fn session_ids_are_not_truncated() {
        assert_eq!(
            form(&InvalidateRequest::new("W1", 1112275520242)),
            "user_id=W1&session_id=1112275520242"
        );
        assert_eq!(
            form(&InvalidateRequest::new("W1", u64::MAX)),
            "user_id=W1&session_id=18446744073709551615"
        );
    }

    #[test]
    fn validates() {
        assert!(InvalidateRequest::new("W1", 1)
            .team("T1")
            .validate()
            .is_ok());
        let field = |r: InvalidateRequest| r.validate().unwrap_err().field();
        assert_eq!(field(InvalidateRequest::new("", 1)), "user_id");
        assert_eq!(
            field(InvalidateRequest::new("W1", 1).team(" T1")),
            "team_id"
        );
        assert_eq!(field(InvalidateRequest::new("W1", 1).team("")), "team_id");
        assert_eq!(field(InvalidateRequest::new("W1", 0)), "session_id");
    }
}
