//! [`Client`], its builder, and the sans-IO halves of a call: [`Client::build_request`]
//! and [`decode_response`].

use std::any::type_name;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use http::header::HeaderName;
use http::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER, USER_AGENT,
};
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{HeaderMap, Method, StatusCode, Uri};

use crate::envelope::Envelope;
use crate::error::{
    ApiDetail, ApiError, ConfigError, Error, ErrorCode, InvalidRequest, RenewalError,
    RenewalErrorKind,
};
use crate::meta::{ResponseMeta, WithMeta};
use crate::method::SlackMethod;
use crate::retry::{OnWait, RetryPolicy, Sleep, ThreadSleep, Wait};
use crate::rotation::{
    Credentials, Current, LoadStored, OnRenewal, RefreshRequest, RenewalLock, Rotation, TokenPair,
    Why, DEFAULT_RENEW_BEFORE,
};
use crate::scrub::{Scrubber, Secrets};
use crate::token::Token;
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// Slack's Web API base URL, the default [`ClientBuilder::api_url`].
pub const DEFAULT_API_URL: &str = "https://slack.com/api/";

/// The `User-Agent` every request carries (after any custom one): crate name and version.
pub const USER_AGENT_VALUE: &str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

const FORM: HeaderValue = HeaderValue::from_static("application/x-www-form-urlencoded");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// How much of an unexpected body an error keeps as evidence.
const SNIPPET_BYTES: usize = 256;

/// A Slack Web API client over a [`Transport`] (by default the built-in
/// [`UreqTransport`](crate::UreqTransport), so a service can name the type as plain
/// `Client`).
///
/// Cheap to clone and to share: a `Client` is a handle to one shared client inside (an
/// `Arc`), so `clone()` copies a pointer, and every clone uses the same connections, the
/// same settings and the same token, a rotating token's renewals included. `Client` is
/// `Send + Sync` when its transport is, and every method takes `&self`. Everything
/// per-client (URL prefix, the `Authorization` header, `User-Agent`) is prepared once,
/// when the client is made.
///
/// ```
/// use slack_sessions::{Client, FakeTransport, InvalidateRequest, ResetRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#).push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
///
/// // A stolen laptop: log the user out of every web session...
/// client.send(&ResetRequest::new("W123").web_only(true))?;
/// // ...or kill one session you know the id of, from another handle to the same client.
/// let worker = client.clone();
/// worker.send(&InvalidateRequest::new("W123", 1112275520242))?;
/// assert_eq!(fake.requests().len(), 2);
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[cfg(feature = "ureq")]
pub struct Client<T = crate::UreqTransport> {
    inner: Arc<Inner<T>>,
}

