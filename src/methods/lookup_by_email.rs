//! `users.lookupByEmail`: the user an email address belongs to.

use serde::{Deserialize, Serialize};

use crate::error::InvalidRequest;
use crate::method::SlackMethod;

/// `users.lookupByEmail`: finds the user with this email address. An address that
/// belongs to nobody is answered `users_not_found`
/// ([`ErrorCode::UsersNotFound`](crate::ErrorCode::UsersNotFound)).
///
/// Scope `users:read.email`; rate limit Tier 3 (about 50 calls a minute). For more than
/// a handful of addresses, one walk of [`AdminUsersListRequest`](crate::AdminUsersListRequest)
/// (100 users a call) is cheaper.
///
/// ```
/// use slack_sessions::{Client, FakeTransport, LookupByEmailRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok":true,"user":{"id":"W012A3CDE","team_id":"T1","is_bot":false,"profile":{"email":"spengler@ghostbusters.example.com"}}}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// let user = client.send(&LookupByEmailRequest::new("spengler@ghostbusters.example.com"))?.user;
/// assert_eq!(user.id, "W012A3CDE");
/// assert_eq!(fake.requests()[0].body(), b"email=spengler%40ghostbusters.example.com");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LookupByEmailRequest {
    email: String,
}

impl LookupByEmailRequest {
    /// Looks up the user with this address.
    pub fn new(email: impl Into<String>) -> Self {
        LookupByEmailRequest {
            email: email.into(),
        }
    }
}

/// Slack's answer to `users.lookupByEmail`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LookupByEmailResponse {
    /// The user.
    pub user: LookedUpUser,
}

/// The parts of a `users.lookupByEmail` user this crate reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct LookedUpUser {
    /// The user's id.
    pub id: String,
    /// Their workspace.
    #[serde(default)]
    pub team_id: Option<String>,
    /// Deactivated.
    #[serde(default)]
    pub deleted: bool,
    /// A bot user.
    #[serde(default)]
    pub is_bot: bool,
    /// The primary owner.
    #[serde(default)]
    pub is_primary_owner: bool,
}

impl SlackMethod for LookupByEmailRequest {
    const NAME: &'static str = "users.lookupByEmail";
    type Response = LookupByEmailResponse;
    const SCOPES: &'static [&'static str] = &["users:read.email"];
    const TIER: Option<u8> = Some(3);

    /// Refuses an address that is empty, holds whitespace, or has no `@` between a local
    /// part and a domain.
    fn validate(&self) -> Result<(), InvalidRequest> {
        check_email(Self::NAME, "email", &self.email)
    }
}

/// Whether `text` has the shape of an email address: `local@domain`, no whitespace.
pub(crate) fn is_email(text: &str) -> bool {
    check_email("", "", text).is_ok()
}

fn check_email(
    method: &'static str,
    field: &'static str,
    email: &str,
) -> Result<(), InvalidRequest> {
    if email.trim().is_empty() {
        return Err(InvalidRequest::new(method, field, "is empty"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidRequest::new(
            method,
            field,
            "contains whitespace or control characters",
        ));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(())
        }
        _ => Err(InvalidRequest::new(
            method,
            field,
            format!("{email:?} is not an email address (local@domain)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_the_shape() {
        assert!(LookupByEmailRequest::new("a@b.example").validate().is_ok());
        for bad in ["", "a", "@b", "a@", "a b@c", "a@b@c"] {
            assert!(LookupByEmailRequest::new(bad).validate().is_err(), "{bad}");
        }
        assert!(is_email("x@y") && !is_email("W123"));
    }
}
