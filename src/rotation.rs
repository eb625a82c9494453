//! Slack's token rotation: a user token that expires (`xoxe.xoxp-…`, 12 hours) and is
//! renewed with `oauth.v2.access` (`grant_type=refresh_token`), which answers a new access
//! token **and a new refresh token**; the old refresh token then stops working.
//!
//! The client renews ahead of expiry, one renewal at a time however many threads share
//! it, and hands every new pair to [`ClientBuilder::on_renewal`](crate::ClientBuilder::on_renewal)
//! before the new access token is used.

use std::error::Error as StdError;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use http::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{HeaderMap, Method};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorCode, RenewalError, RenewalErrorKind};
use crate::method::SlackMethod;
use crate::scrub::Secrets;
use crate::token::Token;
use crate::transport::HttpRequest;

/// The longest a token is renewed ahead of its expiry (default of
/// [`ClientBuilder::renew_before`](crate::ClientBuilder::renew_before)): Slack's tokens
/// live 12 hours, python-slack-sdk renews 2 hours ahead too.
pub const DEFAULT_RENEW_BEFORE: Duration = Duration::from_secs(2 * 60 * 60);

/// What a client authenticates with: a fixed token, or a rotating one. `&str`, `String`
/// and [`Token`] convert into a fixed token, [`RotatingToken`] into a rotating one, so
/// [`Client::builder`](crate::Client::builder) takes either.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// A token that does not expire (`xoxp-…`).
    Fixed(Token),
    /// A token that expires and is renewed with its refresh token.
    Rotating(RotatingToken),
}

impl<T: Into<Token>> From<T> for Credentials {
    fn from(token: T) -> Self {
        Credentials::Fixed(token.into())
    }
}

impl From<RotatingToken> for Credentials {
    fn from(token: RotatingToken) -> Self {
        Credentials::Rotating(token)
    }
}

/// A rotating token: the access token, when it expires, the refresh token that renews it,
/// and the app's client id and client secret that `oauth.v2.access` asks for.
///
/// The refresh token and the client secret are secrets like the token: `Debug` shows
/// neither, and the client scrubs them (and every access token it held) out of answers.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use slack_sessions::RotatingToken;
///
/// let token = RotatingToken::new("xoxe.xoxp-1-abc", "xoxe-1-def", "123.456", "client-secret")
///     .expires_at(SystemTime::now() + Duration::from_secs(43_200));
/// let shown = format!("{token:?}");
/// assert!(!shown.contains("abc") && !shown.contains("def") && !shown.contains("client-secret"));
/// ```
#[derive(Clone)]
pub struct RotatingToken {
    pub(crate) access_token: Token,
    pub(crate) refresh_token: Token,
    pub(crate) expires_at: Option<SystemTime>,
    pub(crate) client_id: String,
    pub(crate) client_secret: Token,
}

