//! The one error type, [`Error`], and the pieces it is made of.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

use crate::meta::ResponseMeta;

/// Everything that can go wrong with a call, one variant per stage that can fail.
///
/// Match on the variant to decide what to do:
///
/// ```
/// use slack_sessions::{Error, ErrorCode};
///
/// fn explain(err: &Error) -> String {
///     match err {
///         Error::Api(api) if api.code() == &ErrorCode::MissingScope => {
///             format!("grant the token {}", api.needed().unwrap_or("the admin.users:write scope"))
///         }
///         Error::Api(api) => format!("Slack refused: {}", api.code()),
///         Error::RateLimited { retry_after, .. } => format!("slow down, retry after {retry_after:?}"),
///         Error::InvalidRequest(bad) => format!("fix field `{}`", bad.field()),
///         other => other.to_string(),
///     }
/// }
/// # let _ = explain;
/// ```
///
/// Messages are lowercase without trailing punctuation; a wrapped error is reachable
/// through [`std::error::Error::source`] and not repeated in the message. Nothing
/// here ever contains the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Slack answered `"ok": false` with an error code.
    #[error(transparent)]
    Api(ApiError),

    /// Slack answered HTTP 429 (or `"error": "ratelimited"`): the method's rate limit is
    /// exhausted for now.
    ///
    /// Returned only when the client's retry policy gave up (or is
    /// [`RetryPolicy::none`](crate::RetryPolicy::none)).
    #[error("{method} was rate limited by Slack ({}){}", fmt_rate_limit_answer(meta), fmt_retry_after(*.retry_after))]
    RateLimited {
        /// The wait Slack asked for in `Retry-After`, when it sent a usable one.
        retry_after: Option<Duration>,
        /// The Slack method that was called.
        method: &'static str,
        /// Request id, warnings and headers of the answer.
        meta: Box<ResponseMeta>,
    },

    /// A non-2xx answer that is not a Slack JSON error (an HTML error page from a proxy,
    /// a redirect, a bare 5xx).
    #[error("{method} got HTTP {status}{}{}", fmt_location(.location), fmt_snippet(.body_snippet))]
    Http {
        /// The HTTP status.
        status: StatusCode,
        /// The Slack method that was called.
        method: &'static str,
        /// The `Location` header of a redirect (redirects are never followed, so that the
        /// token never travels to another host).
        location: Option<String>,
        /// The start of the body (at most 256 bytes, lossy UTF-8), as evidence.
        body_snippet: String,
        /// Request id, warnings and headers of the answer.
        meta: Box<ResponseMeta>,
    },

    /// The answer was not the JSON this crate expected for the method.
    #[error("could not decode the answer to {method} (HTTP {status}) as {target}: {reason}{}", fmt_snippet(.body_snippet))]
    Decode {
        /// The Slack method that was called.
        method: &'static str,
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The Rust type the body was decoded into.
        target: &'static str,
        /// What was wrong, in words.
        reason: &'static str,
        /// The start of the body (at most 256 bytes, lossy UTF-8), as evidence.
        body_snippet: String,
        /// The JSON error, when the body was not valid JSON of the expected shape.
        #[source]
        source: Option<serde_json::Error>,
        /// Request id, warnings and headers of the answer.
        meta: Box<ResponseMeta>,
    },

    /// No answer was obtained: connection refused or reset, timeout, DNS failure, a body
    /// larger than the limit, or a scripted transport out of answers.
    ///
    /// [`TransportError::attempts`] says how many attempts were made in all.
    #[error(transparent)]
    Transport(TransportError),

    /// The request was refused before anything was sent: an input that Slack would
    /// reject or misread. The transport was not called.
    #[error(transparent)]
    InvalidRequest(InvalidRequest),

    /// The client is set up wrongly (an unusable token, a plain-http API URL to a
    /// non-loopback host, …). Nothing was sent.
    #[error(transparent)]
    Config(ConfigError),

    /// A rotating token could not be renewed: Slack refused (`invalid_refresh_token`,
    /// `invalid_client_id`, `bad_client_secret`, …), no new pair came, or the new pair
    /// could not be stored. See [`RenewalErrorKind`]. Stops a run over many users, as a
    /// fatal code does.
    #[error(transparent)]
    Renewal(RenewalError),
}

