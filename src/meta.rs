//! What Slack says about a call besides its result: request id, scopes, warnings.

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue, StatusCode};

// Prepared once: looking a header up by `&str` parses and hashes the name every time.
static REQUEST_ID: HeaderName = HeaderName::from_static("x-slack-req-id");
static OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-oauth-scopes");
static ACCEPTED_OAUTH_SCOPES: HeaderName = HeaderName::from_static("x-accepted-oauth-scopes");

/// Diagnostics of one answer from Slack, available on success
/// ([`WithMeta::meta`], from [`Client::send_with_meta`](crate::Client::send_with_meta))
/// and on failure ([`Error::meta`](crate::Error::meta)).
///
/// Slack support asks for the request id; the scope headers tell which scopes the token
/// has and which the method accepts; warnings flag calls that work today but may not
/// tomorrow (`superfluous_charset`, deprecations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseMeta {
    status: StatusCode,
    request_id: Option<String>,
    oauth_scopes: Option<String>,
    accepted_oauth_scopes: Option<String>,
    warnings: Vec<String>,
    messages: Vec<String>,
    attempts: u32,
    /// Bytes of the answer's body, for bounds on what a walk reads.
    body_bytes: usize,
}

impl ResponseMeta {
    /// The most warnings kept from one answer; Slack sends a handful, and a body of
    /// thousands is a broken or hostile server, not information.
    pub const MAX_WARNINGS: usize = 32;

    /// The most `response_metadata.messages` kept from one answer: one per user of a
    /// full 1,000-id `resetBulk`, with room to spare.
    pub const MAX_MESSAGES: usize = 2_000;

    /// Reads the diagnostic headers of an answer in one pass over them, each value
    /// through `read` (which scrubs the token). Warnings are added from the body later.
    pub(crate) fn from_headers(
        status: StatusCode,
        headers: &HeaderMap,
        read: impl Fn(&HeaderValue) -> Option<String>,
    ) -> Self {
        let mut meta = ResponseMeta {
            status,
            request_id: None,
            oauth_scopes: None,
            accepted_oauth_scopes: None,
            warnings: Vec::new(),
            messages: Vec::new(),
            attempts: 1,
            body_bytes: 0,
        };
        for (name, value) in headers {
            let slot = if name == REQUEST_ID {
                &mut meta.request_id
            } else if name == OAUTH_SCOPES {
                &mut meta.oauth_scopes
            } else if name == ACCEPTED_OAUTH_SCOPES {
                &mut meta.accepted_oauth_scopes
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = read(value);
            }
        }
        meta
    }

    pub(crate) fn set_warnings(&mut self, warnings: Vec<String>) {
        self.warnings = warnings;
    }

    pub(crate) fn set_messages(&mut self, messages: Vec<String>) {
        self.messages = messages;
    }

    pub(crate) fn set_body_bytes(&mut self, bytes: usize) {
        self.body_bytes = bytes;
    }

    /// Bytes of the answer's body.
    pub(crate) fn body_bytes(&self) -> usize {
        self.body_bytes
    }

    pub(crate) fn set_attempts(&mut self, attempts: u32) {
        self.attempts = attempts;
    }

    /// The HTTP status of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Slack's request id (`x-slack-req-id`), the id to quote to Slack support.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The scopes the token has (`x-oauth-scopes`), comma-separated as sent.
    pub fn oauth_scopes(&self) -> Option<&str> {
        self.oauth_scopes.as_deref()
    }

    /// The scopes the method accepts (`x-accepted-oauth-scopes`), comma-separated as sent.
    pub fn accepted_oauth_scopes(&self) -> Option<&str> {
        self.accepted_oauth_scopes.as_deref()
    }

    /// Slack's warnings: the top-level `warning` (comma-separated codes, split) followed
    /// by `response_metadata.warnings`, without duplicates, at most
    /// [`MAX_WARNINGS`](Self::MAX_WARNINGS).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Slack's `response_metadata.messages`: details behind an error code
    /// (`"[ERROR] missing required field: user_id"`) or a warning, in order, at most
    /// [`MAX_MESSAGES`](Self::MAX_MESSAGES).
    pub fn messages(&self) -> &[String] {
        &self.messages
    }

    /// How many attempts the call took (1 when it was not retried).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

/// A decoded response together with the [`ResponseMeta`] of the answer it came from.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WithMeta<T> {
    /// The typed response.
    pub response: T,
    /// Request id, scopes, warnings and attempt count.
    pub meta: ResponseMeta,
}

impl<T> WithMeta<T> {
    /// Splits into the response and its metadata.
    pub fn into_parts(self) -> (T, ResponseMeta) {
        (self.response, self.meta)
    }
}
