//! `admin.users.list`: the users of an org or workspace, a page at a time.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::{check_id, Paginated, SlackMethod};
use crate::methods::list::PageMetadata;
use crate::methods::{check_limit, null_as_default};

/// `admin.users.list`: the org's users (or one workspace's, with [`team`](Self::team)),
/// with their email, owner and bot flags: what a whole-org logout needs to pick its
/// targets and to turn emails into ids. Active users only unless
/// [`is_active(false)`](Self::is_active) asks for deactivated ones.
///
/// Scope `admin.users:read`; rate limit Tier 4 (about 100 calls a minute); at most
/// [`MAX_LIMIT`](Self::MAX_LIMIT) users a page.
///
/// ```
/// use slack_sessions::{AdminUsersListRequest, Client, FakeTransport};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok":true,"users":[{"id":"W1","email":"a@example.com","is_admin":false,"is_owner":false,
///     "is_primary_owner":false,"is_restricted":false,"is_ultra_restricted":false,"is_bot":false}],
///     "response_metadata":{"next_cursor":""}}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// let mut emails = Vec::new();
/// for page in client.pages(&AdminUsersListRequest::new().limit(100)) {
///     emails.extend(page?.users.into_iter().map(|u| u.email));
/// }
/// assert_eq!(emails, ["a@example.com"]);
/// assert_eq!(fake.requests()[0].body(), b"limit=100");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdminUsersListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_deactivated_user_workspaces: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    only_guests: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_admins: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    include_owners: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    limit: Option<u32>,
}

impl AdminUsersListRequest {
    /// The largest `limit` Slack accepts (and its default).
    pub const MAX_LIMIT: u32 = 100;

    /// Every active user of the org.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this workspace's users (`team_id`).
    pub fn team(mut self, team_id: impl Into<String>) -> Self {
        self.team_id = Some(team_id.into());
        self
    }

    /// Start from this page (`cursor`).
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }

    /// `true`: only active users (Slack's default); `false`: only deactivated ones.
    pub fn is_active(mut self, yes: bool) -> Self {
        self.is_active = Some(yes);
        self
    }

    /// With an org token and no team: list a user's workspaces even where deactivated.
    pub fn include_deactivated_user_workspaces(mut self, yes: bool) -> Self {
        self.include_deactivated_user_workspaces = Some(yes);
        self
    }

    /// Only guests (with their expiry). Not together with admins or owners.
    pub fn only_guests(mut self, yes: bool) -> Self {
        self.only_guests = Some(yes);
        self
    }

    /// Only admins (with [`include_owners`](Self::include_owners): admins and owners).
    pub fn include_admins(mut self, yes: bool) -> Self {
        self.include_admins = Some(yes);
        self
    }

    /// Only owners.
    pub fn include_owners(mut self, yes: bool) -> Self {
        self.include_owners = Some(yes);
        self
    }

    /// Users per page, 1 to [`MAX_LIMIT`](Self::MAX_LIMIT) (Slack's default 100).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page of `admin.users.list`.
///
/// A `null` where Slack's SDKs allow one (`email`, `is_admin`, …) decodes as empty or
/// `false`; a record without an `id` is left out of [`users`](Self::users) and counted
/// in [`skipped`](Self::skipped), never fatal to the page or the walk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "RawAdminUsersListResponse")]
#[non_exhaustive]
pub struct AdminUsersListResponse {
    /// The users on this page.
    pub users: Vec<AdminUser>,
    /// Where the next page starts; `None` or empty on the last page.
    pub response_metadata: Option<PageMetadata>,
    /// Records on this page without an `id`, left out of `users`.
    pub skipped: usize,
}

#[derive(Deserialize)]
struct RawAdminUsersListResponse {
    #[serde(default)]
    users: Vec<AdminUser>,
    #[serde(default)]
    response_metadata: Option<PageMetadata>,
}

