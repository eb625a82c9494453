//! [`SlackMethod`]: what makes a request struct a Slack Web API call.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::InvalidRequest;

/// One Slack Web API method: the request is the form, `NAME` the method, `Response`
/// what a successful answer decodes into.
///
/// The request's fields are serialized as `application/x-www-form-urlencoded` (use
/// `#[serde(skip_serializing_if = "Option::is_none")]` for optional arguments). The
/// response type is decoded from the whole JSON answer after `"ok": true` was checked,
/// so it only declares the fields it wants; unknown fields are ignored.
///
/// The trait is open: implement it for any method this crate does not ship and
/// [`Client::send`](crate::Client::send) works for it unchanged.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use slack_sessions::{Client, FakeTransport, SlackMethod};
///
/// /// `auth.test`: who does this token belong to?
/// #[derive(Serialize)]
/// struct AuthTest {}
///
/// #[derive(Deserialize)]
/// struct AuthTestResponse {
///     user_id: String,
/// }
///
/// impl SlackMethod for AuthTest {
///     const NAME: &'static str = "auth.test";
///     type Response = AuthTestResponse;
/// }
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true, "user_id": "W123"}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// assert_eq!(client.send(&AuthTest {})?.user_id, "W123");
/// assert_eq!(fake.requests()[0].uri(), "https://slack.com/api/auth.test");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
pub trait SlackMethod: Serialize {
    /// The method's name, e.g. `"admin.users.session.reset"`.
    const NAME: &'static str;

    /// What a successful (`"ok": true`) answer decodes into.
    type Response: DeserializeOwned;

    /// Whether calling the method twice has the same effect as calling it once.
    ///
    /// The client retries transient failures (timeouts, broken connections, HTTP 5xx,
    /// Slack's `internal_error` …) only for idempotent methods, since such a failure may
    /// come after Slack acted. Every `admin.users.session.*` method is idempotent: a
    /// session that is reset or invalidated twice is simply gone. HTTP 429 is retried
    /// for every method, since Slack refused the call without acting on it.
    ///
    /// Defaults to `true`; set it to `false` for a method that must not run twice.
    const IDEMPOTENT: bool = true;

    /// The OAuth scopes Slack's method reference says the method needs, e.g.
    /// `["admin.users:write"]`; empty when none is documented (or for your own methods,
    /// unless you say). Used in messages and CLI help; the client never checks it.
    const SCOPES: &'static [&'static str] = &[];

    /// Slack's rate-limit tier for the method (Tier 2 is about 20 calls a minute, Tier 3
    /// about 50, Tier 4 about 100, per method and workspace), when documented.
    const TIER: Option<u8> = None;

    /// Checks the request before anything is sent. The default accepts everything.
    ///
    /// # Errors
    ///
    /// An [`InvalidRequest`] naming the field at fault; the client then returns
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) without calling the
    /// transport.
    fn validate(&self) -> Result<(), InvalidRequest> {
        Ok(())
    }
}

/// Checks a Slack id (user, team, …): not empty, no whitespace or control characters.
pub(crate) fn check_id(
    method: &'static str,
    field: &'static str,
    value: &str,
) -> Result<(), InvalidRequest> {
    // Slack ids are short visible ASCII: a quick check settles nearly every call.
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(());
    }
    if value.trim().is_empty() {
        return Err(InvalidRequest::new(method, field, "is empty"));
    }
    if let Some(c) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidRequest::new(
            method,
            field,
            format!("contains {c:?}; Slack ids never contain whitespace or control characters"),
        ));
    }
    Ok(())
}

/// A [`SlackMethod`] whose answers come in pages linked by
/// `response_metadata.next_cursor`; [`Client::pages`](crate::Client::pages) walks them.
///
/// Implement it for your own paginated methods (`users.list`, `conversations.list`, …)
/// and `pages` works for them too.
pub trait Paginated: SlackMethod + Clone {
    /// This request, asking for the page that starts at `cursor`.
    fn with_cursor(&self, cursor: &str) -> Self;

    /// The cursor of the next page, if there is one (an empty string means none).
    fn next_cursor(response: &Self::Response) -> Option<&str>;

    /// An error answer that means "nothing to list" rather than a failure, turned into
    /// an empty last page (for `admin.users.session.list`, `no_active_sessions`). The
    /// default treats every error as a failure.
    fn empty_page_on(error: &crate::ApiError) -> Option<Self::Response> {
        let _ = error;
        None
    }
}