/// What the rate-limit answer was: a 429, or a `"ratelimited"` code under another status.
fn fmt_rate_limit_answer(meta: &ResponseMeta) -> String {
    if meta.status() == StatusCode::TOO_MANY_REQUESTS {
        "HTTP 429".to_owned()
    } else {
        format!(
            "\"error\": \"ratelimited\" with HTTP {}",
            meta.status().as_u16()
        )
    }
}

fn fmt_retry_after(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("; Retry-After {}s", d.as_secs_f64()),
        None => String::new(),
    }
}

fn fmt_location(l: &Option<String>) -> String {
    match l {
        Some(l) => format!(" redirecting to {l} (redirects are not followed)"),
        None => String::new(),
    }
}

/// The `body_snippet` of an answer whose body is never shown (a renewal answer carries
/// tokens).
pub(crate) const BODY_WITHHELD: &str = "\0(withheld)";

fn fmt_snippet(s: &str) -> String {
    if s == BODY_WITHHELD {
        "; body not shown (it may carry tokens)".to_owned()
    } else if s.is_empty() {
        "; empty body".to_owned()
    } else {
        format!("; body starts {s:?}")
    }
}

impl Error {
    /// Request id, warnings and diagnostic headers of Slack's answer, for every error
    /// that got one (`Api`, `RateLimited`, `Http`, `Decode`).
    pub fn meta(&self) -> Option<&ResponseMeta> {
        match self {
            Error::Api(e) => Some(&e.detail.meta),
            Error::RateLimited { meta, .. }
            | Error::Http { meta, .. }
            | Error::Decode { meta, .. } => Some(meta),
            _ => None,
        }
    }

    /// Slack's `x-slack-req-id` for the failing call, the id Slack support asks for.
    pub fn request_id(&self) -> Option<&str> {
        self.meta().and_then(|m| m.request_id())
    }

    /// How many attempts were made before this error was returned (0 when nothing
    /// was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Transport(e) => e.attempts(),
            Error::InvalidRequest(_) | Error::Config(_) => 0,
            Error::Renewal(e) => match e.source_error() {
                Some(inner) => inner.attempts(),
                None => 0,
            },
            _ => self.meta().map_or(0, |m| m.attempts()),
        }
    }

    /// The Slack error code: for `Error::Api`, and for an [`Error::Renewal`] Slack
    /// refused (`invalid_refresh_token`, `invalid_client_id`, ...; all
    /// [`ErrorClass::Fatal`]), so `e.code().map(ErrorCode::class)` triage sees it.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Api(e) => Some(e.code()),
            Error::Renewal(e) if e.kind() == RenewalErrorKind::Refused => e.code(),
            _ => None,
        }
    }

    /// The message without the evidence kept from a body (for log records, which never
    /// carry a body).
    pub(crate) fn without_evidence(&self) -> String {
        match self {
            Error::Http { status, method, .. } => format!("{method} got HTTP {status}"),
            Error::Decode {
                method,
                status,
                target,
                reason,
                ..
            } => format!(
                "could not decode the answer to {method} (HTTP {status}) as {target}: {reason}"
            ),
            other => other.to_string(),
        }
    }

    /// Drops the body snippet of an `Http` or `Decode` error (renewal answers carry tokens).
    pub(crate) fn withhold_body(&mut self) {
        if let Error::Http { body_snippet, .. } | Error::Decode { body_snippet, .. } = self {
            *body_snippet = BODY_WITHHELD.to_owned();
        }
    }

    /// Records how many attempts the call took.
    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        match self {
            Error::Api(e) => e.detail.meta.set_attempts(attempts),
            Error::RateLimited { meta, .. }
            | Error::Http { meta, .. }
            | Error::Decode { meta, .. } => meta.set_attempts(attempts),
            Error::Transport(e) => e.set_attempts(attempts),
            Error::InvalidRequest(_) | Error::Config(_) | Error::Renewal(_) => {}
        }
    }
}

/// Slack answered `"ok": false`: the call reached Slack and Slack refused it.
///
/// [`code`](ApiError::code) says why. On `missing_scope`, [`needed`](ApiError::needed)
/// and [`provided`](ApiError::provided) give the scopes exactly as Slack sent them, and
/// the message names them too.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub(crate) method: &'static str,
    pub(crate) code: ErrorCode,
    /// Boxed so that `Error` stays small on the success path.
    pub(crate) detail: Box<ApiDetail>,
}

