//! `admin.users.session.list`: the active sessions of an org, a workspace or a user.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::{check_id, Paginated, SlackMethod};
use crate::methods::check_limit;
use crate::methods::{lenient_opt_u64, lenient_u64, null_as_default};

/// `admin.users.session.list`: lists active sessions, a page at a time. With no filter,
/// every session in the org; narrow it to one user in one workspace with
/// [`user_in_team`](Self::user_in_team). Slack takes `user_id` and `team_id` together or
/// not at all (alone, either is answered `missing_team` / `missing_user`), so there is no
/// way to set one without the other.
///
/// `limit` is 1 to [`MAX_LIMIT`](Self::MAX_LIMIT) (1,000, also Slack's default). A user
/// or filter with no session is answered `no_active_sessions`; [`Client::pages`]
/// turns that into an empty last page, a single [`Client::send`] returns it as
/// [`Error::Api`](crate::Error::Api).
///
/// Scope `admin.users:read`; rate limit Tier 2 (about 20 calls a minute).
///
/// Walk every page with [`Client::pages`]:
///
/// ```
/// use slack_sessions::{Client, FakeTransport, ListRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":1112275520242}],
///                        "response_metadata":{"next_cursor":"abc"}}"#);
/// fake.push_json(200, r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":"99"}],
///                        "response_metadata":{"next_cursor":""}}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
///
/// let mut ids = Vec::new();
/// for page in client.pages(&ListRequest::new().user_in_team("W1", "T1")) {
///     ids.extend(page?.active_sessions.iter().map(|s| s.session_id));
/// }
/// assert_eq!(ids, [1112275520242, 99]);
/// assert_eq!(fake.requests()[1].body(), b"team_id=T1&user_id=W1&cursor=abc");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
///
/// [`Client::pages`]: crate::Client::pages
/// [`Client::send`]: crate::Client::send
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

impl ListRequest {
    /// The largest `limit` Slack accepts (and its default).
    pub const MAX_LIMIT: u32 = 1000;

    /// Every active session the token can see.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only the sessions of user `user_id` in workspace `team_id` (Slack takes the two
    /// together or not at all).
    pub fn user_in_team(mut self, user_id: impl Into<String>, team_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self.team_id = Some(team_id.into());
        self
    }

    /// At most this many sessions per page (`limit`, 1 to [`MAX_LIMIT`](Self::MAX_LIMIT);
    /// Slack's default, 1,000, applies when unset).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Start from this page (`cursor`, from a previous page's `next_cursor`).
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// One page of `admin.users.session.list`.
///
/// A record that lacks what a session needs (a usable `session_id`, a `user_id`) is left
/// out of [`active_sessions`](Self::active_sessions) and counted in
/// [`skipped`](Self::skipped), never fatal to the page or the walk; one that names its
/// user is kept in [`without_id`](Self::without_id) (the user still has something
/// active). A `null` where Slack documents a value (`team_id`, `created`) decodes as
/// empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawListResponse")]
#[non_exhaustive]
pub struct ListResponse {
    /// The sessions on this page.
    pub active_sessions: Vec<ActiveSession>,
    /// Where the next page starts; `None` or empty on the last page.
    pub response_metadata: Option<PageMetadata>,
    /// Records on this page left out of `active_sessions`: those without a usable
    /// `session_id` (a session that cannot be named cannot be invalidated) and those
    /// without a `user_id` (nothing can be done about them at all).
    pub skipped: usize,
    /// The records among [`skipped`](Self::skipped) that name a user but no usable
    /// session: their `session_id` is 0 and names nothing (never invalidate it). The user
    /// still has something active: a reset (which needs only the user id) ends it, and
    /// the user is not logged out while such a record is listed.
    pub without_id: Vec<ActiveSession>,
}

/// The page as it arrives, every field of a session optional.
#[derive(Deserialize)]
struct RawListResponse {
    #[serde(default)]
    active_sessions: Vec<RawSession>,
    #[serde(default)]
    response_metadata: Option<PageMetadata>,
}

#[derive(Deserialize)]
struct RawSession {
    #[serde(default, deserialize_with = "null_as_default")]
    user_id: String,
    #[serde(default, deserialize_with = "null_as_default")]
    team_id: String,
    #[serde(default, with = "lenient_opt_u64")]
    session_id: Option<u64>,
    #[serde(default)]
    created: Option<DeviceInfo>,
    #[serde(default)]
    recent: Option<DeviceInfo>,
}

impl From<RawListResponse> for ListResponse {
    fn from(raw: RawListResponse) -> Self {
        let total = raw.active_sessions.len();
        let mut active_sessions = Vec::with_capacity(total);
        let mut without_id = Vec::new();
        for s in raw.active_sessions {
            // A record that names no user cannot be acted on (a reset needs the user):
            // skipped, never an empty user id that would poison a plan or a chunk.
            if s.user_id.trim().is_empty() {
                continue;
            }
            let session = ActiveSession {
                session_id: s.session_id.unwrap_or(0),
                user_id: s.user_id,
                team_id: s.team_id,
                created: s.created,
                recent: s.recent,
            };
            match s.session_id {
                Some(_) => active_sessions.push(session),
                None => without_id.push(session),
            }
        }
        let skipped = total - active_sessions.len();
        if skipped > 0 {
            log::warn!(
                target: "slack_sessions",
                "admin.users.session.list: {skipped} record(s) without a usable session_id or user_id skipped ({} of them name a user)",
                without_id.len()
            );
        }
        ListResponse {
            active_sessions,
            response_metadata: raw.response_metadata,
            skipped,
            without_id,
        }
    }
}

/// `response_metadata` of a paginated answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct PageMetadata {
    /// The cursor of the next page; empty on the last page.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// An active session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ActiveSession {
    /// Whose session it is.
    #[serde(default)]
    pub user_id: String,
    /// The workspace of the session.
    #[serde(default)]
    pub team_id: String,
    /// The session's id, for [`InvalidateRequest`](crate::InvalidateRequest). Slack's
    /// SDKs disagree on its JSON type, so a number and a string of digits both decode.
    #[serde(with = "lenient_u64")]
    pub session_id: u64,
    /// The device the session was created on.
    #[serde(default)]
    pub created: Option<DeviceInfo>,
    /// The device the session was most recently used from.
    #[serde(default)]
    pub recent: Option<DeviceInfo>,
}