impl RotatingToken {
    /// The current pair and the app's credentials. The expiry is unknown until
    /// [`expires_at`](Self::expires_at) says it: then the token is renewed on the first
    /// `invalid_auth` or `token_expired` answer. To renew at once, pass
    /// `expires_at(SystemTime::now())`.
    pub fn new(
        access_token: impl Into<Token>,
        refresh_token: impl Into<Token>,
        client_id: impl Into<String>,
        client_secret: impl Into<Token>,
    ) -> Self {
        RotatingToken {
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at: None,
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }

    /// A stored [`TokenPair`] and the app's credentials: what a service reads back at start.
    pub fn from_pair(
        pair: &TokenPair,
        client_id: impl Into<String>,
        client_secret: impl Into<Token>,
    ) -> Self {
        RotatingToken::new(
            pair.access_token.clone(),
            pair.refresh_token.clone(),
            client_id,
            client_secret,
        )
        .expires_at(pair.expires_at)
    }

    /// When the access token expires.
    pub fn expires_at(mut self, at: SystemTime) -> Self {
        self.expires_at = Some(at);
        self
    }

    /// Checks the parts before any call; the message never contains a secret.
    pub(crate) fn check(&self) -> Result<(), String> {
        let named = |what: &str, r: Result<(), &str>| r.map_err(|e| format!("{what}: {e}"));
        named("the access token", self.access_token.check())?;
        named("the refresh token", self.refresh_token.check())?;
        named("the client secret", self.client_secret.check())?;
        named(
            "the client id",
            Token::from(self.client_id.as_str()).check(),
        )?;
        if self.access_token.secret().starts_with("xoxe-") {
            return Err(
                "the access token starts with `xoxe-`: that is a refresh token (access \
                 tokens start with `xoxe.xoxp-`); were the two swapped?"
                    .into(),
            );
        }
        if self.refresh_token.secret().starts_with("xoxe.") {
            return Err(
                "the refresh token starts with `xoxe.`: that is an access token \
                        (refresh tokens start with `xoxe-`); were the two swapped?"
                    .into(),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for RotatingToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingToken")
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

/// A pair Slack issued on renewal: the new access token, when it expires, and the new
/// refresh token (the only one that works from now on). Handed to
/// [`ClientBuilder::on_renewal`](crate::ClientBuilder::on_renewal) to be stored before
/// the client uses it. `Debug` shows no secret.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenPair {
    /// The new access token (`xoxe.xoxp-…`).
    pub access_token: Token,
    /// The new refresh token (`xoxe-…`); the one it replaced no longer works.
    pub refresh_token: Token,
    /// When the access token expires (the time of the answer plus `expires_in`).
    pub expires_at: SystemTime,
    /// Slack's `expires_in`: how long the access token lives.
    pub expires_in: Duration,
    /// The user the token authenticates, when Slack says.
    pub user_id: Option<String>,
}

impl TokenPair {
    /// A pair, e.g. read back from storage.
    pub fn new(
        access_token: impl Into<Token>,
        refresh_token: impl Into<Token>,
        expires_at: SystemTime,
    ) -> Self {
        TokenPair {
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at,
            expires_in: Duration::ZERO,
            user_id: None,
        }
    }
}

/// The callback that reads the pair stored now (another process may have renewed).
pub(crate) type LoadStored =
    Arc<dyn Fn() -> Result<Option<TokenPair>, Box<dyn StdError + Send + Sync>> + Send + Sync>;

/// The callback that takes a lock shared with other processes, held (the guard it
/// returns) across reading the stored pair, renewing and storing the new one.
pub(crate) type RenewalLock = Arc<
    dyn Fn() -> Result<Box<dyn std::any::Any + Send>, Box<dyn StdError + Send + Sync>>
        + Send
        + Sync,
>;

/// The callback that stores each new pair.
pub(crate) type OnRenewal =
    Arc<dyn Fn(&TokenPair) -> Result<(), Box<dyn StdError + Send + Sync>> + Send + Sync>;

/// `oauth.v2.access` with `grant_type=refresh_token`. The client id and secret go in an
/// HTTP Basic `Authorization` header, as Slack's reference prefers, not in the form.
#[derive(Serialize)]
pub(crate) struct RefreshRequest<'a> {
    grant_type: &'static str,
    refresh_token: &'a str,
}

/// What the client needs of Slack's answer; the rest is ignored.
#[derive(Deserialize)]
pub(crate) struct RefreshResponse {
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    authed_user: Option<AuthedUser>,
}

#[derive(Deserialize)]
struct AuthedUser {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

impl SlackMethod for RefreshRequest<'_> {
    const NAME: &'static str = "oauth.v2.access";
    type Response = RefreshResponse;
    /// Not idempotent: a refresh token works once. Only a connection that never reached
    /// Slack (and a 429) is retried.
    const IDEMPOTENT: bool = false;
    const TIER: Option<u8> = Some(5);
}

impl RefreshResponse {
    /// The user token's pair: `authed_user`'s when Slack sends the user token there (an
    /// install answer, as in the reference's `success_with_token_rotation`), else the
    /// top-level fields (a refresh of a user token). `None` names the missing field.
    pub(crate) fn into_pair(self, now: SystemTime) -> Result<TokenPair, &'static str> {
        let (access, refresh, expires_in, user_id) = match self.authed_user {
            Some(u) if u.access_token.is_some() => {
                (u.access_token, u.refresh_token, u.expires_in, u.id)
            }
            _ => (
                self.access_token,
                self.refresh_token,
                self.expires_in,
                self.user_id,
            ),
        };
        let access = access.ok_or("the answer has no access_token")?;
        let refresh = refresh.ok_or("the answer has no refresh_token (is rotation on?)")?;
        let expires_in = expires_in.ok_or("the answer has no expires_in")?;
        let access = Token::from(access);
        let refresh = Token::from(refresh);
        access
            .check()
            .map_err(|_| "the new access token cannot be sent in a header")?;
        refresh
            .check()
            .map_err(|_| "the new refresh token is not usable")?;
        let expires_in = Duration::from_secs(expires_in);
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh,
            expires_at: now + expires_in,
            expires_in,
            user_id,
        })
    }
}