#[derive(Debug, Clone)]
pub(crate) struct ApiDetail {
    pub(crate) needed: Option<String>,
    pub(crate) provided: Option<String>,
    pub(crate) meta: ResponseMeta,
}

impl ApiError {
    /// Slack's error code.
    pub fn code(&self) -> &ErrorCode {
        &self.code
    }

    /// The Slack method that was called.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// On `missing_scope`: the scope(s) the method needs, as Slack sent them.
    pub fn needed(&self) -> Option<&str> {
        self.detail.needed.as_deref()
    }

    /// On `missing_scope`: the scopes the token has, as Slack sent them.
    pub fn provided(&self) -> Option<&str> {
        self.detail.provided.as_deref()
    }

    /// Slack's warnings on this answer (`warning` and `response_metadata.warnings`).
    pub fn warnings(&self) -> &[String] {
        self.detail.meta.warnings()
    }

    /// Slack's details behind the code, from `response_metadata.messages`: the reason
    /// behind `invalid_arguments` (`"[ERROR] missing required field: user_id"`), the
    /// users behind `failed_for_some_users`. Empty when Slack sent none; at most
    /// [`ResponseMeta::MAX_MESSAGES`] are kept.
    pub fn messages(&self) -> &[String] {
        self.detail.meta.messages()
    }

    /// Request id, warnings and diagnostic headers of the answer.
    pub fn meta(&self) -> &ResponseMeta {
        &self.detail.meta
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.code.as_str().trim().is_empty() {
            write!(f, "{} failed with no error code", self.method)?;
        } else {
            write!(f, "{} failed: {}", self.method, self.code)?;
        }
        if let Some(needed) = &self.detail.needed {
            write!(f, " (needed: {needed}")?;
            match &self.detail.provided {
                Some(p) => write!(f, "; provided: {p})")?,
                None => f.write_str(")")?,
            }
        } else if let Some(p) = &self.detail.provided {
            write!(f, " (provided: {p})")?;
        }
        fmt_messages(f, self.detail.meta.messages())?;
        if let Some(id) = self.detail.meta.request_id() {
            write!(f, " [request id {id}]")?;
        }
        Ok(())
    }
}

impl StdError for ApiError {}

/// How many of Slack's `response_metadata.messages` an [`ApiError`]'s message shows, and
/// how many characters of each: enough to say why, bounded whatever Slack sends.
const SHOWN_MESSAGES: usize = 3;
const SHOWN_MESSAGE_CHARS: usize = 200;

fn fmt_messages(f: &mut fmt::Formatter<'_>, messages: &[String]) -> fmt::Result {
    if messages.is_empty() {
        return Ok(());
    }
    f.write_str(": ")?;
    for (i, message) in messages.iter().take(SHOWN_MESSAGES).enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        match message.char_indices().nth(SHOWN_MESSAGE_CHARS) {
            Some((cut, _)) => write!(f, "{}…", &message[..cut])?,
            None => f.write_str(message)?,
        }
    }
    if messages.len() > SHOWN_MESSAGES {
        write!(f, " (+{} more)", messages.len() - SHOWN_MESSAGES)?;
    }
    Ok(())
}

macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])* $variant:ident = $wire:literal, )*) => {
        /// A Slack Web API error code, the `"error"` field of an `"ok": false` answer.
        ///
        /// One variant per code documented for the `admin.users.session.*` methods, the
        /// other methods this crate calls, and the `oauth.v2.access` / `oauth.v2.exchange`
        /// of a rotating token;
        /// a code Slack adds later arrives as [`ErrorCode::Other`] with its wire string.
        /// [`as_str`](ErrorCode::as_str) gives back the wire string either way, and
        /// `Display` prints it.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[doc = $doc])* #[doc = ""] #[doc = concat!("Wire string: `", $wire, "`.")] $variant, )*
            /// A code this version of the crate does not know, exactly as Slack sent it.
            Other(String),
        }

        impl ErrorCode {
            /// The code as it appears on the wire, e.g. `"user_not_found"`.
            pub fn as_str(&self) -> &str {
                match self {
                    $( ErrorCode::$variant => $wire, )*
                    ErrorCode::Other(s) => s,
                }
            }

            /// Parses a wire string; unknown codes become [`ErrorCode::Other`].
            pub fn from_wire(code: &str) -> Self {
                match code {
                    $( $wire => ErrorCode::$variant, )*
                    other => ErrorCode::Other(other.to_owned()),
                }
            }

            #[cfg(test)]
            pub(crate) const ALL_KNOWN: &'static [&'static str] = &[$($wire),*];
        }
    };
}