/// A Slack Web API client over a [`Transport`]; cheap to clone (a handle to one shared
/// client). With the **`ureq`** feature the transport type defaults to `UreqTransport`.
#[cfg(not(feature = "ureq"))]
pub struct Client<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for Client<T> {
    /// Another handle to the same client (no copy of the transport or the settings).
    fn clone(&self) -> Self {
        Client {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// What every clone of a [`Client`] shares.
struct Inner<T> {
    auth: Auth,
    api_url: ApiUrl,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleep>,
    on_wait: Option<OnWait>,
    transport: T,
}

/// How requests are authorised. Lives once per client behind the `Arc`, so the size of
/// the variants does not matter.
#[allow(clippy::large_enum_variant)]
enum Auth {
    /// One token for the client's life.
    Fixed {
        token: Token,
        /// Every request's headers (`Authorization`, `Content-Type`, `Accept`,
        /// `User-Agent`), built once; or why the token cannot be used.
        headers: Result<HeaderMap, &'static str>,
        /// Every secret the client holds, removed from every answer before it is decoded.
        secrets: Secrets,
    },
    /// A token that expires and is renewed.
    Rotating(Rotation),
}

impl<T: Transport> Client<T> {
    /// A client with Slack's API URL and default settings over `transport`, with a fixed
    /// token (for a rotating one, use [`Client::builder`] and
    /// [`on_renewal`](ClientBuilder::on_renewal)).
    ///
    /// Never fails: a token that cannot be used (empty, or with whitespace or control
    /// characters) makes every [`send`](Client::send) return [`Error::Config`] before any
    /// I/O. Use [`Client::builder`] to be told at once.
    pub fn with_transport(token: impl Into<Token>, transport: T) -> Self {
        let token = token.into();
        Client {
            inner: Arc::new(Inner {
                auth: Auth::Fixed {
                    headers: base_headers(HeaderValue::from_static(USER_AGENT_VALUE))
                        .and_then(|base| with_bearer(base, &token)),
                    secrets: Secrets::new([token.secret()]),
                    token,
                },
                api_url: ApiUrl::new(DEFAULT_API_URL).expect("the default API URL is valid"),
                retry: RetryPolicy::default(),
                sleeper: Arc::new(ThreadSleep),
                on_wait: None,
                transport,
            }),
        }
    }

    /// Calls the method and returns its typed response.
    ///
    /// With a rotating token, the token is renewed first when it is within its renewal
    /// window, and once more (then the call made again) when Slack answers
    /// `token_expired`, or `invalid_auth` past the known expiry.
    ///
    /// # Errors
    ///
    /// See [`Error`]: `InvalidRequest` or `Config` before anything is sent;
    /// `Transport` when no answer came; `RateLimited`, `Http`, `Decode` or `Api` for an
    /// answer that is not a success; `Renewal` when a rotating token could not be renewed.
    pub fn send<R: SlackMethod>(&self, request: &R) -> Result<R::Response, Error> {
        self.send_with_meta(request).map(|answer| answer.response)
    }

    /// Like [`send`](Client::send), and also returns the answer's [`ResponseMeta`]:
    /// request id, scope headers, warnings, attempts. On failure the same is on the
    /// error ([`Error::meta`]).
    ///
    /// # Errors
    ///
    /// As for [`send`](Client::send).
    pub fn send_with_meta<R: SlackMethod>(
        &self,
        request: &R,
    ) -> Result<WithMeta<R::Response>, Error> {
        self.send_within(request, &mut Budget::unbounded())
    }

    /// [`send_with_meta`](Client::send_with_meta), making no retry whose wait `budget`
    /// does not allow (the last error is returned instead), and charging every wait to it.
    pub(crate) fn send_within<R: SlackMethod>(
        &self,
        request: &R,
        budget: &mut Budget,
    ) -> Result<WithMeta<R::Response>, Error> {
        let rotation = match &self.inner.auth {
            Auth::Fixed {
                headers, secrets, ..
            } => {
                let headers = headers.as_ref().map_err(|r| *r);
                return self.exchange::<R>(|| self.build_with(request, headers), secrets, budget);
            }
            Auth::Rotating(rotation) => rotation,
        };
        let mut current = rotation.current();
        if current.due() {
            self.renew(rotation, &current, Why::Ahead)?;
            current = rotation.current();
        }
        let mut renewed = false;
        loop {
            let result = self.exchange::<R>(
                || self.build_with(request, Ok(&current.headers)),
                &rotation.secrets,
                budget,
            );
            match result {
                Err(Error::Api(e)) if !renewed && rotation.renews_on(e.code(), &current) => {
                    log::info!(
                        target: "slack_sessions",
                        "{} answered {}: renewing the token, then calling again",
                        R::NAME,
                        e.code()
                    );
                    self.renew(rotation, &current, Why::AuthError)?;
                    renewed = true;
                    current = rotation.current();
                }
                other => return other,
            }
        }
    }

    /// One renewal of a rotating token (or none, when another thread just did it).
    fn renew(&self, rotation: &Rotation, seen: &Current, why: Why) -> Result<(), Error> {
        let uri = self
            .inner
            .api_url
            .for_method(RENEWAL_METHOD)
            .ok_or_else(|| {
                Error::Config(ConfigError::new("the API URL cannot take oauth.v2.access"))
            })?;
        rotation.renew(
            seen,
            why,
            |request, secrets| self.renewal_call(request, secrets),
            uri,
        )
    }

    /// `oauth.v2.access`, retried as the retry policy allows for a call that is not
    /// idempotent (a refresh token works once): only a 429 and a connection that never
    /// reached Slack. The new pair is read from the raw answer (scrubbing would take
    /// pieces of the new tokens for pieces of the old ones); anything else is decoded,
    /// scrubbed, into the usual errors.
    fn renewal_call(&self, request: HttpRequest, secrets: &Secrets) -> Result<TokenPair, Error> {
        let mut attempt = 1;
        loop {
            let result = self
                .inner
                .transport
                .send(request.clone())
                .map_err(Error::Transport)
                .and_then(|response| {
                    // Any token the answer carries is a secret from now on, whatever shape
                    // the rest has: learn it before any error is built from the answer.
                    let value = serde_json::from_slice::<serde_json::Value>(response.body()).ok();
                    if let Some(value) = &value {
                        learn_tokens(value, secrets, 0);
                    }
                    let answered_ok = value
                        .as_ref()
                        .and_then(|v| v.get("ok"))
                        .and_then(serde_json::Value::as_bool)
                        == Some(true);
                    if response.status().is_success() {
                        if let Ok(answer) = serde_json::from_slice::<RefreshAnswer>(response.body())
                        {
                            if answer.ok == Some(true) {
                                return answer
                                    .pair
                                    .into_pair(std::time::SystemTime::now())
                                    .map_err(|why| {
                                        Error::Renewal(RenewalError::new(
                                            RenewalErrorKind::Failed,
                                            None,
                                            format!(
                                                "oauth.v2.access answered ok but {why}; \
                                                 the refresh token may be spent"
                                            ),
                                            None,
                                        ))
                                    });
                            }
                        }
                    }
                    if answered_ok && response.status().is_success() {
                        // Slack rotated the pair: the refresh token sent is spent.
                        return Err(Error::Renewal(RenewalError::new(
                            RenewalErrorKind::Failed,
                            None,
                            "oauth.v2.access answered ok but the new token pair could not be \
                             read (unexpected shape); the refresh token may be spent"
                                .into(),
                            None,
                        )));
                    }
                    match decode::<RefreshRequest<'static>>(&response, Some(&secrets.scrubber())) {
                        Err(mut e) => {
                            e.withhold_body();
                            Err(e)
                        }
                        Ok(_) => Err(Error::Renewal(RenewalError::new(
                            RenewalErrorKind::Failed,
                            None,
                            "oauth.v2.access answered ok without a usable pair".into(),
                            None,
                        ))),
                    }
                });
            match result {
                Ok(pair) => return Ok(pair),
                Err(mut error) => {
                    error.set_attempts(attempt);
                    if let Error::Transport(t) = &mut error {
                        t.set_method(RENEWAL_METHOD);
                    }
                    let Some((delay, reason)) = self.inner.retry.decide(&error, attempt, false)
                    else {
                        return Err(error);
                    };
                    self.wait(&Wait {
                        method: RENEWAL_METHOD,
                        delay,
                        reason,
                        attempt,
                        error: &error,
                        gives_up_after: None,
                    });
                    attempt += 1;
                }
            }
        }
    }

    /// Sends what `make` builds until it succeeds or the retry policy gives up.
    fn exchange<R: SlackMethod>(
        &self,
        make: impl Fn() -> Result<HttpRequest, Error>,
        secrets: &Secrets,
        budget: &mut Budget,
    ) -> Result<WithMeta<R::Response>, Error> {
        let mut http_request = make()?;
        let mut attempt = 1;
        loop {
            let started = Instant::now();
            let result = self
                .inner
                .transport
                .send(http_request)
                .map_err(Error::Transport)
                .and_then(|response| decode::<R>(&response, Some(&secrets.scrubber())));
            let elapsed = started.elapsed();
            match result {
                Ok(mut answer) => {
                    answer.meta.set_attempts(attempt);
                    log::debug!(
                        target: "slack_sessions",
                        "{} attempt {attempt}: ok, status {}, request id {}, {elapsed:?}",
                        R::NAME,
                        answer.meta.status().as_u16(),
                        answer.meta.request_id().unwrap_or("-"),
                    );
                    return Ok(answer);
                }
                Err(mut error) => {
                    error.set_attempts(attempt);
                    if let Error::Transport(t) = &mut error {
                        t.set_method(R::NAME);
                    }
                    let decision = self
                        .inner
                        .retry
                        .decide(&error, attempt, R::IDEMPOTENT)
                        .filter(|(delay, _)| budget.allows(*delay));
                    log::debug!(
                        target: "slack_sessions",
                        "{} attempt {attempt}: failed, status {}, request id {}, {elapsed:?}: {}; {}",
                        R::NAME,
                        error.meta().map_or(0, |m| m.status().as_u16()),
                        error.request_id().unwrap_or("-"),
                        error.without_evidence(),
                        match decision {
                            Some((delay, reason)) => format!("retrying in {delay:?} ({reason})"),
                            None => "not retrying".to_owned(),
                        },
                    );
                    let Some((delay, reason)) = decision else {
                        return Err(error);
                    };
                    self.wait(&Wait {
                        method: R::NAME,
                        delay,
                        reason,
                        attempt,
                        error: &error,
                        gives_up_after: budget.left(),
                    });
                    budget.spend(delay);
                    attempt += 1;
                    http_request = make()?;
                }
            }
        }
    }

    /// Builds the exact HTTP request [`send`](Client::send) would hand to the transport,
    /// without sending it: for dry runs, for async users who bring their own I/O, and
    /// for benchmarks. Pair it with [`decode_response`]. A rotating token is not renewed
    /// here: the request carries the access token in use.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when the request fails its checks, [`Error::Config`]
    /// when the token cannot be used.
    pub fn build_request<R: SlackMethod>(&self, request: &R) -> Result<HttpRequest, Error> {
        match &self.inner.auth {
            Auth::Fixed { headers, .. } => {
                self.build_with(request, headers.as_ref().map_err(|r| *r))
            }
            Auth::Rotating(rotation) => self.build_with(request, Ok(&rotation.current().headers)),
        }
    }

    fn build_with<R: SlackMethod>(
        &self,
        request: &R,
        headers: Result<&HeaderMap, &'static str>,
    ) -> Result<HttpRequest, Error> {
        let headers = match headers {
            Ok(headers) => headers.clone(),
            Err(reason) => return Err(Error::Config(ConfigError::new(reason))),
        };
        request.validate().map_err(Error::InvalidRequest)?;
        let body = serde_urlencoded::to_string(request).map_err(|e| {
            Error::InvalidRequest(InvalidRequest::new(
                R::NAME,
                "(form)",
                format!("cannot be encoded as form fields: {e}"),
            ))
        })?;
        let uri = self.inner.api_url.for_method(R::NAME).ok_or_else(|| {
            Error::InvalidRequest(InvalidRequest::new(
                R::NAME,
                "(method name)",
                "does not form a valid URL path",
            ))
        })?;

        let mut http_request = http::Request::new(body.into_bytes());
        *http_request.method_mut() = Method::POST;
        *http_request.uri_mut() = uri;
        *http_request.headers_mut() = headers;
        Ok(http_request)
    }

    /// The transport, e.g. to read what a [`FakeTransport`](crate::FakeTransport) recorded.
    pub fn transport(&self) -> &T {
        &self.inner.transport
    }

    /// The API base URL every method name is appended to (always ends in `/`).
    pub fn api_url(&self) -> &str {
        &self.inner.api_url.full
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// Waits through the client's [`Sleep`] (real sleep unless a test replaced it).
    pub(crate) fn sleep(&self, duration: Duration) {
        self.inner.sleeper.sleep(duration);
    }

    /// Tells the [`on_wait`](ClientBuilder::on_wait) callback, then waits.
    pub(crate) fn wait(&self, wait: &Wait<'_>) {
        if let Some(on_wait) = &self.inner.on_wait {
            on_wait(wait);
        }
        self.inner.sleeper.sleep(wait.delay);
    }

    /// Decodes an answer to method `R` like [`decode_response`], first scrubbing this
    /// client's token out of the body and out of every header value it reads: for
    /// async users who do their own I/O between [`build_request`](Client::build_request)
    /// and decoding, and want the same guarantee as [`send`](Client::send).
    ///
    /// # Errors
    ///
    /// As for [`decode_response`].
    pub fn decode_response<R: SlackMethod>(
        &self,
        response: &HttpResponse,
    ) -> Result<WithMeta<R::Response>, Error> {
        match &self.inner.auth {
            Auth::Fixed { secrets, .. } => decode::<R>(response, Some(&secrets.scrubber())),
            Auth::Rotating(rotation) => decode::<R>(response, Some(&rotation.secrets.scrubber())),
        }
    }
}

/// Adds every string under an `access_token` or `refresh_token` key of `value`, at any
/// depth (bounded), to `secrets`.
fn learn_tokens(value: &serde_json::Value, secrets: &Secrets, depth: u32) {
    if depth > 8 {
        return;
    }
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match v {
                    serde_json::Value::String(s)
                        if key == "access_token" || key == "refresh_token" =>
                    {
                        secrets.add(s)
                    }
                    _ => learn_tokens(v, secrets, depth + 1),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for v in items {
                learn_tokens(v, secrets, depth + 1);
            }
        }
        _ => {}
    }
}

/// The method a rotating token is renewed with.
const RENEWAL_METHOD: &str = "oauth.v2.access";

/// Slack's answer to a renewal, read before any scrubbing: `ok` and the pair.
#[derive(serde::Deserialize)]
struct RefreshAnswer {
    ok: Option<bool>,
    #[serde(flatten)]
    pair: crate::rotation::RefreshResponse,
}

/// The headers every request carries but `Authorization`.
fn base_headers(user_agent: HeaderValue) -> Result<HeaderMap, &'static str> {
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(CONTENT_TYPE, FORM);
    headers.insert(ACCEPT, JSON);
    headers.insert(USER_AGENT, user_agent);
    Ok(headers)
}

/// `base` with the token as bearer (first, as it always was on the wire), or why the
/// token cannot be used.
pub(crate) fn with_bearer(base: HeaderMap, token: &Token) -> Result<HeaderMap, &'static str> {
    token.check()?;
    if let Some(why) = token.implausible() {
        log::warn!(target: "slack_sessions", "{why}");
    }
    let mut auth = HeaderValue::try_from(format!("Bearer {}", token.secret()))
        .map_err(|_| "the token cannot be sent in an HTTP header")?;
    auth.set_sensitive(true);
    let mut headers = HeaderMap::with_capacity(4);
    headers.insert(AUTHORIZATION, auth);
    for (name, value) in &base {
        if name != AUTHORIZATION {
            headers.insert(name.clone(), value.clone());
        }
    }
    Ok(headers)
}