/// The pieces of a rotating client: what is in use, and the one renewal at a time.
pub(crate) struct Rotation {
    pub(crate) client_id: String,
    client_secret: Token,
    basic: HeaderValue,
    on_renewal: OnRenewal,
    load_stored: Option<LoadStored>,
    renewal_lock: Option<RenewalLock>,
    renew_before: Duration,
    current: RwLock<Arc<Current>>,
    renewing: Mutex<Renewing>,
    /// The thread running `on_renewal`, so that a callback that calls the client gets an
    /// error instead of waiting forever for the lock its own thread holds.
    in_callback: Mutex<Option<std::thread::ThreadId>>,
    /// Every secret this client held: access tokens old and new, refresh tokens, the
    /// client secret. Scrubbed out of every answer.
    pub(crate) secrets: Secrets,
}

/// The access token in use, as every request needs it.
pub(crate) struct Current {
    /// Bumped by every renewal: a thread that saw an older one knows someone renewed.
    pub(crate) generation: u64,
    access: Token,
    pub(crate) headers: HeaderMap,
    pub(crate) expires_at: Option<SystemTime>,
    /// When to renew ahead of expiry (`None`: expiry unknown, renew on an auth error).
    pub(crate) renew_at: Option<SystemTime>,
}

/// Held while renewing: the refresh token, and a pair Slack issued that is not stored yet.
struct Renewing {
    refresh_token: Token,
    /// Issued by Slack, not yet stored by the callback: the old refresh token is spent,
    /// so this pair is tried again (stored first) instead of asking Slack anew.
    pending: Option<TokenPair>,
    /// Slack refused a renewal: no later renewal can succeed.
    refused: Option<ErrorCode>,
    /// Refresh tokens this client sent to Slack (spent, or refused): a stored pair
    /// holding one of them is stale, never taken. The last few are enough.
    spent: Vec<Token>,
}