error_codes! {
    /// The user id does not name a user in this org. Permanent: check the id.
    UserNotFound = "user_not_found",
    /// The user is a bot; bots have no sessions to reset. Permanent.
    CannotResetBot = "cannot_reset_bot",
    /// Slack failed to start the reset. Transient: try again.
    UserSessionResetFailed = "user_session_reset_failed",
    /// Only the primary owner can reset the primary owner's sessions. Permanent for this token.
    CannotResetPrimaryOwner = "cannot_reset_primary_owner",
    /// The session id does not name an active session (already gone, or wrong owner).
    SessionNotFound = "session_not_found",
    /// Slack failed to invalidate the session. Transient: try again.
    SessionInvalidationFailed = "session_invalidation_failed",
    /// The primary owner's sessions cannot be invalidated by this token.
    CannotInvalidatePrimaryOwner = "cannot_invalidate_primary_owner",
    /// The admin is not allowed to act on this user or session.
    AdminUnauthorized = "admin_unauthorized",
    /// The token's user is not an org or compliance owner/admin. Fatal for the token.
    NotAnAdmin = "not_an_admin",
    /// The method is not available (not on Enterprise Grid, or switched off).
    UnknownMethod = "unknown_method",
    /// The method is not available for this product level (Enterprise Grid only).
    FeatureNotEnabled = "feature_not_enabled",
    /// The token is invalid, or the call came from a disallowed IP address. Fatal for the token.
    InvalidAuth = "invalid_auth",
    /// No token reached Slack. Fatal for the token.
    NotAuthed = "not_authed",
    /// Access to a resource named in the request is denied.
    AccessDenied = "access_denied",
    /// The token belongs to a deleted user or workspace. Fatal for the token.
    AccountInactive = "account_inactive",
    /// The token was revoked. Fatal for the token.
    TokenRevoked = "token_revoked",
    /// The token has expired; refresh it. Fatal for the token.
    TokenExpired = "token_expired",
    /// The token lacks the permissions needed. Fatal for the token.
    NoPermission = "no_permission",
    /// The workspace is migrating to an Enterprise org; retry once the migration is complete.
    OrgLoginRequired = "org_login_required",
    /// Enterprise Key Management access was revoked by the administrators.
    EkmAccessDenied = "ekm_access_denied",
    /// The token lacks a scope; see [`ApiError::needed`] and [`ApiError::provided`]. Fatal for the token.
    MissingScope = "missing_scope",
    /// This kind of token cannot call the method (these methods need a user token). Fatal for the token.
    NotAllowedTokenType = "not_allowed_token_type",
    /// The method has been deprecated.
    MethodDeprecated = "method_deprecated",
    /// The endpoint has been deprecated.
    DeprecatedEndpoint = "deprecated_endpoint",
    /// The token's user must set up two-factor authentication first.
    TwoFactorSetupRequired = "two_factor_setup_required",
    /// The method cannot be called from an Enterprise.
    EnterpriseIsRestricted = "enterprise_is_restricted",
    /// Bot users cannot call this method.
    IsBot = "is_bot",
    /// An argument was invalid.
    InvalidArguments = "invalid_arguments",
    /// An argument name was malformed (a sign of a very malformed call).
    InvalidArgName = "invalid_arg_name",
    /// An array was passed where a string was expected.
    InvalidArrayArg = "invalid_array_arg",
    /// The `charset` of the `Content-Type` was invalid.
    InvalidCharset = "invalid_charset",
    /// The form data was missing or syntactically invalid.
    InvalidFormData = "invalid_form_data",
    /// The `Content-Type` was not one Slack accepts.
    InvalidPostType = "invalid_post_type",
    /// The request had a body but no `Content-Type`.
    MissingPostType = "missing_post_type",
    /// The workspace is migrating into an Enterprise org; calls fail intermittently until done.
    TeamAddedToOrg = "team_added_to_org",
    /// Rate limited. Never inside [`Error::Api`]: an `"error": "ratelimited"` answer is
    /// returned as [`Error::RateLimited`], like HTTP 429.
    Ratelimited = "ratelimited",
    /// Access to the method is limited on the current network.
    Accesslimited = "accesslimited",
    /// The POST data was missing or truncated on the way. Transient: retried.
    RequestTimeout = "request_timeout",
    /// Slack is temporarily unavailable. Transient: retried.
    ServiceUnavailable = "service_unavailable",
    /// Slack hit a transient internal error; part of the operation may have happened. Retried.
    InternalError = "internal_error",
    /// Slack hit a catastrophic error; part of the operation may have happened. Retried.
    FatalError = "fatal_error",
    /// `resetBulk`: some users' sessions could not be reset; Slack's answer has details.
    FailedForSomeUsers = "failed_for_some_users",
    /// `resetBulk`: the action is restricted for this org or user.
    RestrictedAction = "restricted_action",
    /// `resetBulk`: only the primary owner can reset the primary owner's sessions.
    SessionResetNotAllowed = "session_reset_not_allowed",
    /// `setSettings`: neither `duration` nor `desktop_app_browser_quit` was given.
    AtLeastOneSessionSettingRequired = "at_least_one_session_setting_required",
    /// Settings methods: bot users have no session settings.
    BotsNotAllowed = "bots_not_allowed",
    /// `setSettings`: the settings were saved but could not be applied to existing sessions.
    UnableToUpdateExistingSessions = "unable_to_update_existing_sessions",
    /// `list` (and Slack's other paginated methods): the cursor is not one Slack issued, or
    /// it expired; start again without it.
    InvalidCursor = "invalid_cursor",
    /// `list`: a `user_id` came without the `team_id` it must be paired with.
    MissingTeam = "missing_team",
    /// `list`: a `team_id` came without the `user_id` it must be paired with.
    MissingUser = "missing_user",
    /// `list` (and `admin.users.list`): the `team_id` names no workspace of this org.
    TeamNotFound = "team_not_found",
    /// `list`: the filter matched no active session. [`Client::pages`](crate::Client::pages)
    /// ends the walk with zero sessions on it instead of failing.
    NoActiveSessions = "no_active_sessions",
    /// `users.lookupByEmail`: no user has this email address.
    UsersNotFound = "users_not_found",
    /// `admin.users.list`: `include_deactivated_user_workspaces` needs an org token and
    /// no `team_id`.
    IncludeDeactivatedUserWorkspacesInvalid = "include_deactivated_user_workspaces_invalid",
    /// The token's session has expired (not in the method reference for these methods;
    /// kept because Slack answers it Web-API-wide). Fatal for the token.
    SessionExpired = "session_expired",
    /// `oauth.v2.access`: the refresh token is not valid: already used (a refresh token
    /// works once), revoked, or another app's. Renewal is over: authorize the app again.
    InvalidRefreshToken = "invalid_refresh_token",
    /// `oauth.v2.access` / `oauth.v2.exchange`: the client id is not valid.
    InvalidClientId = "invalid_client_id",
    /// `oauth.v2.access` / `oauth.v2.exchange`: the client secret is not valid.
    BadClientSecret = "bad_client_secret",
    /// `oauth.v2.access`: the `grant_type` is not valid.
    InvalidGrantType = "invalid_grant_type",
    /// `oauth.v2.access`: the `redirect_uri` does not match the original request's.
    BadRedirectUri = "bad_redirect_uri",
    /// `oauth.v2.access`: an org-installed app cannot be installed on a workspace.
    CannotInstallAnOrgInstalledApp = "cannot_install_an_org_installed_app",
    /// `oauth.v2.access`: the OAuth `code` is not valid.
    InvalidCode = "invalid_code",
    /// `oauth.v2.access`: no `scope` was requested.
    NoScopes = "no_scopes",
    /// `oauth.v2.access`: the flow was started on the wrong authorization URL.
    OauthAuthorizationUrlMismatch = "oauth_authorization_url_mismatch",
    /// `oauth.v2.access`: the method is not yet available on this team.
    PreviewFeatureNotAvailable = "preview_feature_not_available",
    /// `oauth.v2.access`: the user's email address is unverified.
    UserEmailUnverified = "user_email_unverified",
    /// `oauth.v2.access`: the app may not use PKCE.
    PkceNotAllowed = "pkce_not_allowed",
    /// `oauth.v2.access`: the PKCE `code_verifier` is not valid.
    InvalidCodeVerifier = "invalid_code_verifier",
    /// `oauth.v2.exchange`: the authorization behind the token was revoked or is invalid.
    AuthorizationNotFound = "authorization_not_found",
    /// `oauth.v2.exchange`: this long-lived token cannot be exchanged for a rotating pair.
    InvalidToken = "invalid_token",
    /// `oauth.v2.exchange`: the token was already exchanged for a rotating pair.
    TokenAlreadyExchanged = "token_already_exchanged",
    /// `oauth.v2.exchange`: the app does not have token rotation turned on.
    TokenRotationNotEnabled = "token_rotation_not_enabled",
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// What this code says about later calls: about this request only, about every call
    /// with this token, or passing. The table, and why:
    ///
    /// | class | codes |
    /// | --- | --- |
    /// | [`Transient`](ErrorClass::Transient): Slack's side, for now; retried | `internal_error`, `fatal_error`, `service_unavailable`, `request_timeout`, `user_session_reset_failed`, `session_invalidation_failed` (their text says "try again"), `team_added_to_org` (fails intermittently during a migration), `ratelimited` |
    /// | [`Fatal`](ErrorClass::Fatal): the token, the app or the org; no later call can succeed until a person changes something | the auth codes ([`is_auth_failure`](Self::is_auth_failure)), `session_expired`, `admin_unauthorized` (the token may not act on sessions), `feature_not_enabled`, `unknown_method`, `method_deprecated`, `deprecated_endpoint`, `enterprise_is_restricted`, `accesslimited`, `is_bot`, `org_login_required`, and the codes for a malformed call (`invalid_arg_name`, `invalid_array_arg`, `invalid_charset`, `invalid_form_data`, `invalid_post_type`, `missing_post_type`), which every later call built the same way would get too; the renewal refusals of a rotating token (`invalid_refresh_token`, `invalid_client_id`, `bad_client_secret`, `invalid_grant_type`, `token_rotation_not_enabled`), which arrive inside [`Error::Renewal`](crate::Error::Renewal) |
    /// | [`Request`](ErrorClass::Request): this user, session or set of arguments only; the next user may succeed | everything else: `user_not_found`, `cannot_reset_bot`, `cannot_reset_primary_owner`, `session_not_found`, `cannot_invalidate_primary_owner`, `bots_not_allowed`, `failed_for_some_users`, `session_reset_not_allowed`, `restricted_action` (its text says "for this org or user", so it is not taken as proof that every user is refused), `access_denied` (a resource named in the request), `invalid_arguments`, `invalid_cursor`, `missing_team`, `missing_user`, `team_not_found`, `no_active_sessions`, the settings codes, and any code this crate does not know ([`Other`](Self::Other)): an unknown code is reported, never taken as a reason to stop |
    pub fn class(&self) -> ErrorClass {
        use ErrorCode as C;
        if self.is_auth_failure() {
            return ErrorClass::Fatal;
        }
        match self {
            C::InternalError
            | C::FatalError
            | C::ServiceUnavailable
            | C::RequestTimeout
            | C::UserSessionResetFailed
            | C::SessionInvalidationFailed
            | C::TeamAddedToOrg
            | C::Ratelimited => ErrorClass::Transient,
            C::SessionExpired
            | C::AdminUnauthorized
            | C::FeatureNotEnabled
            | C::UnknownMethod
            | C::MethodDeprecated
            | C::DeprecatedEndpoint
            | C::EnterpriseIsRestricted
            | C::Accesslimited
            | C::IsBot
            | C::OrgLoginRequired
            | C::InvalidArgName
            | C::InvalidArrayArg
            | C::InvalidCharset
            | C::InvalidFormData
            | C::InvalidPostType
            | C::MissingPostType
            | C::InvalidRefreshToken
            | C::InvalidClientId
            | C::BadClientSecret
            | C::InvalidGrantType
            | C::TokenRotationNotEnabled => ErrorClass::Fatal,
            _ => ErrorClass::Request,
        }
    }

    /// Codes that say the token itself is unusable for these methods: bad, revoked or
    /// expired tokens, missing scopes, a non-admin user, the wrong kind of token. A
    /// subset of [`ErrorClass::Fatal`].
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidAuth
                | ErrorCode::NotAuthed
                | ErrorCode::AccountInactive
                | ErrorCode::TokenRevoked
                | ErrorCode::TokenExpired
                | ErrorCode::MissingScope
                | ErrorCode::NotAnAdmin
                | ErrorCode::NoPermission
                | ErrorCode::NotAllowedTokenType
                | ErrorCode::TwoFactorSetupRequired
                | ErrorCode::EkmAccessDenied
        )
    }

    /// Codes Slack uses for passing failures on its side ([`ErrorClass::Transient`]),
    /// which the default [`RetryPolicy`](crate::RetryPolicy) retries.
    pub fn is_transient(&self) -> bool {
        self.class() == ErrorClass::Transient
    }
}

