//! `--json` output: one shape for every command and every outcome.
//!
//! Every object has `ok` (a bool). When `ok` is false it has `error`, always a code (Slack's
//! own, e.g. `user_not_found`, or one of the local ones in [`code`]), and `message`, the
//! sentence a person would read. Then come the command's own fields. A command with many
//! results prints one object per line.
//!
//! A command prints its results with [`Object`]:
//!
//! ```text
//! json::Object::ok().field("user_id", &id).field("scope", "web").print()?;
//! json::Object::from_error(&error).field("user_id", &id).print()?;
//! ```
//!
//! A command that fails without printing anything returns its [`Failure`]; `main` prints
//! it as an object (`ok`, `error`, `message`) when `--json` is on. A command that printed
//! the failure itself marks it [`Failure::shown`] so it is not printed twice.

use serde::Serialize;
use serde_json::{Map, Value};
use slack_sessions::{Error, LookupByEmailRequest, RenewalErrorKind, SlackMethod};

use super::{describe, exit, Failure};

/// The local error codes, beside Slack's own. The README's `--json` table lists them all.
pub(crate) mod code {
    /// Input refused before any call: a bad argument, id, file or flag.
    pub(crate) const INVALID_INPUT: &str = "invalid_input";
    /// An email address that belongs to no user of the org (looked up, nothing reset).
    pub(crate) const UNKNOWN_EMAIL: &str = "unknown_email";
    /// No token given, or an empty one.
    pub(crate) const NO_TOKEN: &str = "no_token";
    /// No answer obtained: connection refused or reset, timeout, DNS, proxy.
    pub(crate) const TRANSPORT: &str = "transport";
    /// Slack kept answering 429 (or `ratelimited`) after every retry.
    pub(crate) const RATE_LIMITED: &str = "rate_limited";
    /// A non-2xx answer that is not Slack's JSON (a proxy's page, a wrong --api-url).
    pub(crate) const HTTP_ERROR: &str = "http_error";
    /// An answer that is not the JSON Slack documents for the method.
    pub(crate) const INVALID_RESPONSE: &str = "invalid_response";
    /// Slack answered `"ok": false` without an error code.
    pub(crate) const NO_ERROR_CODE: &str = "no_error_code";
    /// A run that did not finish everything it was given (the message says what is left).
    pub(crate) const INCOMPLETE: &str = "incomplete";
    /// A write that touches many was not confirmed: no terminal to ask on and no
    /// `--yes`, or a different answer typed. Nothing was written.
    pub(crate) const CONFIRMATION_REQUIRED: &str = "confirmation_required";
    /// The write was made, but the sessions it targeted were still listed at the
    /// verification deadline (`--verify`).
    pub(crate) const NOT_VERIFIED: &str = "not_verified";
    /// Output could not be written (stdout closed, a report file unwritable).
    pub(crate) const OUTPUT_FAILED: &str = "output_failed";
    /// A rotating token needed renewing and `oauth.v2.access` gave no new pair (no answer,
    /// a 5xx, an answer without the pair). A refusal is Slack's own code instead
    /// (`invalid_refresh_token`, `invalid_client_id`, `bad_client_secret`, ...).
    pub(crate) const RENEWAL_FAILED: &str = "renewal_failed";
    /// Slack issued a new token pair but it could not be written to the token file.
    pub(crate) const TOKEN_NOT_STORED: &str = "token_not_stored";
}

/// The code for a library error: Slack's own for an `ok: false` answer, else a local one.
pub(crate) fn error_code(error: &Error) -> &str {
    match error {
        Error::Api(api) if api.code().as_str().is_empty() => code::NO_ERROR_CODE,
        Error::Api(api) => api.code().as_str(),
        Error::RateLimited { .. } => code::RATE_LIMITED,
        Error::Http { .. } => code::HTTP_ERROR,
        Error::Decode { .. } => code::INVALID_RESPONSE,
        Error::Transport(_) => code::TRANSPORT,
        Error::Renewal(e) => match (e.kind(), e.code()) {
            (RenewalErrorKind::Refused, Some(code)) => code.as_str(),
            (RenewalErrorKind::NotStored, _) => code::TOKEN_NOT_STORED,
            _ => code::RENEWAL_FAILED,
        },
        // An address no user has, from users.lookupByEmail or (find) admin.users.list.
        Error::InvalidRequest(bad)
            if (bad.method() == LookupByEmailRequest::NAME
                || bad.method() == slack_sessions::AdminUsersListRequest::NAME)
                && bad.field() == "email" =>
        {
            code::UNKNOWN_EMAIL
        }
        _ => code::INVALID_INPUT,
    }
}