impl<T: fmt::Debug> fmt::Debug for Client<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        let mut d = f.debug_struct("Client");
        match &inner.auth {
            Auth::Fixed { token, headers, .. } => d.field("token", token).field(
                "user_agent",
                &headers.as_ref().ok().and_then(|h| h.get(USER_AGENT)),
            ),
            Auth::Rotating(rotation) => d.field("token", rotation),
        };
        d.field("api_url", &inner.api_url.full)
            .field("retry", &inner.retry)
            .field("sleeper", &format_args!("dyn Sleep"))
            .field("transport", &inner.transport)
            .finish()
    }
}

/// The placeholder transport of a [`ClientBuilder`] that was not given one: `build()`
/// makes a [`UreqTransport`](crate::UreqTransport) from the builder's settings (feature
/// **`ureq`**). Without that feature, call [`ClientBuilder::transport`] before `build()`.
#[derive(Debug, Clone, Default)]
pub struct DefaultTransport {
    #[cfg(feature = "ureq")]
    ureq: crate::transport::ureq::UreqTransportBuilder,
}

impl Client<DefaultTransport> {
    /// Starts a [`ClientBuilder`]: API URL, timeout, user agent, transport. Takes a fixed
    /// token (`&str`, `String`, [`Token`]) or a [`RotatingToken`](crate::RotatingToken)
    /// (which also needs [`on_renewal`](ClientBuilder::on_renewal)).
    pub fn builder(credentials: impl Into<Credentials>) -> ClientBuilder<DefaultTransport> {
        ClientBuilder {
            settings: Settings {
                credentials: credentials.into(),
                on_renewal: None,
                load_stored: None,
                renewal_lock: None,
                renew_before: DEFAULT_RENEW_BEFORE,
                api_url: None,
                user_agent: None,
                retry: RetryPolicy::default(),
                sleeper: Arc::new(ThreadSleep),
                on_wait: None,
            },
            transport: DefaultTransport::default(),
        }
    }
}