/// What an [`ErrorCode`] says about later calls, from [`ErrorCode::class`]: whether a run
/// over many users goes on, stops, or retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorClass {
    /// About this request only (this user, this session, these arguments): a run goes on
    /// with the next user.
    Request,
    /// About the token, the app or the org: every later call would fail the same way, so
    /// a run stops at once.
    Fatal,
    /// Passing, on Slack's side: the same call may succeed later, so it is retried.
    Transient,
}

/// A rotating token could not be renewed ([`Error::Renewal`]). The message says what
/// happened to the token pair and what to do; it never contains a secret.
#[derive(Debug)]
pub struct RenewalError {
    kind: RenewalErrorKind,
    code: Option<ErrorCode>,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

/// What went wrong in a renewal of a rotating token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RenewalErrorKind {
    /// Slack refused the renewal with a code ([`RenewalError::code`]:
    /// `invalid_refresh_token`, `invalid_client_id`, `bad_client_secret`, …). No later
    /// renewal can succeed: the client asks Slack no more and returns this error instead.
    Refused,
    /// No new pair came (the connection failed, a 5xx, a rate limit that outlasted the
    /// retries, an answer without the pair). The refresh token was not knowingly spent and
    /// is tried again on the next call.
    Failed,
    /// Slack issued a new pair (spending the old refresh token) but the
    /// [`on_renewal`](crate::ClientBuilder::on_renewal) callback failed to store it. The
    /// client keeps the pair in memory, does not use it, and tries storing it again on
    /// the next call; if the process ends first, the pair is lost.
    NotStored,
}