impl From<RawAdminUsersListResponse> for AdminUsersListResponse {
    fn from(raw: RawAdminUsersListResponse) -> Self {
        let total = raw.users.len();
        let users: Vec<AdminUser> = raw
            .users
            .into_iter()
            .filter(|u| !u.id.trim().is_empty())
            .collect();
        let skipped = total - users.len();
        if skipped > 0 {
            log::warn!(
                target: "slack_sessions",
                "admin.users.list: {skipped} record(s) without an id skipped"
            );
        }
        AdminUsersListResponse {
            users,
            response_metadata: raw.response_metadata,
            skipped,
        }
    }
}

/// A user as `admin.users.list` describes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AdminUser {
    /// The user's id (never empty in a decoded page: a record without one is skipped).
    #[serde(default, deserialize_with = "null_as_default")]
    pub id: String,
    /// Their email address (empty for some bots).
    #[serde(default, deserialize_with = "null_as_default")]
    pub email: String,
    /// A workspace admin.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_admin: bool,
    /// A workspace owner.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_owner: bool,
    /// The primary owner, whose sessions only they themselves may reset.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_primary_owner: bool,
    /// A guest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_restricted: bool,
    /// A single-channel guest.
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_ultra_restricted: bool,
    /// A bot user (bots have no sessions to reset).
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_bot: bool,
    /// Active (when Slack says).
    #[serde(default, deserialize_with = "null_as_default")]
    pub is_active: Option<bool>,
    /// Their username.
    #[serde(default, deserialize_with = "null_as_default")]
    pub username: Option<String>,
    /// Their full name.
    #[serde(default, deserialize_with = "null_as_default")]
    pub full_name: Option<String>,
    /// The workspaces they belong to.
    #[serde(default, deserialize_with = "null_as_default")]
    pub workspaces: Vec<String>,
    /// Whether two-factor authentication is on (Slack sends it only to an org-level
    /// call: no `team_id`).
    #[serde(default)]
    pub has_2fa: Option<bool>,
    /// Whether they sign in with SSO (only to an org-level call, as `has_2fa`).
    #[serde(default)]
    pub has_sso: Option<bool>,
    /// When they were last active, in epoch seconds (only to an org-level call).
    #[serde(default, deserialize_with = "lenient_ts::deserialize")]
    pub last_active_ts: Option<i64>,
    /// For a guest, when their account expires, in epoch seconds (`0`: never); sent on
    /// workspace-level calls.
    #[serde(default, deserialize_with = "lenient_ts::deserialize")]
    pub expiration_ts: Option<i64>,
    /// When they were deactivated, in epoch seconds.
    #[serde(default, deserialize_with = "lenient_ts::deserialize")]
    pub deactivated_ts: Option<i64>,
    /// Their roles, as Slack names them.
    #[serde(default)]
    pub roles: Option<Vec<String>>,
}

/// Decodes an epoch timestamp Slack may send as an integer, a fraction or a string of
/// digits (fractions are cut to the second); `null` is `None`.
mod lenient_ts {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        d.deserialize_any(TsVisitor)
    }

    struct TsVisitor;

    impl<'de> Visitor<'de> for TsVisitor {
        type Value = Option<i64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an epoch timestamp, as a number or a string")
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i64::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("timestamp {v} is out of range")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v.is_finite() && v.abs() < 9.0e15 {
                Ok(Some(v.floor() as i64))
            } else {
                Err(E::custom(format!("timestamp {v} is out of range")))
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let t = v.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<f64>()
                .map_err(|_| E::custom(format!("{v:?} is not a timestamp")))
                .and_then(|f| self.visit_f64(f))
        }
    }
}