#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
impl Client<crate::UreqTransport> {
    /// A client for Slack's API over a default [`UreqTransport`](crate::UreqTransport).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the token cannot be used.
    pub fn new(token: impl Into<Token>) -> Result<Self, Error> {
        Client::builder(token).build()
    }

    /// A client from the environment: the token from `SLACK_TOKEN`, and the API URL from
    /// `SLACK_API_URL` when set (for a test server or a gateway).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `SLACK_TOKEN` is unset or unusable, or `SLACK_API_URL` is
    /// not a usable URL.
    pub fn from_env() -> Result<Self, Error> {
        let token = std::env::var("SLACK_TOKEN").map_err(|_| {
            Error::Config(ConfigError::new(
                "SLACK_TOKEN is not set (or not valid UTF-8)",
            ))
        })?;
        let mut builder = Client::builder(token);
        if let Ok(url) = std::env::var("SLACK_API_URL") {
            builder = builder.api_url(url);
        }
        builder.build()
    }
}

/// Sets up a [`Client`]; from [`Client::builder`].
///
/// ```
/// use std::time::Duration;
/// use slack_sessions::{Client, FakeTransport};
///
/// let client = Client::builder("xoxp-test")
///     .api_url("http://127.0.0.1:8080/api")
///     .user_agent("incident-bot/2.1")
///     .transport(FakeTransport::new())
///     .build()?;
/// assert_eq!(client.api_url(), "http://127.0.0.1:8080/api/");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
///
/// Settings of the built-in ureq transport (`timeout`, `proxy`, …) are available until
/// [`transport`](ClientBuilder::transport) replaces it; a custom transport is configured
/// on its own.
#[derive(Debug)]
#[must_use = "a builder does nothing until build() is called"]
pub struct ClientBuilder<T> {
    settings: Settings,
    transport: T,
}

/// What a [`ClientBuilder`] holds besides the transport.
struct Settings {
    credentials: Credentials,
    on_renewal: Option<OnRenewal>,
    load_stored: Option<LoadStored>,
    renewal_lock: Option<RenewalLock>,
    renew_before: Duration,
    api_url: Option<String>,
    user_agent: Option<String>,
    retry: RetryPolicy,
    sleeper: Arc<dyn Sleep>,
    on_wait: Option<OnWait>,
}

impl fmt::Debug for Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Settings")
            .field("credentials", &self.credentials)
            .field(
                "on_renewal",
                &self.on_renewal.as_ref().map(|_| "Fn(&TokenPair)"),
            )
            .field(
                "load_stored",
                &self.load_stored.as_ref().map(|_| "Fn() -> TokenPair"),
            )
            .field(
                "renewal_lock",
                &self.renewal_lock.as_ref().map(|_| "Fn() -> Guard"),
            )
            .field("renew_before", &self.renew_before)
            .field("api_url", &self.api_url)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("sleeper", &format_args!("dyn Sleep"))
            .field("on_wait", &self.on_wait.as_ref().map(|_| "Fn(&Wait)"))
            .finish()
    }
}

