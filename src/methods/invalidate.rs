//! `admin.users.session.invalidate`: end one session.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::error::InvalidRequest;
use crate::method::{check_id, SlackMethod};

/// `admin.users.session.invalidate`: ends one session, named by its id and its owner.
///
/// Session ids come from `admin.users.session.list`. They are 64-bit: Slack documents
/// them only as integers and its own examples exceed 2^32 (`1112275520242`), so the
/// 32-bit `int` of some generated SDKs would truncate them.
///
/// Name the owner with exactly one of:
/// - [`for_user`](Self::for_user): sends `user_id`, the form Slack's method page
///   prefers;
/// - [`for_team`](Self::for_team): sends `team_id`, the older form. Slack has said
///   `team_id` will be deprecated; prefer `for_user` in new code.
///
/// ```
/// use slack_sessions::{Client, FakeTransport, InvalidateRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&InvalidateRequest::for_user("W12345678", 1112275520242))?;
/// assert_eq!(fake.requests()[0].body(), b"session_id=1112275520242&user_id=W12345678");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidateRequest {
    session_id: u64,
    owner: SessionOwner,
}

/// Who a session belongs to, for [`InvalidateRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionOwner {
    /// The user's id, sent as `user_id` (preferred by Slack).
    User(String),
    /// The workspace's id, sent as `team_id` (to be deprecated by Slack).
    Team(String),
}

impl InvalidateRequest {
    /// Ends session `session_id` of user `user_id` (sends `user_id`).
    pub fn for_user(user_id: impl Into<String>, session_id: u64) -> Self {
        InvalidateRequest {
            session_id,
            owner: SessionOwner::User(user_id.into()),
        }
    }

    /// Ends session `session_id` in workspace `team_id` (sends `team_id`; Slack plans to
    /// deprecate this form in favour of [`for_user`](Self::for_user)).
    pub fn for_team(team_id: impl Into<String>, session_id: u64) -> Self {
        InvalidateRequest {
            session_id,
            owner: SessionOwner::Team(team_id.into()),
        }
    }

    /// The session to end.
    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    /// Whose session it is.
    pub fn owner(&self) -> &SessionOwner {
        &self.owner
    }
}

impl Serialize for InvalidateRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut form = serializer.serialize_struct("InvalidateRequest", 2)?;
        form.serialize_field("session_id", &self.session_id)?;
        match &self.owner {
            SessionOwner::User(id) => form.serialize_field("user_id", id)?,
            SessionOwner::Team(id) => form.serialize_field("team_id", id)?,
        }
        form.end()
    }
}

/// Slack's answer to `admin.users.session.invalidate`: `{"ok": true}` and nothing else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct InvalidateResponse {}

impl SlackMethod for InvalidateRequest {
    const NAME: &'static str = "admin.users.session.invalidate";
    type Response = InvalidateResponse;

    /// Refuses an empty or malformed owner id, and session id 0 (no session has it; it is
    /// what an unset id looks like).
    fn validate(&self) -> Result<(), InvalidRequest> {
        match &self.owner {
            SessionOwner::User(id) => check_id(Self::NAME, "user_id", id)?,
            SessionOwner::Team(id) => check_id(Self::NAME, "team_id", id)?,
        }
        if self.session_id == 0 {
            return Err(InvalidRequest::new(
                Self::NAME,
                "session_id",
                "is 0, which names no session",
            ));
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
    fn encodes_exactly_one_owner() {
        assert_eq!(
            form(&InvalidateRequest::for_user("W1", 7)),
            "session_id=7&user_id=W1"
        );
        assert_eq!(
            form(&InvalidateRequest::for_team("T1", 7)),
            "session_id=7&team_id=T1"
        );
    }

    #[test]
    fn session_ids_are_not_truncated() {
        assert_eq!(
            form(&InvalidateRequest::for_user("W1", 1112275520242)),
            "session_id=1112275520242&user_id=W1"
        );
        assert_eq!(
            form(&InvalidateRequest::for_user("W1", u64::MAX)),
            "session_id=18446744073709551615&user_id=W1"
        );
    }

    #[test]
    fn validates() {
        assert!(InvalidateRequest::for_team("T1", 1).validate().is_ok());
        assert_eq!(
            InvalidateRequest::for_user("", 1)
                .validate()
                .unwrap_err()
                .field(),
            "user_id"
        );
        assert_eq!(
            InvalidateRequest::for_team(" T1", 1)
                .validate()
                .unwrap_err()
                .field(),
            "team_id"
        );
        assert_eq!(
            InvalidateRequest::for_user("W1", 0)
                .validate()
                .unwrap_err()
                .field(),
            "session_id"
        );
    }
}
