//! [`Pages`]: an iterator over every page of a [`Paginated`] method.

use std::fmt;

use crate::client::Client;
use crate::error::Error;
use crate::method::Paginated;
use crate::transport::Transport;

/// Walks the pages of a [`Paginated`] request: from [`Client::pages`].
///
/// Each item is one page, or the error that stopped the walk: an error is yielded as an
/// `Err` item (after the client's retries), and the iterator ends after it, so a failure
/// mid-walk is never mistaken for the last page. The walk ends normally when Slack sends
/// no cursor or an empty one, or with an answer the method says means "nothing to list"
/// ([`Paginated::empty_page_on`]: `no_active_sessions` for `list`), which becomes an
/// empty last page. A cursor Slack repeats ends the walk with
/// [`Error::Decode`] rather than looping forever.
#[must_use = "iterators do nothing unless consumed"]
pub struct Pages<'a, T, R> {
    client: &'a Client<T>,
    next: Option<R>,
    last_cursor: Option<String>,
}

impl<'a, T: Transport, R: Paginated> Pages<'a, T, R> {
    pub(crate) fn new(client: &'a Client<T>, first: R) -> Self {
        Pages {
            client,
            next: Some(first),
            last_cursor: None,
        }
    }
}

impl<T: Transport, R: Paginated> Iterator for Pages<'_, T, R> {
    type Item = Result<R::Response, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let request = self.next.take()?;
        let answer = match self.client.send_with_meta(&request) {
            Ok(answer) => answer,
            Err(Error::Api(e)) => return Some(R::empty_page_on(&e).ok_or(Error::Api(e))),
            Err(e) => return Some(Err(e)),
        };
        match R::next_cursor(&answer.response).filter(|c| !c.is_empty()) {
            Some(cursor) if self.last_cursor.as_deref() == Some(cursor) => {
                return Some(Err(Error::Decode {
                    method: R::NAME,
                    status: answer.meta.status(),
                    target: std::any::type_name::<R::Response>(),
                    reason: "Slack sent the same next_cursor twice; stopping instead of looping",
                    body_snippet: cursor.chars().take(64).collect(),
                    source: None,
                    meta: Box::new(answer.meta),
                }));
            }
            Some(cursor) => {
                self.next = Some(request.with_cursor(cursor));
                self.last_cursor = Some(cursor.to_owned());
            }
            None => {}
        }
        Some(Ok(answer.response))
    }
}

impl<T, R> fmt::Debug for Pages<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("done", &self.next.is_none())
            .field("last_cursor", &self.last_cursor)
            .finish()
    }
}