impl<T> ClientBuilder<T> {
    /// The API base URL (default `https://slack.com/api/`); a missing trailing `/` is
    /// added. `http://` is accepted only for loopback hosts (`127.0.0.0/8`, `::1`,
    /// `localhost`), so the token never crosses a network in clear text.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.settings.api_url = Some(url.into());
        self
    }

    /// Your application's `User-Agent`; the crate's own (`slack-sessions/VERSION`) is
    /// appended to it.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.settings.user_agent = Some(user_agent.into());
        self
    }

    /// When and how failed calls are retried (default: [`RetryPolicy::default`]; use
    /// [`RetryPolicy::none`] to turn retries off).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.settings.retry = policy;
        self
    }

    /// What waits between retries (default: [`ThreadSleep`]). Tests pass a [`Sleep`]
    /// that records instead of sleeping.
    pub fn sleeper(mut self, sleeper: impl Sleep + 'static) -> Self {
        self.settings.sleeper = Arc::new(sleeper);
        self
    }

    /// Calls `f` before each wait between attempts (a 429's `Retry-After`, a backoff after
    /// a transient failure, and [`Client::reset_many`]'s own waits for a rate-limited
    /// user), with what is waited for and how long. The wait itself still goes through
    /// the [`Sleep`]. Keep `f` quick: it runs on the calling thread.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use slack_sessions::{Client, FakeTransport, ResetRequest, Sleep};
    ///
    /// struct NoSleep;
    /// impl Sleep for NoSleep {
    ///     fn sleep(&self, _: std::time::Duration) {}
    /// }
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_response(http::Response::builder().status(429).header("retry-after", "30").body(Vec::new())?)
    ///     .push_json(200, r#"{"ok":true}"#);
    /// let told = Arc::new(Mutex::new(Vec::new()));
    /// let log = told.clone();
    /// let client = Client::builder("xoxp-test")
    ///     .on_wait(move |w| log.lock().unwrap().push(format!("{}: {} for {}s", w.method, w.reason, w.delay.as_secs())))
    ///     .sleeper(NoSleep)
    ///     .transport(fake)
    ///     .build()?;
    /// client.send(&ResetRequest::new("W1"))?;
    /// assert_eq!(told.lock().unwrap()[0], "admin.users.session.reset: rate limited (HTTP 429) for 30s");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_wait(mut self, f: impl Fn(&Wait<'_>) + Send + Sync + 'static) -> Self {
        self.settings.on_wait = Some(Arc::new(f));
        self
    }

    /// Stores each new pair of a rotating token, called **before** the client uses the new
    /// access token, while no other thread of the client renews. A refresh token works
    /// once: a pair that is not stored is access lost at the next restart. Return an error
    /// when storing failed: the call that needed the renewal then fails with
    /// [`Error::Renewal`] ([`RenewalErrorKind::NotStored`](crate::RenewalErrorKind)), the
    /// client keeps the pair in memory without using it, and the next call tries storing
    /// it again. Required with a [`RotatingToken`](crate::RotatingToken). Do not call the
    /// client from `f`: it runs before the new token is in use (such a call fails with
    /// [`Error::Renewal`] instead of waiting for itself).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::SystemTime;
    /// use slack_sessions::{Client, FakeTransport, ResetRequest, RotatingToken, TokenPair};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true,"token_type":"user","access_token":"xoxe.xoxp-1-new",
    ///         "refresh_token":"xoxe-1-new","expires_in":43200}"#)
    ///     .push_json(200, r#"{"ok":true}"#);
    /// let stored: Arc<Mutex<Option<TokenPair>>> = Arc::default();
    /// let store = stored.clone();
    /// // An expiry that has come: the first call renews first.
    /// let token = RotatingToken::new("xoxe.xoxp-1-old", "xoxe-1-old", "123.456", "app-secret")
    ///     .expires_at(SystemTime::now());
    /// let client = Client::builder(token)
    ///     .on_renewal(move |pair| {
    ///         *store.lock().unwrap() = Some(pair.clone()); // a database or file in a service
    ///         Ok::<(), std::io::Error>(())
    ///     })
    ///     .transport(fake.clone())
    ///     .build()?;
    /// client.send(&ResetRequest::new("W1"))?;
    /// let stored = stored.lock().unwrap().clone().unwrap();
    /// assert_eq!(stored.refresh_token.secret(), "xoxe-1-new");
    /// let sent = fake.requests();
    /// assert_eq!(sent[0].uri(), "https://slack.com/api/oauth.v2.access");
    /// assert_eq!(sent[1].headers()["authorization"], "Bearer xoxe.xoxp-1-new");
    /// # Ok::<(), slack_sessions::Error>(())
    /// ```
    pub fn on_renewal<E>(
        mut self,
        f: impl Fn(&TokenPair) -> Result<(), E> + Send + Sync + 'static,
    ) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.settings.on_renewal = Some(Arc::new(move |pair| f(pair).map_err(Into::into)));
        self
    }

    /// Reads the pair stored now, before each renewal of a rotating token, for clients in
    /// several processes (or replicas) that share one store: when the stored refresh
    /// token is not the one this client holds, another client renewed and stored first,
    /// and this one takes that pair instead of spending a refresh token Slack would
    /// refuse (`invalid_refresh_token`). Return `Ok(None)` when nothing is stored. A read
    /// that fails is logged and the client renews with the pair it holds. This narrows the
    /// race between processes to the moment of the renewal itself; to close it, give a
    /// [`renewal_lock`](ClientBuilder::renewal_lock) too. A stored pair that expires
    /// before the one held, or holds a refresh token this client already sent, is stale
    /// (a store that lags) and ignored. When Slack answers `invalid_refresh_token`, the
    /// store is read once more and a different pair in it is taken.
    pub fn load_stored<E>(
        mut self,
        f: impl Fn() -> Result<Option<TokenPair>, E> + Send + Sync + 'static,
    ) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.settings.load_stored = Some(Arc::new(move || f().map_err(Into::into)));
        self
    }

    /// A lock shared by every client of one store (a file lock, a database row lock),
    /// taken before each renewal of a rotating token and held, by keeping the guard `f`
    /// returns, across [`load_stored`](ClientBuilder::load_stored), the
    /// `oauth.v2.access` call and [`on_renewal`](ClientBuilder::on_renewal): a second
    /// process waits, then reads the pair the first one stored instead of spending the
    /// same refresh token. When `f` fails, the renewal fails and nothing is sent.
    ///
    /// ```
    /// use std::fs::OpenOptions;
    /// use std::time::SystemTime;
    /// use slack_sessions::{Client, FakeTransport, ResetRequest, RotatingToken};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true,"token_type":"user","access_token":"xoxe.xoxp-1-new",
    ///         "refresh_token":"xoxe-1-new","expires_in":43200}"#)
    ///     .push_json(200, r#"{"ok":true}"#);
    /// let path = std::env::temp_dir().join("slack-sessions-doc-renewal.lock");
    /// let token = RotatingToken::new("xoxe.xoxp-1-a", "xoxe-1-r", "123.456", "app-secret")
    ///     .expires_at(SystemTime::now());
    /// let client = Client::builder(token)
    ///     .on_renewal(|_pair| Ok::<(), std::io::Error>(())) // store the pair here
    ///     .renewal_lock(move || {
    ///         let file = OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
    ///         file.lock()?; // other processes wait here; unlocked when `file` is dropped
    ///         Ok::<_, std::io::Error>(file)
    ///     })
    ///     .transport(fake.clone())
    ///     .build()?;
    /// client.send(&ResetRequest::new("W1"))?;
    /// assert_eq!(fake.requests().len(), 2);
    /// # Ok::<(), slack_sessions::Error>(())
    /// ```
    pub fn renewal_lock<G, E>(
        mut self,
        f: impl Fn() -> Result<G, E> + Send + Sync + 'static,
    ) -> Self
    where
        G: Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.settings.renewal_lock = Some(Arc::new(move || {
            f().map(|g| Box::new(g) as Box<dyn std::any::Any + Send>)
                .map_err(Into::into)
        }));
        self
    }

    /// How long before its expiry a rotating token is renewed, at most (default 2 hours,
    /// [`DEFAULT_RENEW_BEFORE`](crate::DEFAULT_RENEW_BEFORE)); never more than a quarter
    /// of the time the token had left when it was issued.
    pub fn renew_before(mut self, ahead: Duration) -> Self {
        self.settings.renew_before = ahead;
        self
    }

    /// Sends through `transport` instead of the built-in one.
    pub fn transport<U: Transport>(self, transport: U) -> ClientBuilder<U> {
        ClientBuilder {
            settings: self.settings,
            transport,
        }
    }
}

