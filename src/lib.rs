//! Typed, blocking access to Slack's `admin.users.session.*` Web API methods: log a user
//! out everywhere ([`ResetRequest`]), end one session ([`InvalidateRequest`]), with the
//! token kept secret, every failure typed and nothing sent that Slack would misread.
//!
//! The rest of the family is here too: [`ListRequest`] (walk it with [`Client::pages`]),
//! [`ResetBulkRequest`], [`GetSettingsRequest`], [`SetSettingsRequest`],
//! [`ClearSettingsRequest`]; and [`Client::reset_many`] logs out a whole list of users,
//! one outcome per user, riding out Slack's rate limits.
//!
//! For a whole org, [`Client::reset_verified`] uses `resetBulk` (1,000 users a call) and
//! verifies every user against the session list, with a single reset as the fallback;
//! [`Client::org_targets`] says who "everyone" is and [`Client::resolve_users`] turns
//! email addresses into ids before any write ([`AdminUsersListRequest`],
//! [`LookupByEmailRequest`], [`AuthTestRequest`]). [`ClientBuilder::on_wait`] tells a
//! program every wait between attempts.
//!
//! For incident response, [`Client::find_sessions`] finds the sessions a
//! [`SessionFilter`] matches (a user on every workspace, address ranges, OS, device,
//! client version) by the cheapest calls, and [`Client::await_gone`] proves sessions have
//! left the session list after a write.
//!
//! ```
//! use slack_sessions::{Client, FakeTransport, ResetRequest};
//!
//! // Offline: a scripted transport stands in for Slack.
//! let fake = FakeTransport::new();
//! fake.push_json(200, r#"{"ok": true}"#);
//! let client = Client::with_transport("xoxp-test", fake.clone());
//!
//! client.send(&ResetRequest::new("W12345678"))?;
//!
//! let request = &fake.requests()[0];
//! assert_eq!(request.uri(), "https://slack.com/api/admin.users.session.reset");
//! assert_eq!(request.body(), b"user_id=W12345678");
//! # Ok::<(), slack_sessions::Error>(())
//! ```
//!
//! Against Slack itself, with the token in `SLACK_TOKEN`:
//!
//! ```no_run
//! use slack_sessions::{Client, ResetRequest};
//!
//! let client = Client::from_env()?;
//! client.send(&ResetRequest::new("W12345678"))?;
//! # Ok::<(), slack_sessions::Error>(())
//! ```
//!
//! # How a call works
//!
//! A request struct implements [`SlackMethod`]: its name, its form fields (through
//! `serde`), its response type and its checks. [`Client::send`] validates it, builds the
//! HTTP request ([`Client::build_request`]: `POST {api_url}{method}`, the token as
//! `Authorization: Bearer`, the form as `application/x-www-form-urlencoded`), hands it to
//! a [`Transport`], and decodes the answer ([`decode_response`]). Both halves are public,
//! so an async program can do its own I/O between them.
//!
//! # Error handling
//!
//! Every failure is one [`Error`], by stage:
//!
//! ```
//! use slack_sessions::{Client, Error, ErrorCode, FakeTransport, ResetRequest};
//!
//! let fake = FakeTransport::new();
//! fake.push_json(200, r#"{"ok":false,"error":"missing_scope","needed":"admin.users:write","provided":"users:read"}"#);
//! let client = Client::with_transport("xoxp-test", fake);
//!
//! match client.send(&ResetRequest::new("W12345678")) {
//!     Ok(_) => println!("logged out"),
//!     Err(Error::Api(e)) if e.code() == &ErrorCode::MissingScope => {
//!         assert_eq!(e.needed(), Some("admin.users:write"));
//!     }
//!     Err(Error::Api(e)) => eprintln!("slack said {}", e.code()),
//!     Err(Error::RateLimited { retry_after, .. }) => eprintln!("retry after {retry_after:?}"),
//!     Err(Error::InvalidRequest(e)) => eprintln!("fix the input: {e}"),
//!     Err(Error::Transport(e)) => eprintln!("network: {e}"),
//!     Err(other) => eprintln!("{other}"),
//! }
//! ```
//!
//! - [`Error::InvalidRequest`] and [`Error::Config`]: refused before any I/O.
//! - [`Error::Transport`]: no answer (connection, timeout, body too large).
//! - [`Error::RateLimited`]: HTTP 429, with `Retry-After`.
//! - [`Error::Http`]: a non-2xx answer that is not Slack's JSON (a proxy's HTML page, a
//!   redirect, which is never followed).
//! - [`Error::Decode`]: a body that is not the JSON expected, with a snippet as evidence.
//! - [`Error::Api`]: Slack's `"ok": false`, with its [`ErrorCode`].
//!
//! Request id, warnings and the scope headers are on the error ([`Error::meta`]) and, for
//! a success, on [`Client::send_with_meta`]'s answer.
//!
//! # Retries and time bounds
//!
//! By default a 429 is retried after its `Retry-After`, and transient failures (timeouts,
//! broken connections, HTTP 5xx, Slack's `internal_error` …) with exponential backoff and
//! jitter, at most 3 times; see [`RetryPolicy`] for exactly what is retried and why that is
//! safe for these idempotent methods. [`UreqTransport`] bounds every phase of a call and
//! the size of a body, never follows redirects and uses no proxy unless told to.
//!
//! # Features and transports
//!
//! - **`ureq`** (default): [`UreqTransport`], over one keep-alive `ureq::Agent`, and
//!   [`Client::new`] / [`Client::from_env`] / [`ClientBuilder::timeout`].
//! - **`cli`**: the `slack-sessions` command-line tool.
//!
//! To bring your own HTTP stack and leave ureq out:
//!
//! ```toml
//! slack-sessions = { version = "0.1", default-features = false }
//! ```
//!
//! then implement [`Transport`] (one method over `http` types) and pass it to
//! [`Client::with_transport`] or [`ClientBuilder::transport`]. [`FakeTransport`] is always
//! there, for tests of your own code.
//!
//! # Rotating tokens, and one client for a whole service
//!
//! With Slack's token rotation on, give [`Client::builder`] a [`RotatingToken`] and an
//! [`on_renewal`](ClientBuilder::on_renewal) that stores each new [`TokenPair`]: the client
//! renews through `oauth.v2.access` ahead of expiry, one renewal at a time however many
//! threads share it, and stores before it uses. [`Client`] is cheap to clone (a handle to
//! one shared client) and names the built-in transport by default, so a service holds a
//! plain `Client`. A renewal that fails is [`Error::Renewal`].
//!
//! # The token
//!
//! [`Token`] never shows the secret in `Debug` or `Display`; the client sends it only in
//! the `Authorization` header (marked sensitive), never in a URL or body. Every answer is
//! scrubbed of the token (every run of 8 or more of its characters wherever it starts, a
//! token shorter than that whole; plain, JSON-escaped or percent-encoded) before anything
//! of it is parsed or kept, so no error, log record of this crate or report can carry it
//! even when a server or proxy echoes it back. (ureq's own DEBUG and TRACE records come
//! before any scrub: see the README's Reliability section.)

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(rust_2018_idioms, unreachable_pub)]