/// One JSON result object: `ok`, then `error` and `message` when not ok, then fields.
#[derive(Debug, Clone)]
pub(crate) struct Object(Map<String, Value>);

impl Object {
    /// `{"ok": true}`, to add the command's fields to.
    pub(crate) fn ok() -> Self {
        let mut map = Map::new();
        map.insert("ok".into(), Value::Bool(true));
        Object(map)
    }

    /// `{"ok": false, "error": code, "message": message}`.
    pub(crate) fn failed(code: &str, message: &str) -> Self {
        let mut map = Map::new();
        map.insert("ok".into(), Value::Bool(false));
        map.insert("error".into(), Value::String(code.to_owned()));
        map.insert("message".into(), Value::String(message.to_owned()));
        Object(map)
    }

    /// A failed call: its code and message, and the method, request id and attempts.
    pub(crate) fn from_error(error: &Error) -> Self {
        let mut object = Object::failed(error_code(error), &describe(error));
        if let Some(method) = method_of(error) {
            object = object.field("method", method);
        }
        object
            .field("request_id", error.request_id())
            .field("attempts", error.attempts())
    }

    /// A command's failure, as `main` prints it.
    pub(crate) fn from_failure(failure: &Failure) -> Self {
        Object::failed(&failure.error, &failure.message)
    }

    /// Replaces the message of a failure object (one with hints added, say).
    pub(crate) fn message(mut self, message: &str) -> Self {
        if self.0.contains_key("message") {
            self.0
                .insert("message".into(), Value::String(message.to_owned()));
        }
        self
    }

    /// Adds (or replaces) one field. `ok`, `error` and `message` are kept as they are.
    pub(crate) fn field(mut self, name: &str, value: impl Serialize) -> Self {
        if !matches!(name, "ok" | "error" | "message") {
            let value = serde_json::to_value(value).unwrap_or(Value::Null);
            self.0.insert(name.to_owned(), value);
        }
        self
    }

    /// Adds every field of `fields` (a JSON object; anything else adds nothing).
    pub(crate) fn fields(mut self, fields: Value) -> Self {
        if let Value::Object(map) = fields {
            for (name, value) in map {
                self = self.field(&name, value);
            }
        }
        self
    }

    /// The object as one line of JSON.
    pub(crate) fn line(&self) -> String {
        Value::Object(self.0.clone()).to_string()
    }

    /// Prints the object as one line on stdout (one `write`).
    pub(crate) fn print(&self) -> Result<(), Failure> {
        super::print(&self.line())
    }
}

fn method_of(error: &Error) -> Option<&'static str> {
    match error {
        Error::Api(api) => Some(api.method()),
        Error::RateLimited { method, .. }
        | Error::Http { method, .. }
        | Error::Decode { method, .. } => Some(method),
        Error::Transport(t) => t.method(),
        Error::InvalidRequest(bad) => Some(bad.method()),
        Error::Renewal(_) => Some("oauth.v2.access"),
        _ => None,
    }
}

/// Whether `args` (the raw command line) asks for `--json`, for failures found before
/// the command line could be parsed.
pub(crate) fn asked_for(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// The exit code's default error code, for a failure made without one.
pub(crate) fn default_code(exit_code: u8) -> &'static str {
    match exit_code {
        exit::USAGE => code::INVALID_INPUT,
        exit::OUTPUT => code::OUTPUT_FAILED,
        _ => code::INCOMPLETE,
    }
}