impl Settings {
    fn finish<U: Transport>(self, transport: U) -> Result<Client<U>, Error> {
        let api_url = match &self.api_url {
            Some(url) => normalize_api_url(url)?,
            None => DEFAULT_API_URL.to_owned(),
        };
        let api_url = ApiUrl::new(&api_url).ok_or_else(|| {
            Error::Config(ConfigError::new(format!(
                "api url {api_url:?} is not a valid URL"
            )))
        })?;
        let user_agent = match &self.user_agent {
            None => HeaderValue::from_static(USER_AGENT_VALUE),
            Some(custom) => HeaderValue::try_from(format!("{} {USER_AGENT_VALUE}", custom.trim()))
                .map_err(|e| {
                    Error::Config(
                        ConfigError::new(
                            "the user agent contains characters not allowed in an HTTP header",
                        )
                        .with_source(e),
                    )
                })?,
        };
        let base =
            base_headers(user_agent).map_err(|reason| Error::Config(ConfigError::new(reason)))?;
        // The builder refuses an unusable token at once; `with_transport` defers it to send.
        let auth = match self.credentials {
            Credentials::Fixed(token) if token.secret().starts_with("xoxe-") => {
                return Err(Error::Config(ConfigError::new(
                    "the token starts with `xoxe-`: that is a refresh token, which no method \
                     takes; give the access token (xoxp-…, or xoxe.xoxp-… when rotating, with \
                     the refresh token in RotatingToken::new)",
                )));
            }
            Credentials::Fixed(token) => Auth::Fixed {
                headers: Ok(with_bearer(base, &token)
                    .map_err(|reason| Error::Config(ConfigError::new(reason)))?),
                secrets: Secrets::new([token.secret()]),
                token,
            },
            Credentials::Rotating(token) => {
                let on_renewal = self.on_renewal.ok_or_else(|| {
                    Error::Config(ConfigError::new(
                        "a rotating token needs on_renewal: every renewal spends the refresh \
                         token, so each new pair must be stored before it is used",
                    ))
                })?;
                Auth::Rotating(
                    Rotation::new(
                        token,
                        on_renewal,
                        self.load_stored,
                        self.renewal_lock,
                        self.renew_before,
                        &base,
                    )
                    .map_err(|m| Error::Config(ConfigError::new(m)))?,
                )
            }
        };
        Ok(Client {
            inner: Arc::new(Inner {
                auth,
                api_url,
                retry: self.retry,
                sleeper: self.sleeper,
                on_wait: self.on_wait,
                transport,
            }),
        })
    }
}

impl<T: Transport> ClientBuilder<T> {
    /// Builds the client over the given transport.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the token cannot be used (empty, whitespace or control
    /// characters), the API URL is not `https://` (or `http://` to a loopback host),
    /// the user agent is not a valid header value, or a rotating token has no
    /// [`on_renewal`](ClientBuilder::on_renewal) or an unusable part (the message names it,
    /// never its value).
    pub fn build(self) -> Result<Client<T>, Error> {
        self.settings.finish(self.transport)
    }
}

#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
impl ClientBuilder<DefaultTransport> {
    /// Bound on one whole attempt (connect, send, wait, read) of the built-in transport.
    /// Without it, each phase has its own bound; see
    /// [`UreqTransportBuilder`](crate::UreqTransportBuilder).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport.ureq = self.transport.ureq.call_timeout(Some(timeout));
        self
    }

    /// Sends through this HTTP proxy (`http://host:port`; HTTPS is tunnelled with
    /// `CONNECT`).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.transport.ureq = self.transport.ureq.proxy(url);
        self
    }

    /// Uses `ALL_PROXY` / `HTTPS_PROXY` / `HTTP_PROXY` and `NO_PROXY` when `yes`.
    pub fn proxy_from_env(mut self, yes: bool) -> Self {
        self.transport.ureq = self.transport.ureq.proxy_from_env(yes);
        self
    }

    /// The largest response body read, in bytes (default 1 MiB).
    pub fn max_response_bytes(mut self, limit: u64) -> Self {
        self.transport.ureq = self.transport.ureq.max_response_bytes(limit);
        self
    }

    /// Replaces all built-in transport settings at once.
    pub fn ureq_settings(mut self, settings: crate::UreqTransportBuilder) -> Self {
        self.transport.ureq = settings;
        self
    }

    /// Builds the client over a new [`UreqTransport`](crate::UreqTransport).
    ///
    /// # Errors
    ///
    /// As for the generic `build`, and when the proxy URL is not usable.
    pub fn build(self) -> Result<Client<crate::UreqTransport>, Error> {
        let transport = self.transport.ureq.build()?;
        self.settings.finish(transport)
    }
}

/// The API base URL, split once, and the URL of each of the crate's methods once it was
/// first called: from then on its `Uri` is a clone (shared bytes, no parsing, no
/// allocation), read without a lock (threads sharing a client never contend for it).
/// Other methods' URLs are built per call.
#[derive(Debug)]
struct ApiUrl {
    full: String,
    scheme: Scheme,
    authority: Authority,
    path: String,
    known: [OnceLock<Uri>; KNOWN_METHODS.len()],
}

/// The methods whose URLs a client remembers.
const KNOWN_METHODS: [&str; 11] = [
    "admin.users.session.reset",
    "admin.users.session.invalidate",
    "admin.users.session.list",
    "admin.users.session.resetBulk",
    "admin.users.session.getSettings",
    "admin.users.session.setSettings",
    "admin.users.session.clearSettings",
    "admin.users.list",
    "users.lookupByEmail",
    "auth.test",
    RENEWAL_METHOD,
];

impl ApiUrl {
    fn new(full: &str) -> Option<Self> {
        let uri: Uri = full.parse().ok()?;
        let parts = uri.into_parts();
        Some(ApiUrl {
            full: full.to_owned(),
            scheme: parts.scheme?,
            authority: parts.authority?,
            path: parts
                .path_and_query
                .map_or_else(|| "/".to_owned(), |p| p.path().to_owned()),
            known: Default::default(),
        })
    }

    /// `{api_url}{method}` as a `Uri`.
    fn for_method(&self, method: &str) -> Option<Uri> {
        let Some(slot) = KNOWN_METHODS
            .iter()
            .position(|m| *m == method)
            .map(|i| &self.known[i])
        else {
            return self.build(method);
        };
        if let Some(uri) = slot.get() {
            return Some(uri.clone());
        }
        let uri = self.build(method)?;
        Some(slot.get_or_init(|| uri).clone())
    }

    /// `{api_url}{method}` built from the parts, parsing only the path.
    fn build(&self, method: &str) -> Option<Uri> {
        let mut path = String::with_capacity(self.path.len() + method.len());
        path.push_str(&self.path);
        path.push_str(method);
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(PathAndQuery::try_from(path).ok()?);
        Uri::from_parts(parts).ok()
    }
}