mod bulk;
mod client;
mod envelope;
mod error;
mod filter;
mod find;
mod meta;
mod method;
pub mod methods;
mod org;
mod paginate;
mod retry;
mod rotation;
mod scrub;
mod token;
pub mod transport;

pub use bulk::{BulkOptions, ResetHow, ResetMany, ResetOutcome};
pub use client::{
    decode_response, Client, ClientBuilder, DefaultTransport, DEFAULT_API_URL, USER_AGENT_VALUE,
};
pub use error::{
    ApiError, ConfigError, Error, ErrorClass, ErrorCode, InvalidRequest, RenewalError,
    RenewalErrorKind, TransportError, TransportErrorKind,
};
pub use filter::{ClientVersion, IpFrom, IpRange, SessionFilter};
pub use find::{FindSessions, FindStrategy, Gone, GoneOptions, SessionRef};
pub use meta::{ResponseMeta, WithMeta};
pub use method::{Paginated, SlackMethod};
#[doc(inline)]
pub use methods::admin_users_list::{AdminUser, AdminUsersListRequest, AdminUsersListResponse};
#[doc(inline)]
pub use methods::auth_test::{AuthTestRequest, AuthTestResponse};
#[doc(inline)]
pub use methods::clear_settings::{ClearSettingsRequest, ClearSettingsResponse};
#[doc(inline)]
pub use methods::get_settings::{GetSettingsRequest, GetSettingsResponse, SessionSettings};
#[doc(inline)]
pub use methods::invalidate::{InvalidateRequest, InvalidateResponse};
#[doc(inline)]
pub use methods::list::{ActiveSession, DeviceInfo, ListRequest, ListResponse, PageMetadata};
#[doc(inline)]
pub use methods::lookup_by_email::{LookedUpUser, LookupByEmailRequest, LookupByEmailResponse};
#[doc(inline)]
pub use methods::reset::{ResetRequest, ResetResponse};
#[doc(inline)]
pub use methods::reset_bulk::{ResetBulkRequest, ResetBulkResponse};
#[doc(inline)]
pub use methods::set_settings::{SetSettingsRequest, SetSettingsResponse};
pub use org::{OrgTargets, ResetVerified, VerifyOptions};
pub use paginate::Pages;
pub use retry::{RetryPolicy, Sleep, ThreadSleep, Wait};
pub use rotation::{Credentials, RotatingToken, TokenPair, DEFAULT_RENEW_BEFORE};
pub use token::Token;
#[doc(inline)]
pub use transport::fake::FakeTransport;
#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
#[doc(inline)]
pub use transport::ureq::{UreqTransport, UreqTransportBuilder};
#[doc(inline)]
pub use transport::{HttpRequest, HttpResponse, Transport};

/// The README's Rust examples, compiled and run as doctests so they cannot rot.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
