//! [`FakeTransport`]: scripted answers and recorded requests, for tests.

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::{TransportError, TransportErrorKind};
use crate::transport::{HttpRequest, HttpResponse, Transport};

/// An in-memory [`Transport`] for tests: it answers from a queue of scripted responses,
/// first in first out, and records every request it receives.
///
/// It is a cheap handle over shared state: clone it, move one clone into the
/// [`Client`](crate::Client) and keep the other to script answers and inspect requests.
/// When the queue is empty it returns a [`TransportError`] of kind
/// [`NoResponse`](TransportErrorKind::NoResponse) naming the unexpected request; it never
/// panics.
///
/// **Turn retries off in tests** with [`RetryPolicy::none`](crate::RetryPolicy::none)
/// unless retries are what you test: with the default policy, a scripted 5xx, 429 or
/// transient error is retried, so the client *really sleeps* (backoff, or the
/// `Retry-After`, up to two minutes) and then asks the fake for the next answer, which,
/// if you queued only one, fails with "no response queued". To test retries without
/// waiting, give the builder a [`Sleep`](crate::Sleep) that records instead of sleeping.
///
/// ```
/// use slack_sessions::{Client, Error, FakeTransport, ResetRequest, RetryPolicy};
///
/// let fake = FakeTransport::new();
/// fake.push_json(503, r#"{"ok":false,"error":"service_unavailable"}"#);
/// let client = Client::builder("xoxp-test")
///     .retry(RetryPolicy::none()) // one scripted answer, one attempt, no sleeping
///     .transport(fake.clone())
///     .build()?;
/// assert!(matches!(client.send(&ResetRequest::new("W1")), Err(Error::Api(_))));
/// assert_eq!(fake.requests().len(), 1);
/// # Ok::<(), slack_sessions::Error>(())
/// ```
///
/// ```
/// use slack_sessions::{Client, FakeTransport, ResetRequest};
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let client = Client::with_transport("xoxp-test", fake.clone());
/// client.send(&ResetRequest::new("W123").mobile_only(true))?;
///
/// let sent = fake.requests();
/// assert_eq!(sent.len(), 1);
/// assert_eq!(sent[0].body(), b"user_id=W123&mobile_only=true");
/// # Ok::<(), slack_sessions::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct FakeTransport {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    script: VecDeque<Result<HttpResponse, TransportError>>,
    requests: Vec<HttpRequest>,
}

impl FakeTransport {
    /// An empty fake: no answers queued, no requests recorded.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread must not turn every later call into a panic.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Queues an answer with this status, `Content-Type: application/json` and `body`.
    ///
    /// # Panics
    ///
    /// If `status` is not a valid HTTP status code (100–999): a bug in the test itself.
    pub fn push_json(&self, status: u16, body: &str) -> &Self {
        let response = http::Response::builder()
            .status(status)
            .header(
                http::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body.as_bytes().to_vec())
            .expect("push_json: status must be a valid HTTP status code (100-999)");
        self.push_response(response)
    }

    /// Queues a complete response, headers and all (for `Retry-After`, `x-slack-req-id`,
    /// HTML error pages, …).
    pub fn push_response(&self, response: HttpResponse) -> &Self {
        self.state().script.push_back(Ok(response));
        self
    }

    /// Queues a transport failure (a timeout, a refused connection, …) as the next answer.
    pub fn push_error(&self, error: TransportError) -> &Self {
        self.state().script.push_back(Err(error));
        self
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.state().requests.iter().map(clone_request).collect()
    }

    /// Every request received so far, oldest first, and forgets them (for long-running
    /// tests and benchmarks that would otherwise keep every request in memory).
    pub fn take_requests(&self) -> Vec<HttpRequest> {
        std::mem::take(&mut self.state().requests)
    }

    /// How many scripted answers are still queued.
    pub fn pending(&self) -> usize {
        self.state().script.len()
    }
}

fn clone_request(request: &HttpRequest) -> HttpRequest {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

impl Transport for FakeTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut state = self.state();
        let answer = state.script.pop_front().unwrap_or_else(|| {
            Err(TransportError::new(
                TransportErrorKind::NoResponse,
                format!(
                    "fake transport has no response queued for {} {}",
                    request.method(),
                    request.uri()
                ),
            ))
        });
        state.requests.push(request);
        answer
    }
}

impl fmt::Debug for FakeTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("FakeTransport")
            .field("queued", &state.script.len())
            .field("received", &state.requests.len())
            .finish()
    }
}