/// Checks an API base URL and gives it a trailing slash.
fn normalize_api_url(url: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::Config(ConfigError::new(format!("api url {url:?}: {why}")));
    let uri: Uri = url.parse().map_err(|e| {
        Error::Config(
            ConfigError::new(format!("api url {url:?} is not a valid URL")).with_source(e),
        )
    })?;
    let host = uri.host().ok_or_else(|| bad("has no host"))?;
    match uri.scheme_str() {
        Some("https") => {}
        Some("http") if is_loopback(host) => {}
        Some("http") => {
            return Err(bad(
                "plain http is allowed only to a loopback host (127.0.0.0/8, ::1, localhost); use https",
            ))
        }
        _ => return Err(bad("must start with https://")),
    }
    if uri.authority().is_some_and(|a| a.as_str().contains('@')) {
        return Err(bad(
            "must not carry credentials; the token is sent as a bearer header",
        ));
    }
    if uri.query().is_some() {
        return Err(bad("must not have a query string"));
    }
    let mut normalized = url.to_owned();
    if !normalized.ends_with('/') {
        normalized.push('/');
    }
    Ok(normalized)
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

/// Decodes Slack's answer to method `R`: the second, sans-IO half of a call.
///
/// Stages, in order: HTTP 429 is [`Error::RateLimited`] (with `Retry-After`); any other
/// non-2xx status is [`Error::Api`] when the body is Slack's JSON error, else
/// [`Error::Http`]; a 2xx body must be a JSON object with `"ok"`: `false` is
/// [`Error::Api`], `true` decodes into `R::Response`. Anything else is
/// [`Error::Decode`], keeping the status, the start of the body and the target type.
///
/// ```
/// use slack_sessions::{decode_response, Error, ErrorCode, ResetRequest};
///
/// let answer = http::Response::builder()
///     .status(200)
///     .header("x-slack-req-id", "req-42")
///     .body(br#"{"ok":false,"error":"user_not_found"}"#.to_vec())?;
/// match decode_response::<ResetRequest>(&answer) {
///     Err(Error::Api(e)) => {
///         assert_eq!(e.code(), &ErrorCode::UserNotFound);
///         assert_eq!(e.meta().request_id(), Some("req-42"));
///     }
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As described above.
pub fn decode_response<R: SlackMethod>(
    response: &HttpResponse,
) -> Result<WithMeta<R::Response>, Error> {
    decode::<R>(response, None)
}

/// An answer as the decoder sees it: every header value it reads, and the body, with the
/// token scrubbed out first when there is a scrubber.
struct Answer<'a> {
    headers: &'a http::HeaderMap,
    scrubber: Option<&'a Scrubber>,
}

impl Answer<'_> {
    fn header(&self, name: &HeaderName) -> Option<HeaderValue> {
        let value = self.headers.get(name)?;
        Some(match self.scrubber {
            Some(s) => s.header(value),
            None => value.clone(),
        })
    }

    fn text(&self, value: &HeaderValue) -> Option<String> {
        let text = match self.scrubber {
            Some(s) => s.bytes(value.as_bytes()),
            None => Cow::Borrowed(value.as_bytes()),
        };
        std::str::from_utf8(&text).ok().map(str::to_owned)
    }
}

/// [`decode_response`], scrubbing the token out of the body and the headers it reads
/// before anything else happens.
pub(crate) fn decode<R: SlackMethod>(
    response: &HttpResponse,
    scrubber: Option<&Scrubber>,
) -> Result<WithMeta<R::Response>, Error> {
    let status = response.status();
    let answer = Answer {
        headers: response.headers(),
        scrubber,
    };
    let body: Cow<'_, [u8]> = match scrubber {
        Some(s) => s.bytes(response.body()),
        None => Cow::Borrowed(response.body()),
    };
    let body = &body[..];
    let mut meta = ResponseMeta::from_headers(status, response.headers(), |v| answer.text(v));
    meta.set_body_bytes(response.body().len());
    let envelope = serde_json::from_slice::<Envelope<'_>>(body);

    if status == StatusCode::TOO_MANY_REQUESTS {
        if let Ok(mut env) = envelope {
            env.move_details_into(&mut meta);
        }
        return Err(rate_limited::<R>(meta, &answer));
    }

    if !status.is_success() {
        if let Ok(mut env) = envelope {
            if env.ok.value == Some(false) {
                if let Some(code) = env.error.value.take() {
                    env.move_details_into(&mut meta);
                    return Err(api_error::<R>(code, env, meta, &answer));
                }
            }
        }
        let location = answer
            .header(&LOCATION)
            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned());
        return Err(Error::Http {
            status,
            method: R::NAME,
            location,
            body_snippet: snippet(body),
            meta: Box::new(meta),
        });
    }

    let decode_error = |reason: &'static str,
                        source: Option<serde_json::Error>,
                        meta: ResponseMeta| Error::Decode {
        method: R::NAME,
        status,
        target: type_name::<R::Response>(),
        reason,
        body_snippet: snippet(body),
        source,
        meta: Box::new(meta),
    };

    let is_object = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    let mut env = match envelope {
        // serde reads a struct from a JSON array too; Slack's answer is always an object.
        Ok(_) if !is_object => {
            return Err(decode_error(
                "the body is not a Slack JSON object",
                None,
                meta,
            ));
        }
        Ok(env) => env,
        Err(e) => {
            let reason = if body.iter().all(u8::is_ascii_whitespace) {
                "the body is empty"
            } else if e.is_syntax() || e.is_eof() {
                "the body is not valid JSON"
            } else {
                "the body is not a Slack JSON object"
            };
            return Err(decode_error(reason, Some(e), meta));
        }
    };
    env.move_details_into(&mut meta);
    match env.ok.value {
        None => Err(decode_error(
            "the answer has no \"ok\" field (or it is not a boolean)",
            None,
            meta,
        )),
        // A missing or `null` "error" is the same answer as `"error": ""`: a refusal
        // without a code (an `Error::Api` whose code is empty), not an unreadable answer.
        Some(false) => {
            let code = env.error.value.take().unwrap_or(Cow::Borrowed(""));
            Err(api_error::<R>(code, env, meta, &answer))
        }
        Some(true) => match serde_json::from_slice::<R::Response>(body) {
            Ok(response) => Ok(WithMeta { response, meta }),
            Err(e) => Err(decode_error(
                "the successful answer does not have the expected fields",
                Some(e),
                meta,
            )),
        },
    }
}

fn rate_limited<R: SlackMethod>(meta: ResponseMeta, answer: &Answer<'_>) -> Error {
    Error::RateLimited {
        retry_after: parse_retry_after(
            answer.header(&RETRY_AFTER).as_ref(),
            answer.header(&http::header::DATE).as_ref(),
        ),
        method: R::NAME,
        meta: Box::new(meta),
    }
}