impl ActiveSession {
    /// What the device fields prove about the session's kind, for a mobile- or web-only
    /// reset and the check after it: `Some(false)` when it is certainly a web (desktop app
    /// or browser) session: every device's operating system is exactly a desktop one
    /// (`Mac OS X`, `OS X`, `macOS`, `Mac OS`, `Windows`), its hardware absent or a desktop
    /// form, and nothing names a phone; `None` otherwise (`Linux` included: Android is
    /// Linux). A phone's fields
    /// (`Android`, `Pixel 8`, `iOS`) fit the mobile app and a phone's browser alike, so
    /// free text never proves a session mobile: `Some(true)` is never answered. This is
    /// how [`Client::reset_verified`](crate::Client::reset_verified) decides which
    /// sessions a scoped reset must end: a session is left out only when its kind is
    /// certain, and a check watches every other one.
    ///
    /// ```
    /// # use slack_sessions::{ActiveSession, ListResponse};
    /// let page: ListResponse = serde_json::from_str(r#"{"active_sessions":[
    ///     {"user_id":"W1","team_id":"T1","session_id":1,"created":{"os":"Android","device_hardware":"Pixel 8"}},
    ///     {"user_id":"W1","team_id":"T1","session_id":2,"created":{"os":"Windows"}},
    ///     {"user_id":"W1","team_id":"T1","session_id":3},
    ///     {"user_id":"W1","team_id":"T1","session_id":4,"created":{"os":"Linux","device_hardware":"Samsung SM-S918B"}}]}"#).unwrap();
    /// let kinds: Vec<_> = page.active_sessions.iter().map(ActiveSession::is_mobile).collect();
    /// assert_eq!(kinds, [None, Some(false), None, None]);
    /// ```
    pub fn is_mobile(&self) -> Option<bool> {
        crate::org::certainly_web(self).then_some(false)
    }
}

/// Device details of a session, as Slack reports them; any may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DeviceInfo {
    /// E.g. `"Macbook Pro"`.
    pub device_hardware: Option<String>,
    /// E.g. `"Mac OS"`.
    pub os: Option<String>,
    /// E.g. `"10.14.6"`.
    pub os_version: Option<String>,
    /// E.g. `"4.2.0"`.
    pub slack_client_version: Option<String>,
    /// The IP address.
    pub ip: Option<String>,
}

impl SlackMethod for ListRequest {
    const NAME: &'static str = "admin.users.session.list";
    type Response = ListResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:read"];
    const TIER: Option<u8> = Some(2);

    /// Refuses a malformed `user_id` or `team_id`, and a `limit` outside 1 to 1,000.
    fn validate(&self) -> Result<(), InvalidRequest> {
        if let Some(id) = &self.user_id {
            check_id(Self::NAME, "user_id", id)?;
        }
        if let Some(id) = &self.team_id {
            check_id(Self::NAME, "team_id", id)?;
        }
        check_limit(Self::NAME, self.limit, Self::MAX_LIMIT)?;
        Ok(())
    }
}