/// Why a renewal is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Why {
    /// The token is within its renewal window.
    Ahead,
    /// Slack answered `invalid_auth` / `token_expired`.
    AuthError,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Rotation {
    pub(crate) fn new(
        token: RotatingToken,
        on_renewal: OnRenewal,
        load_stored: Option<LoadStored>,
        renewal_lock: Option<RenewalLock>,
        renew_before: Duration,
        base: &HeaderMap,
    ) -> Result<Self, String> {
        token.check()?;
        let basic = basic_auth(&token.client_id, token.client_secret.secret())
            .ok_or("the client id or secret cannot be sent in an HTTP header")?;
        let current = Current::new(
            0,
            &token.access_token,
            token.expires_at,
            renew_before,
            SystemTime::now(),
            base,
        )?;
        let secrets = Secrets::new([
            token.access_token.secret(),
            token.refresh_token.secret(),
            token.client_secret.secret(),
        ]);
        Ok(Rotation {
            client_id: token.client_id,
            client_secret: token.client_secret,
            basic,
            on_renewal,
            load_stored,
            renewal_lock,
            renew_before,
            current: RwLock::new(Arc::new(current)),
            renewing: Mutex::new(Renewing {
                refresh_token: token.refresh_token,
                pending: None,
                refused: None,
                spent: Vec::new(),
            }),
            in_callback: Mutex::new(None),
            secrets,
        })
    }

    /// The access token in use.
    pub(crate) fn current(&self) -> Arc<Current> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn replace(&self, current: Current) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(current);
    }

    /// Whether an auth error on a request made with `used` calls for one renewal: always
    /// for `token_expired`; for `invalid_auth` only when the expiry is unknown or past
    /// (a token Slack refuses before it expires is refused for another reason).
    pub(crate) fn renews_on(&self, code: &ErrorCode, used: &Current) -> bool {
        match code {
            ErrorCode::TokenExpired => true,
            ErrorCode::InvalidAuth => used
                .expires_at
                .is_none_or(|at| SystemTime::now() + self.renew_margin_floor() >= at),
            _ => false,
        }
    }

    /// Slack's clock and ours differ: an `invalid_auth` this close to the expiry counts.
    fn renew_margin_floor(&self) -> Duration {
        Duration::from_secs(1).min(self.renew_before)
    }

    /// Renews unless another thread already did since `seen` was current. `send` makes
    /// the `oauth.v2.access` call (with the client's retry policy).
    pub(crate) fn renew(
        &self,
        seen: &Current,
        why: Why,
        send: impl FnMut(HttpRequest, &Secrets) -> Result<TokenPair, Error>,
        api_uri: http::Uri,
    ) -> Result<(), Error> {
        if *lock(&self.in_callback) == Some(std::thread::current().id()) {
            return Err(Error::Renewal(RenewalError::new(
                RenewalErrorKind::Failed,
                None,
                "on_renewal called the client while the token it is storing was not yet in \
                 use; store the pair without calling Slack"
                    .into(),
                None,
            )));
        }
        let mut r = lock(&self.renewing);
        let now_current = self.current();
        if now_current.generation != seen.generation {
            return Ok(()); // another thread renewed while this one waited
        }
        if why == Why::Ahead && now_current.renew_at.is_none_or(|at| SystemTime::now() < at) {
            return Ok(()); // a failed renewal postponed the next one
        }
        // Other processes sharing the store wait here until this one has stored its pair
        // (then they read it below instead of spending the same refresh token).
        let _shared = match &self.renewal_lock {
            Some(take) => Some(take().map_err(|e| {
                Error::Renewal(RenewalError::new(
                    RenewalErrorKind::Failed,
                    None,
                    "the lock shared with other clients of the stored pair could not be                      taken; nothing was sent"
                        .into(),
                    Some(e),
                ))
            })?),
            _ => None,
        };
        if r.pending.is_none() {
            if let Some(pair) = self.newer_stored(&r) {
                // Another process (or replica) renewed and stored: take its pair instead
                // of spending a refresh token that is no longer the stored one.
                log::info!(
                    target: "slack_sessions",
                    "the stored token pair is newer than this client's: using it"
                );
                if !self.adopt(&mut r, &pair)? {
                    return Ok(());
                }
                // Stored but itself due: renew it below, with its refresh token.
            }
        }
        if let Some(code) = &r.refused {
            return Err(refused(code.clone(), None, true));
        }
        let mut send = send;
        let mut reread = false;
        while r.pending.is_none() {
            let now_current = self.current();
            let request = self.request(&r.refresh_token, api_uri.clone(), &now_current.headers)?;
            let sent = r.refresh_token.clone();
            if !r.spent.contains(&sent) {
                if r.spent.len() >= 8 {
                    r.spent.remove(0);
                }
                r.spent.push(sent);
            }
            match send(request, &self.secrets) {
                Ok(pair) => {
                    // Held from now on, stored or not: scrubbed like every secret.
                    self.secrets.add(pair.access_token.secret());
                    self.secrets.add(pair.refresh_token.secret());
                    log::info!(
                        target: "slack_sessions",
                        "token renewed with oauth.v2.access; the new one expires in {}s",
                        pair.expires_in.as_secs()
                    );
                    r.pending = Some(pair);
                }
                Err(Error::Api(e)) if !e.code().is_transient() => {
                    let code = e.code().clone();
                    if code == ErrorCode::InvalidRefreshToken && !reread {
                        // Another client may have spent it and stored its new pair since
                        // this one read the store: read it once more.
                        reread = true;
                        if let Some(pair) = self.newer_stored(&r) {
                            log::warn!(
                                target: "slack_sessions",
                                "the refresh token was refused ({code}); the store holds                                  another pair: using it"
                            );
                            if !self.adopt(&mut r, &pair)? {
                                return Ok(());
                            }
                            continue;
                        }
                    }
                    log::error!(
                        target: "slack_sessions",
                        "token renewal refused by Slack: {code}; no later call can renew"
                    );
                    r.refused = Some(code.clone());
                    return Err(refused(code, Some(Box::new(Error::Api(e))), false));
                }
                Err(e) => {
                    let still_valid = now_current
                        .expires_at
                        .is_some_and(|at| SystemTime::now() < at);
                    if why == Why::Ahead && still_valid {
                        // The token still works: go on with it, try again halfway to expiry.
                        let at = now_current.expires_at.expect("still valid");
                        let left = at.duration_since(SystemTime::now()).unwrap_or_default();
                        log::warn!(
                            target: "slack_sessions",
                            "token renewal failed ({}); the token works for {}s more, trying again in {}s",
                            e.without_evidence(), left.as_secs(), (left / 2).as_secs()
                        );
                        self.replace(Current {
                            renew_at: Some(SystemTime::now() + left / 2),
                            ..now_current.same()
                        });
                        return Ok(());
                    }
                    let message = if may_have_reached_slack(&e) {
                        "the token needs renewing and oauth.v2.access gave no new pair; the \
                         request was sent and no usable answer came, so Slack may have issued \
                         a pair and spent the refresh token. The next call tries it again: if \
                         Slack answers invalid_refresh_token, the pair it issued is lost and \
                         the app must be authorized again"
                    } else {
                        "the token needs renewing and oauth.v2.access gave no new pair; \
                         nothing reached Slack (or Slack refused before acting), so the \
                         refresh token still works and is tried again on the next call"
                    };
                    return Err(Error::Renewal(RenewalError::new(
                        RenewalErrorKind::Failed,
                        None,
                        message.into(),
                        Some(Box::new(e)),
                    )));
                }
            }
        }
        let now_current = self.current();
        let pair = r.pending.as_ref().expect("set above");
        *lock(&self.in_callback) = Some(std::thread::current().id());
        let stored = (self.on_renewal)(pair);
        *lock(&self.in_callback) = None;
        if let Err(e) = stored {
            log::error!(
                target: "slack_sessions",
                "a renewed token pair could not be stored: {e}"
            );
            return Err(Error::Renewal(RenewalError::new(
                RenewalErrorKind::NotStored,
                None,
                "Slack issued a new token pair, which spent the old refresh token, but \
                 on_renewal could not store it; the new pair is kept in memory only and \
                 storing it is tried again before it is used. If this process ends first, \
                 the pair is lost: the refresh token in storage no longer works, and the \
                 app must be authorized again (reinstall it through OAuth) for a new pair"
                    .into(),
                Some(e),
            )));
        }
        let pair = r.pending.take().expect("set above");
        r.refresh_token = pair.refresh_token.clone();
        let next = Current::new(
            now_current.generation + 1,
            &pair.access_token,
            Some(pair.expires_at),
            self.renew_before,
            SystemTime::now(),
            &now_current.headers,
        )
        .map_err(|m| Error::Renewal(RenewalError::new(RenewalErrorKind::Failed, None, m, None)))?;
        self.replace(next);
        Ok(())
    }

    /// The stored pair, when [`load_stored`](crate::ClientBuilder::load_stored) gives one
    /// this client should take: its refresh token is not the one held nor one this client
    /// already sent, and it expires no earlier than the held one (a store that lags
    /// behind gives an older pair, whose refresh token is spent). A failure to read is
    /// logged and the client renews with what it holds.
    fn newer_stored(&self, r: &Renewing) -> Option<TokenPair> {
        let load = self.load_stored.as_ref()?;
        match load() {
            Ok(Some(pair)) if pair.refresh_token != r.refresh_token => {
                let older = self
                    .current()
                    .expires_at
                    .is_some_and(|held| pair.expires_at < held);
                if older || r.spent.contains(&pair.refresh_token) {
                    log::warn!(
                        target: "slack_sessions",
                        "the stored token pair is older than this client's: ignored"
                    );
                    return None;
                }
                Some(pair)
            }
            Ok(_) => None,
            Err(e) => {
                log::warn!(
                    target: "slack_sessions",
                    "could not read the stored token pair ({e}); renewing with the one held"
                );
                None
            }
        }
    }

    /// Puts a stored pair in use; `true` when it is itself due for renewal.
    fn adopt(&self, r: &mut Renewing, pair: &TokenPair) -> Result<bool, Error> {
        self.secrets.add(pair.access_token.secret());
        self.secrets.add(pair.refresh_token.secret());
        r.refresh_token = pair.refresh_token.clone();
        r.refused = None;
        let now_current = self.current();
        let fresh = Current::new(
            now_current.generation + 1,
            &pair.access_token,
            Some(pair.expires_at),
            self.renew_before,
            SystemTime::now(),
            &now_current.headers,
        )
        .map_err(|m| Error::Renewal(RenewalError::new(RenewalErrorKind::Failed, None, m, None)))?;
        let due = fresh.due();
        self.replace(fresh);
        Ok(due)
    }

    /// The `oauth.v2.access` request: `POST`, Basic auth, the refresh token in the form.
    fn request(
        &self,
        refresh_token: &Token,
        uri: http::Uri,
        base: &HeaderMap,
    ) -> Result<HttpRequest, Error> {
        let body = serde_urlencoded::to_string(RefreshRequest {
            grant_type: "refresh_token",
            refresh_token: refresh_token.secret(),
        })
        .map_err(|_| {
            Error::Renewal(RenewalError::new(
                RenewalErrorKind::Failed,
                None,
                "the refresh token cannot be form-encoded".into(),
                None,
            ))
        })?;
        let mut request = http::Request::new(body.into_bytes());
        *request.method_mut() = Method::POST;
        *request.uri_mut() = uri;
        let headers = request.headers_mut();
        headers.insert(AUTHORIZATION, self.basic.clone());
        for name in [CONTENT_TYPE, ACCEPT, USER_AGENT] {
            if let Some(v) = base.get(&name) {
                headers.insert(name, v.clone());
            }
        }
        Ok(request)
    }
}