impl RenewalError {
    pub(crate) fn new(
        kind: RenewalErrorKind,
        code: Option<ErrorCode>,
        message: String,
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        RenewalError {
            kind,
            code,
            message,
            source,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> RenewalErrorKind {
        self.kind
    }

    /// Slack's code, when Slack refused.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// What happened to the pair and what to do, in words.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The crate's own error behind a refusal or a failure, when there is one.
    pub(crate) fn source_error(&self) -> Option<&Error> {
        self.source
            .as_deref()
            .and_then(|e| e.downcast_ref::<Error>())
    }
}

impl fmt::Display for RenewalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.kind, &self.code) {
            (RenewalErrorKind::Refused, Some(code)) => write!(
                f,
                "token renewal refused by Slack (oauth.v2.access: {code}): {}",
                self.message
            ),
            (RenewalErrorKind::NotStored, _) => {
                write!(f, "renewed token pair not stored: {}", self.message)
            }
            _ => write!(f, "token renewal failed: {}", self.message),
        }
    }
}

impl StdError for RenewalError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The transport could not obtain a response: the error a [`Transport`](crate::Transport)
/// returns.
///
/// Any HTTP status, 4xx and 5xx included, is a response and not a `TransportError`.
/// Implementors pick the [`TransportErrorKind`] that fits (it decides whether the
/// client retries) and attach the underlying error as the source.
///
/// ```
/// use slack_sessions::{TransportError, TransportErrorKind};
///
/// let io = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
/// let err = TransportError::new(TransportErrorKind::Connect, "connection refused").with_source(io);
/// assert_eq!(err.kind(), TransportErrorKind::Connect);
/// assert!(std::error::Error::source(&err).is_some());
/// ```
#[derive(Debug)]
pub struct TransportError {
    kind: TransportErrorKind,
    method: Option<&'static str>,
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    attempts: u32,
}