/// Slack's `"ok": false`; a `ratelimited` code is the same thing as a 429 and becomes
/// [`Error::RateLimited`], so callers and the retry policy handle rate limits in one place.
fn api_error<R: SlackMethod>(
    code: Cow<'_, str>,
    env: Envelope<'_>,
    meta: ResponseMeta,
    answer: &Answer<'_>,
) -> Error {
    if code == "ratelimited" {
        return rate_limited::<R>(meta, answer);
    }
    Error::Api(ApiError {
        method: R::NAME,
        code: ErrorCode::from_wire(&code),
        detail: Box::new(ApiDetail {
            // An empty field says nothing: `None`, as if absent.
            needed: env
                .needed
                .value
                .filter(|v| !v.trim().is_empty())
                .map(Cow::into_owned),
            provided: env
                .provided
                .value
                .filter(|v| !v.trim().is_empty())
                .map(Cow::into_owned),
            meta,
        }),
    })
}

/// `Retry-After` as a delay: whole or fractional seconds (what Slack sends), or an HTTP
/// date (RFC 9110 allows it), counted from the answer's `Date` header when it has one and
/// from now otherwise; a date in the past is no wait. A negative or unreadable value
/// gives `None`.
pub(crate) fn parse_retry_after(
    value: Option<&HeaderValue>,
    date: Option<&HeaderValue>,
) -> Option<Duration> {
    let text = value?.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0)
            .then(|| Duration::try_from_secs_f64(secs).ok())
            .flatten();
    }
    let at = http_date(text)?;
    let now = date
        .and_then(|d| d.to_str().ok())
        .and_then(http_date)
        .unwrap_or_else(std::time::SystemTime::now);
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the three forms RFC 9110 says a recipient must accept:
/// `Sun, 06 Nov 1994 08:49:37 GMT`, `Sunday, 06-Nov-94 08:49:37 GMT`,
/// `Sun Nov  6 08:49:37 1994`.
fn http_date(text: &str) -> Option<std::time::SystemTime> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = |t: &str| MONTHS.iter().position(|m| *m == t).map(|m| m as u32 + 1);
    let tokens: Vec<&str> = text
        .split([' ', ',', '-', ':'])
        .filter(|t| !t.is_empty())
        .collect();
    // Drop the weekday, then read one of the two orders.
    let (day, mon, year, h, m, s) = match tokens.get(1..)? {
        [d, mon, y, h, m, s, "GMT"] => (*d, month(mon)?, *y, *h, *m, *s),
        [mon, d, h, m, s, y] => (*d, month(mon)?, *y, *h, *m, *s),
        _ => return None,
    };
    let num = |t: &str| t.parse::<u32>().ok();
    let mut year = num(year)?;
    if year < 100 {
        year += if year >= 70 { 1900 } else { 2000 };
    }
    let (day, h, m, s) = (num(day)?, num(h)?, num(m)?, num(s)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 || year < 1970 {
        return None;
    }
    // Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    let (y, mo) = if mon <= 2 {
        (year - 1, mon + 9)
    } else {
        (year, mon - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = u64::from(era) * 146_097 + u64::from(doe) - 719_468;
    let secs = days * 86_400 + u64::from(h * 3600 + m * 60 + s);
    Some(std::time::UNIX_EPOCH + Duration::from_secs(secs))
}

/// How much time one call (and the waits between its attempts) may take, counted from
/// when it was made: the real time passed, or the time slept when that is more (a test's
/// [`Sleep`] that does not sleep still spends the budget).
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    /// When the call was made; read only when there is a bound.
    started: Option<Instant>,
    slept: Duration,
    max: Option<Duration>,
}

impl Budget {
    /// No bound in time (the retry policy's counts still bound the call).
    pub(crate) fn unbounded() -> Self {
        Budget {
            started: None,
            slept: Duration::ZERO,
            max: None,
        }
    }

    /// At most `max` from now (none when `None`).
    pub(crate) fn at_most(max: Option<Duration>) -> Self {
        Budget {
            started: max.map(|_| Instant::now()),
            slept: Duration::ZERO,
            max,
        }
    }

    /// Time spent so far: real, or slept when more.
    pub(crate) fn spent(&self) -> Duration {
        self.started
            .map_or(Duration::ZERO, |s| s.elapsed())
            .max(self.slept)
    }

    /// What is left of the bound, `None` when there is none.
    pub(crate) fn left(&self) -> Option<Duration> {
        self.max.map(|m| m.saturating_sub(self.spent()))
    }

    /// Whether a wait of `delay` fits in what is left.
    pub(crate) fn allows(&self, delay: Duration) -> bool {
        self.left().is_none_or(|left| delay <= left)
    }

    /// Charges a wait that was made.
    pub(crate) fn spend(&mut self, delay: Duration) {
        self.slept = self.slept.saturating_add(delay);
    }

    /// Time slept so far.
    pub(crate) fn slept(&self) -> Duration {
        self.slept
    }
}

fn snippet(body: &[u8]) -> String {
    let mut end = body.len().min(SNIPPET_BYTES);
    // Do not split a UTF-8 sequence at the cut.
    while end < body.len() && end > 0 && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let mut text = String::from_utf8_lossy(&body[..end]).into_owned();
    if end < body.len() {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(value: &str, date: Option<&str>) -> Option<Duration> {
        let v = HeaderValue::from_str(value).unwrap();
        let d = date.map(|d| HeaderValue::from_str(d).unwrap());
        parse_retry_after(Some(&v), d.as_ref())
    }

    #[test]
    fn retry_after_takes_seconds_and_all_three_http_dates() {
        let now = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(after("7", Some(now)), Some(Duration::from_secs(7)));
        assert_eq!(after("1.5", None), Some(Duration::from_millis(1500)));
        for later in [
            "Sun, 06 Nov 1994 08:50:37 GMT",
            "Sunday, 06-Nov-94 08:50:37 GMT",
            "Sun Nov  6 08:50:37 1994",
        ] {
            assert_eq!(
                after(later, Some(now)),
                Some(Duration::from_secs(60)),
                "{later}"
            );
        }
        // A date already past is no wait; garbage and negatives are unreadable.
        assert_eq!(
            after("Sat, 05 Nov 1994 08:49:37 GMT", Some(now)),
            Some(Duration::ZERO)
        );
        for bad in ["-3", "soon", "Sun, 32 Nov 1994 08:49:37 GMT", "NaN", "inf"] {
            assert_eq!(after(bad, Some(now)), None, "{bad}");
        }
        assert_eq!(
            http_date("Thu, 01 Jan 1970 00:00:00 GMT"),
            Some(std::time::UNIX_EPOCH)
        );
        assert_eq!(
            http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(std::time::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        // Without a Date header the clock is "now": a date far in the past is no wait.
        assert_eq!(
            after("Thu, 01 Jan 1970 00:00:00 GMT", None),
            Some(Duration::ZERO)
        );
    }
}