/// Whether a renewal that failed with `e` may have reached Slack, which then spent the
/// refresh token: everything but a connection never made and a rate limit (Slack
/// refuses those without acting).
fn may_have_reached_slack(e: &Error) -> bool {
    match e {
        Error::Transport(t) => t.kind() != crate::error::TransportErrorKind::Connect,
        Error::RateLimited { .. } => false,
        _ => true,
    }
}

fn refused(code: ErrorCode, source: Option<Box<Error>>, again: bool) -> Error {
    let advice = match code {
        ErrorCode::InvalidRefreshToken => {
            "the refresh token was already used (by another process or an earlier run), \
             revoked, or is not this app's; authorize the app again for a new pair"
        }
        ErrorCode::InvalidClientId | ErrorCode::BadClientSecret => {
            "check the app's client id and client secret (Basic Information in the app's settings)"
        }
        ErrorCode::InvalidGrantType => "Slack does not take this grant type from this app",
        _ => "the token cannot be renewed; authorize the app again for a new pair",
    };
    let message = if again {
        format!("{advice} (refused earlier; not asked again)")
    } else {
        advice.to_owned()
    };
    Error::Renewal(RenewalError::new(
        RenewalErrorKind::Refused,
        Some(code),
        message,
        source.map(|e| e as Box<dyn StdError + Send + Sync>),
    ))
}