impl TransportError {
    /// A new error of the given kind, with a lowercase message saying what failed.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            method: None,
            message: message.into(),
            source: None,
            attempts: 1,
        }
    }

    /// Attaches the underlying error (kept as [`std::error::Error::source`]).
    pub fn with_source(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The message, without the source.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// How many attempts the client made before giving up with this error (1 unless
    /// it retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts;
    }

    /// The Slack method of the failed call, once the client has said (it does for every
    /// error it returns).
    pub fn method(&self) -> Option<&'static str> {
        self.method
    }

    pub(crate) fn set_method(&mut self, method: &'static str) {
        self.method = Some(method);
    }
}

/// `{method}: {message}`, e.g. `admin.users.session.reset: timed out waiting for the
/// answer from slack.com:443 (response bound 30s)`.
impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(method) = self.method {
            write!(f, "{method}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl StdError for TransportError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

/// The kinds of [`TransportError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// No connection could be made (refused, unreachable, DNS failure, TLS handshake
    /// failure, proxy refused). Nothing reached Slack. Retried.
    Connect,
    /// A timeout elapsed (connect, send, or waiting for and reading the answer). Retried.
    Timeout,
    /// The connection broke while sending or receiving (reset, closed mid-answer). Retried.
    Io,
    /// The answer's body was larger than the client's limit; it was not read. Not retried.
    BodyTooLarge,
    /// The request could not be built or was refused locally (bad URL, bad header). Not retried.
    InvalidRequest,
    /// A scripted transport ([`FakeTransport`](crate::FakeTransport)) had no answer queued.
    /// Not retried.
    NoResponse,
    /// Anything else. Not retried.
    Other,
}

impl TransportErrorKind {
    /// Whether a retry may succeed: connection failures, timeouts and broken connections.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            TransportErrorKind::Connect | TransportErrorKind::Timeout | TransportErrorKind::Io
        )
    }
}