impl Paginated for ListRequest {
    fn with_cursor(&self, cursor: &str) -> Self {
        self.clone().cursor(cursor)
    }

    fn next_cursor(response: &ListResponse) -> Option<&str> {
        response.response_metadata.as_ref()?.next_cursor.as_deref()
    }

    /// `no_active_sessions` is Slack's way of saying the list is empty.
    fn empty_page_on(error: &crate::ApiError) -> Option<ListResponse> {
        (error.code() == &crate::ErrorCode::NoActiveSessions).then(ListResponse::default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_filters_in_order() {
        assert_eq!(serde_urlencoded::to_string(ListRequest::new()).unwrap(), "");
        let r = ListRequest::new()
            .user_in_team("W1", "T1")
            .limit(100)
            .cursor("dXNlcjpVMDYxTkZUVDI=");
        assert_eq!(
            serde_urlencoded::to_string(&r).unwrap(),
            "team_id=T1&user_id=W1&limit=100&cursor=dXNlcjpVMDYxTkZUVDI%3D"
        );
    }

    #[test]
    fn validates() {
        assert!(ListRequest::new().validate().is_ok());
        let field = |r: ListRequest| r.validate().unwrap_err().field();
        assert_eq!(field(ListRequest::new().user_in_team("", "T1")), "user_id");
        assert_eq!(
            field(ListRequest::new().user_in_team("W1", "T 1")),
            "team_id"
        );
        assert_eq!(field(ListRequest::new().limit(0)), "limit");
        assert_eq!(field(ListRequest::new().limit(1001)), "limit");
        assert!(ListRequest::new().limit(1).validate().is_ok());
        assert!(ListRequest::new().limit(1000).validate().is_ok());
    }

    #[test]
    fn decodes_sessions_with_either_id_type() {
        let body = r#"{"ok":true,"active_sessions":[
            {"user_id":"W1","team_id":"T1","session_id":1112275520242,
             "created":{"device_hardware":"Macbook Pro","os":"Mac OS","os_version":"10.14.6","slack_client_version":"4.2.0","ip":"1.2.3.4"},
             "recent":{"ip":"5.6.7.8"}},
            {"user_id":"W2","team_id":"T1","session_id":"42"}],
            "response_metadata":{"next_cursor":"next"}}"#;
        let r: ListResponse = serde_json::from_str(body).unwrap();
        assert_eq!(r.active_sessions[0].session_id, 1112275520242);
        assert_eq!(
            r.active_sessions[0].created.as_ref().unwrap().os.as_deref(),
            Some("Mac OS")
        );
        assert_eq!(
            r.active_sessions[0].recent.as_ref().unwrap().ip.as_deref(),
            Some("5.6.7.8")
        );
        assert_eq!(r.active_sessions[1].session_id, 42);
        assert!(r.active_sessions[1].created.is_none());
        assert_eq!(ListRequest::next_cursor(&r), Some("next"));
        let last: ListResponse =
            serde_json::from_str(r#"{"ok":true,"active_sessions":[]}"#).unwrap();
        assert_eq!(ListRequest::next_cursor(&last), None);
    }

    #[test]
    fn an_odd_record_is_skipped_and_counted_never_fatal_to_the_page() {
        let page: ListResponse = serde_json::from_str(
            r#"{"ok":true,"active_sessions":[
                {"user_id":"W1","team_id":"T1","session_id":null,"created":{"ip":"1.2.3.4"}},
                {"user_id":"W1","team_id":"T1"},
                {"user_id":"W1","team_id":"T1","session_id":{"odd":true}},
                {"user_id":null,"team_id":null,"session_id":"12","created":null},
                {"user_id":"W2","team_id":"T1","session_id":13,"created":{"ip":null,"os":"iOS"},"recent":null}
            ]}"#,
        )
        .unwrap();
        assert_eq!(page.skipped, 4);
        let ids: Vec<u64> = page.active_sessions.iter().map(|s| s.session_id).collect();
        assert_eq!(ids, [13]);
        // The id-less records still name their user: W1 has something active.
        let users: Vec<&str> = page.without_id.iter().map(|s| s.user_id.as_str()).collect();
        assert_eq!(users, ["W1", "W1", "W1"]);
        assert_eq!(
            page.without_id[0].created.as_ref().unwrap().ip.as_deref(),
            Some("1.2.3.4")
        );
        // A record without a user id is nobody's: never an empty user.
        assert!(page
            .active_sessions
            .iter()
            .chain(&page.without_id)
            .all(|s| !s.user_id.is_empty()));
        assert_eq!(
            page.active_sessions[0]
                .created
                .as_ref()
                .unwrap()
                .os
                .as_deref(),
            Some("iOS")
        );
    }
}
