//! The [`Transport`] trait: how a finished HTTP request becomes an HTTP response.

use std::sync::Arc;

use crate::error::TransportError;

pub mod fake;
#[cfg(feature = "ureq")]
mod resolver;
#[cfg(feature = "ureq")]
#[cfg_attr(docsrs, doc(cfg(feature = "ureq")))]
pub mod ureq;

/// The request a [`Transport`] sends: an `http::Request` with the form body as bytes.
pub type HttpRequest = http::Request<Vec<u8>>;

/// The response a [`Transport`] returns: an `http::Response` with the whole body read.
pub type HttpResponse = http::Response<Vec<u8>>;

/// Sends one HTTP request and returns the response: the seam under the client.
///
/// The crate ships two: [`UreqTransport`](crate::UreqTransport) (feature **`ureq`**, the
/// default) for real calls and [`FakeTransport`](crate::FakeTransport) for tests. Write
/// your own to go through a corporate proxy stack, add tracing, or record and replay.
/// The request arrives complete (method, URL, headers including `Authorization`, body);
/// send it as is.
///
/// The trait is object-safe and implemented for `&T`, `Box<T>` and `Arc<T>`, so
/// `Client<Box<dyn Transport + Send + Sync>>` works.
///
/// ```
/// use slack_sessions::{Client, FakeTransport, HttpRequest, HttpResponse, Transport, TransportError};
///
/// /// Counts calls, then hands the request to another transport.
/// struct Counting<T> {
///     inner: T,
///     calls: std::sync::atomic::AtomicUsize,
/// }
///
/// impl<T: Transport> Transport for Counting<T> {
///     fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
///         self.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
///         self.inner.send(request)
///     }
/// }
///
/// let fake = FakeTransport::new();
/// fake.push_json(200, r#"{"ok": true}"#);
/// let counting = Counting { inner: fake, calls: Default::default() };
/// let client = Client::with_transport("xoxp-test", counting);
/// client.send(&slack_sessions::ResetRequest::new("W123"))?;
/// # Ok::<(), slack_sessions::Error>(())
/// ```
///
/// # Errors
///
/// Return a [`TransportError`] only when no response was obtained: the connection could
/// not be made or broke, a timeout elapsed, the body exceeded a limit. Pick the
/// [`TransportErrorKind`](crate::TransportErrorKind) that fits: it decides whether the
/// client retries. Every HTTP status, 3xx, 4xx and 5xx included, is a response: return it
/// as `Ok`, with its headers and body, so the client can read Slack's JSON error and
/// `Retry-After`. Do not follow redirects (the request carries the bearer token).
pub trait Transport {
    /// Sends `request` and returns the whole response.
    ///
    /// # Errors
    ///
    /// See the trait documentation: only when no response was obtained.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

impl<T: Transport + ?Sized> Transport for Arc<T> {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}