/// An input refused before sending, naming the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidRequest {
    method: &'static str,
    field: &'static str,
    reason: String,
}

impl InvalidRequest {
    /// A new refusal: `field` is the form field's name, `reason` a lowercase phrase.
    pub fn new(method: &'static str, field: &'static str, reason: impl Into<String>) -> Self {
        InvalidRequest {
            method,
            field,
            reason: reason.into(),
        }
    }

    /// The form field at fault, e.g. `"user_id"`.
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// The method the request was for.
    pub fn method(&self) -> &'static str {
        self.method
    }

    /// What is wrong with the field.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} request: `{}` {} (nothing was sent)",
            self.method, self.field, self.reason
        )
    }
}

impl StdError for InvalidRequest {}

/// The client is set up wrongly. The message says what to change; it never contains the
/// token.
#[derive(Debug)]
pub struct ConfigError {
    message: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl ConfigError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        ConfigError {
            message: message.into(),
            source: None,
        }
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Self {
        self.source = Some(source.into());
        self
    }

    /// What is wrong, in words.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid client configuration: {}", self.message)
    }
}

impl StdError for ConfigError {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn StdError + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_strings_round_trip() {
        for wire in ErrorCode::ALL_KNOWN {
            let code = ErrorCode::from_wire(wire);
            assert!(!matches!(code, ErrorCode::Other(_)), "{wire}");
            assert_eq!(code.as_str(), *wire);
        }
        assert_eq!(
            ErrorCode::from_wire("new_code"),
            ErrorCode::Other("new_code".into())
        );
        assert_eq!(ErrorCode::from_wire("new_code").as_str(), "new_code");
        assert_eq!(ErrorCode::UserNotFound.to_string(), "user_not_found");
    }

    // That every code in Slack's method reference has a variant is checked against the
    // reference itself, in tests/conformance.rs.

    #[test]
    fn error_stays_small() {
        // Boxed metadata keeps Result<(), Error> cheap to move around.
        assert!(
            std::mem::size_of::<Error>() <= 96,
            "{}",
            std::mem::size_of::<Error>()
        );
    }
}
