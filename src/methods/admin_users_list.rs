//! `admin.users.list`: the users of an org or workspace, a page at a time.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::{check_id, Paginated, SlackMethod};
use crate::methods::check_limit;
use crate::methods::list::PageMetadata;

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
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AdminUsersListResponse {
    /// The users on this page.
    #[serde(default)]
    pub users: Vec<AdminUser>,
    /// Where the next page starts; `None` or empty on the last page.
    #[serde(default)]
    pub response_metadata: Option<PageMetadata>,
}

/// A user as `admin.users.list` describes them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AdminUser {
    /// The user's id.
    pub id: String,
    /// Their email address (empty for some bots).
    #[serde(default)]
    pub email: String,
    /// A workspace admin.
    #[serde(default)]
    pub is_admin: bool,
    /// A workspace owner.
    #[serde(default)]
    pub is_owner: bool,
    /// The primary owner, whose sessions only they themselves may reset.
    #[serde(default)]
    pub is_primary_owner: bool,
    /// A guest.
    #[serde(default)]
    pub is_restricted: bool,
    /// A single-channel guest.
    #[serde(default)]
    pub is_ultra_restricted: bool,
    /// A bot user (bots have no sessions to reset).
    #[serde(default)]
    pub is_bot: bool,
    /// Active (when Slack says).
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Their username.
    #[serde(default)]
    pub username: Option<String>,
    /// Their full name.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The workspaces they belong to.
    #[serde(default)]
    pub workspaces: Vec<String>,
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
}
