//! Who a run is for: [`Client::org_targets`] (everyone) and [`Client::resolve_users`]
//! (emails to ids, before any write).

use std::collections::HashMap;

use crate::client::Client;
use crate::error::{Error, ErrorCode, InvalidRequest};
use crate::method::SlackMethod;
use crate::methods::admin_users_list::{AdminUser, AdminUsersListRequest};
use crate::methods::auth_test::AuthTestRequest;
use crate::methods::lookup_by_email::{is_email, LookupByEmailRequest};
use crate::transport::Transport;

use super::walk::{every_page, patient};
use super::{send, OrgMode, Phase, ResetVerified};

impl<T: Transport> Client<T> {
    /// Everyone a whole-org logout targets: the org's active users from
    /// `admin.users.list` (100 a page), minus bots, the primary owner (whom Slack refuses
    /// to reset) and, unless `include_self`, the token's own user (from `auth.test`), so
    /// that the responder keeps a working console.
    ///
    /// # Errors
    ///
    /// The first error of a call that failed (after waiting out rate limits).
    pub fn org_targets(&self, include_self: bool) -> Result<OrgTargets, Error> {
        let caller = patient(self, &AuthTestRequest::new())?.response.user_id;
        let mut targets = OrgTargets {
            caller: Some(caller.clone()).filter(|c| !c.is_empty()),
            ..OrgTargets::default()
        };
        let (users, unreadable) = all_users(self)?;
        targets.unreadable = unreadable;
        for user in users {
            if user.is_bot {
                targets.bots.push(user.id);
            } else if user.is_primary_owner {
                targets.primary_owners.push(user.id);
            } else if user.id == caller && !include_self {
                targets.skipped_self = true;
            } else {
                targets.users.push(user.id);
            }
        }
        Ok(targets)
    }

    /// Turns every email address among `inputs` into the id of its user, before anything
    /// is written; ids pass through, in order. A few addresses (up to 10) are looked up
    /// one by one with `users.lookupByEmail` (Tier 3); more, with one walk of
    /// `admin.users.list` (Tier 4, 100 users a call).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming every address that belongs to nobody (nothing
    /// else is lost: no write was made), or the error of a call that failed.
    ///
    /// Takes any iterator of strings, like [`reset_many`](Client::reset_many):
    ///
    /// ```
    /// use slack_sessions::{Client, FakeTransport};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true,"user":{"id":"W2","profile":{"email":"alice@example.com"}}}"#);
    /// let client = Client::with_transport("xoxp-test", fake.clone());
    /// let ids = client.resolve_users(["W1", "alice@example.com"])?;
    /// assert_eq!(ids, ["W1", "W2"]);
    /// // A slice of `&str`, a `Vec<String>`, anything that iterates string-likes:
    /// fake.push_json(200, r#"{"ok":true,"user":{"id":"W2","profile":{"email":"alice@example.com"}}}"#);
    /// assert_eq!(client.resolve_users(&["alice@example.com"])?, ["W2"]);
    /// assert_eq!(client.resolve_users(&vec!["W3".to_owned()])?, ["W3"]);
    /// # Ok::<(), slack_sessions::Error>(())
    /// ```
    pub fn resolve_users<I, S>(&self, inputs: I) -> Result<Vec<String>, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let inputs: Vec<String> = inputs.into_iter().map(|s| s.as_ref().to_owned()).collect();
        let emails: Vec<&String> = inputs.iter().filter(|i| is_email(i)).collect();
        if emails.is_empty() {
            return Ok(inputs);
        }
        let mut found: HashMap<String, String> = HashMap::new();
        let mut unknown = Vec::new();
        if emails.len() <= 10 {
            for email in &emails {
                match patient(self, &LookupByEmailRequest::new(email.as_str())) {
                    Ok(answer) => {
                        found.insert(email.to_ascii_lowercase(), answer.response.user.id);
                    }
                    Err(Error::Api(e)) if e.code() == &ErrorCode::UsersNotFound => {
                        unknown.push(email.as_str())
                    }
                    Err(e) => return Err(e),
                }
            }
        } else {
            for user in all_users(self)?.0 {
                if !user.email.is_empty() {
                    found.insert(user.email.to_ascii_lowercase(), user.id);
                }
            }
            unknown = emails
                .iter()
                .filter(|e| !found.contains_key(&e.to_ascii_lowercase()))
                .map(|e| e.as_str())
                .collect();
        }
        if !unknown.is_empty() {
            return Err(Error::InvalidRequest(InvalidRequest::new(
                LookupByEmailRequest::NAME,
                "email",
                format!(
                    "{} belong(s) to no user of the org: {}; nothing was reset",
                    unknown.len(),
                    unknown.join(", ")
                ),
            )));
        }
        Ok(inputs
            .iter()
            .map(|i| match found.get(&i.to_ascii_lowercase()) {
                Some(id) if is_email(i) => id.clone(),
                _ => i.clone(),
            })
            .collect())
    }
}