impl SlackMethod for AdminUsersListRequest {
    const NAME: &'static str = "admin.users.list";
    type Response = AdminUsersListResponse;
    const SCOPES: &'static [&'static str] = &["admin.users:read"];
    const TIER: Option<u8> = Some(4);

    /// Refuses a malformed `team_id`, a `limit` outside 1 to 100, and `only_guests`
    /// together with `include_admins` or `include_owners` (Slack: "cannot be used
    /// together").
    fn validate(&self) -> Result<(), InvalidRequest> {
        if let Some(team) = &self.team_id {
            check_id(Self::NAME, "team_id", team)?;
        }
        check_limit(Self::NAME, self.limit, Self::MAX_LIMIT)?;
        if self.only_guests == Some(true) {
            for (field, set) in [
                ("include_admins", self.include_admins),
                ("include_owners", self.include_owners),
            ] {
                if set == Some(true) {
                    return Err(InvalidRequest::new(
                        Self::NAME,
                        field,
                        "cannot be true together with only_guests",
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Paginated for AdminUsersListRequest {
    fn with_cursor(&self, cursor: &str) -> Self {
        self.clone().cursor(cursor)
    }

    fn next_cursor(response: &AdminUsersListResponse) -> Option<&str> {
        response.response_metadata.as_ref()?.next_cursor.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_targeting_fields_slack_may_omit() {
        let body = r#"{"ok":true,"users":[
            {"id":"W1","email":"a@example.com","is_admin":false,"is_owner":false,"is_primary_owner":false,
             "is_restricted":true,"is_ultra_restricted":false,"is_bot":false,"has_2fa":true,"has_sso":false,
             "last_active_ts":1700000000.75,"expiration_ts":0,"deactivated_ts":"1678435283",
             "roles":["admin","channel_manager"],"workspaces":["T1","T2"]},
            {"id":"W2","email":"b@example.com","is_admin":false,"is_owner":false,"is_primary_owner":false,
             "is_restricted":false,"is_ultra_restricted":false,"is_bot":false,"deactivated_ts":null}]}"#;
        let r: AdminUsersListResponse = serde_json::from_str(body).unwrap();
        let a = &r.users[0];
        assert_eq!((a.has_2fa, a.has_sso), (Some(true), Some(false)));
        assert_eq!(a.last_active_ts, Some(1_700_000_000));
        assert_eq!(a.expiration_ts, Some(0));
        assert_eq!(a.deactivated_ts, Some(1_678_435_283));
        assert_eq!(
            a.roles.as_deref(),
            Some(&["admin".to_owned(), "channel_manager".to_owned()][..])
        );
        let b = &r.users[1];
        assert_eq!((b.has_2fa, b.has_sso, b.last_active_ts), (None, None, None));
        assert_eq!(
            (b.expiration_ts, b.deactivated_ts, b.roles.as_ref()),
            (None, None, None)
        );
        assert!(serde_json::from_str::<AdminUsersListResponse>(
            r#"{"users":[{"id":"W3","last_active_ts":"soon"}]}"#
        )
        .is_err());
    }

    #[test]
    fn encodes_and_validates() {
        let r = AdminUsersListRequest::new()
            .team("T1")
            .is_active(true)
            .limit(100);
        assert_eq!(
            serde_urlencoded::to_string(&r).unwrap(),
            "team_id=T1&is_active=true&limit=100"
        );
        let field = |r: AdminUsersListRequest| r.validate().unwrap_err().field();
        assert_eq!(field(AdminUsersListRequest::new().limit(0)), "limit");
        assert_eq!(field(AdminUsersListRequest::new().limit(101)), "limit");
        assert_eq!(
            field(
                AdminUsersListRequest::new()
                    .only_guests(true)
                    .include_owners(true)
            ),
            "include_owners"
        );
        assert!(AdminUsersListRequest::new()
            .only_guests(true)
            .include_admins(false)
            .validate()
            .is_ok());
    }

    #[test]
    fn nulls_decode_as_empty_and_a_record_without_id_is_skipped() {
        let page: AdminUsersListResponse = serde_json::from_str(
            r#"{"ok":true,"users":[
                {"id":"W1","email":null,"is_admin":null,"is_owner":null,"is_primary_owner":null,
                 "is_restricted":null,"is_ultra_restricted":null,"is_bot":null,"workspaces":null,
                 "username":null},
                {"email":"nobody@example.com","is_admin":false},
                {"id":null,"email":"ghost@example.com"},
                {"id":"W2","email":"w2@example.com","is_admin":true,"is_bot":false}
            ]}"#,
        )
        .unwrap();
        assert_eq!(page.skipped, 2);
        let ids: Vec<&str> = page.users.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["W1", "W2"]);
        assert_eq!(
            (page.users[0].email.as_str(), page.users[0].is_admin),
            ("", false)
        );
        assert!(page.users[1].is_admin);
    }
}