impl Current {
    fn new(
        generation: u64,
        access: &Token,
        expires_at: Option<SystemTime>,
        renew_before: Duration,
        now: SystemTime,
        base: &HeaderMap,
    ) -> Result<Self, String> {
        let headers = crate::client::with_bearer(base.clone(), access)
            .map_err(|e| format!("the access token: {e}"))?;
        let renew_at = expires_at.map(|at| {
            let left = at.duration_since(now).unwrap_or_default();
            at.checked_sub(renew_before.min(left / 4)).unwrap_or(at)
        });
        Ok(Current {
            generation,
            access: access.clone(),
            headers,
            expires_at,
            renew_at,
        })
    }

    /// A copy to change one field of (same generation, same token).
    fn same(&self) -> Current {
        Current {
            generation: self.generation,
            access: self.access.clone(),
            headers: self.headers.clone(),
            expires_at: self.expires_at,
            renew_at: self.renew_at,
        }
    }

    /// Whether the token is in its renewal window.
    pub(crate) fn due(&self) -> bool {
        self.renew_at.is_some_and(|at| SystemTime::now() >= at)
    }
}

impl fmt::Debug for Rotation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.current();
        f.debug_struct("Rotation")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("expires_at", &current.expires_at)
            .field("renewals", &current.generation)
            .finish()
    }
}