/// Who a whole-org logout targets, from [`Client::org_targets`] (or, for a run of
/// [`Client::reset_everyone`], from [`ResetVerified::org`](crate::ResetVerified::org)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgTargets {
    /// The users to log out.
    pub users: Vec<String>,
    /// Bots, left out (they have no sessions to reset).
    pub bots: Vec<String>,
    /// The primary owner(s), left out (Slack refuses to reset them).
    pub primary_owners: Vec<String>,
    /// The token's own user.
    pub caller: Option<String>,
    /// Whether the caller was left out.
    pub skipped_self: bool,
    /// Records `admin.users.list` sent without an id, left out of every list above (a
    /// user without an id cannot be logged out); never fatal to the walk.
    pub unreadable: usize,
}

/// Every active user of the org, 100 a page, riding out rate limits; and how many
/// records came without an id (skipped).
fn all_users<T: Transport>(client: &Client<T>) -> Result<(Vec<AdminUser>, usize), Error> {
    let first = AdminUsersListRequest::new().limit(AdminUsersListRequest::MAX_LIMIT);
    let pages = every_page(first, |r| patient(client, r))?;
    let unreadable = pages.iter().map(|p| p.skipped).sum();
    Ok((
        pages.into_iter().flat_map(|p| p.users).collect(),
        unreadable,
    ))
}

impl<T: Transport> ResetVerified<'_, T> {
    /// The targets phase of a whole-org run: who the token is (`auth.test`) and who the
    /// primary owners are (`admin.users.list` with `include_owners`, owners only: a page
    /// or two, not the 1,000 calls a walk of 100,000 users takes). The users themselves
    /// come from the snapshot.
    pub(super) fn targets(&mut self) {
        let patience = self.patience();
        let (client, calls) = (self.client, &mut self.calls_by_method);
        let caller = match send(client, calls, patience, &AuthTestRequest::new()).result {
            Ok(answer) => answer.response.user_id,
            Err(e) => return self.stop(format!("auth.test (who the token is) failed: {e}")),
        };
        let first = AdminUsersListRequest::new()
            .include_owners(true)
            .limit(AdminUsersListRequest::MAX_LIMIT);
        let owners = every_page(first, |r| send(client, calls, patience, r).result);
        let owners = match owners {
            Ok(pages) => pages,
            Err(e) => {
                return self.stop(format!(
                    "admin.users.list (the owners, whom a whole-org run leaves out) failed: {e}"
                ))
            }
        };
        let org = self.org.get_or_insert_with(Default::default);
        org.found.caller = Some(caller).filter(|c| !c.is_empty());
        for user in owners.into_iter().flat_map(|p| p.users) {
            if user.is_primary_owner {
                org.found.primary_owners.push(user.id);
            }
        }
        self.phase = Phase::Snapshot;
    }

    /// Whether a whole-org run leaves `user` out (and notes why), or targets them.
    pub(super) fn org_leaves_out(org: &mut OrgMode, user: &str) -> bool {
        if org.found.primary_owners.iter().any(|o| o == user) || org.skip.contains(user) {
            return true;
        }
        if org.found.caller.as_deref() == Some(user) && !org.include_self {
            org.found.skipped_self = true;
            return true;
        }
        false
    }
}