/// `Basic base64(id:secret)`, marked sensitive.
fn basic_auth(id: &str, secret: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::try_from(format!(
        "Basic {}",
        base64(format!("{id}:{secret}").as_bytes())
    ))
    .ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// Standard base64 with padding (RFC 4648), for the one Basic header.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded, "{plain}");
        }
    }

    #[test]
    fn the_user_pair_comes_from_authed_user_or_the_top_level() {
        let now = SystemTime::UNIX_EPOCH;
        let install: RefreshResponse = serde_json::from_str(
            r#"{"ok":true,"access_token":"xoxe.xoxb-1-bot","refresh_token":"xoxe-1-bot","expires_in":43200,
               "authed_user":{"id":"U1","access_token":"xoxe.xoxp-1-user","refresh_token":"xoxe-1-user","expires_in":43200}}"#,
        )
        .unwrap();
        let pair = install.into_pair(now).unwrap();
        assert_eq!(pair.access_token.secret(), "xoxe.xoxp-1-user");
        assert_eq!(pair.refresh_token.secret(), "xoxe-1-user");
        assert_eq!(pair.expires_at, now + Duration::from_secs(43_200));
        let refresh: RefreshResponse = serde_json::from_str(
            r#"{"ok":true,"token_type":"user","access_token":"xoxe.xoxp-1-n","refresh_token":"xoxe-1-n","expires_in":60,"user_id":"U2"}"#,
        )
        .unwrap();
        let pair = refresh.into_pair(now).unwrap();
        assert_eq!(pair.access_token.secret(), "xoxe.xoxp-1-n");
        assert_eq!(pair.user_id.as_deref(), Some("U2"));
        let bare: RefreshResponse =
            serde_json::from_str(r#"{"ok":true,"access_token":"xoxp-1"}"#).unwrap();
        assert!(bare.into_pair(now).unwrap_err().contains("refresh_token"));
    }
}
