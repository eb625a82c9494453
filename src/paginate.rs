//! [`Pages`]: an iterator over every page of a [`Paginated`] method.

use std::collections::HashSet;
use std::fmt;

use crate::client::Client;
use crate::error::Error;
use crate::meta::WithMeta;
use crate::method::Paginated;
use crate::transport::Transport;

/// Walks the pages of a [`Paginated`] request: from [`Client::pages`].
///
/// Each item is one page, or the error that stopped the walk: an error is yielded as an
/// `Err` item (after the client's retries), and the iterator ends after it, so a failure
/// mid-walk is never mistaken for the last page. The walk ends normally when Slack sends
/// no cursor or an empty one, or with an answer the method says means "nothing to list"
/// ([`Paginated::empty_page_on`]: `no_active_sessions` for `list`), which becomes an
/// empty last page.
///
/// A walk cannot loop: a cursor Slack already sent in this walk (not only the previous
/// one: a server alternating `a → b → a` is caught too) ends it with [`Error::Decode`],
/// and so does going past [`max_pages`](Self::max_pages) pages (default
/// [`DEFAULT_MAX_PAGES`](Self::DEFAULT_MAX_PAGES)).
#[must_use = "iterators do nothing unless consumed"]
pub struct Pages<'a, T, R> {
    client: &'a Client<T>,
    next: Option<R>,
    seen: HashSet<String>,
    pages: usize,
    max_pages: usize,
}

/// The most pages a walk fetches unless told otherwise.
pub(crate) const DEFAULT_MAX_PAGES: usize = 10_000;

impl<'a, T: Transport, R: Paginated> Pages<'a, T, R> {
    /// The most pages a walk fetches unless told otherwise: 10,000 (ten million sessions
    /// at `list`'s 1,000 a page).
    pub const DEFAULT_MAX_PAGES: usize = DEFAULT_MAX_PAGES;

    pub(crate) fn new(client: &'a Client<T>, first: R) -> Self {
        Pages {
            client,
            next: Some(first),
            seen: HashSet::new(),
            pages: 0,
            max_pages: DEFAULT_MAX_PAGES,
        }
    }

    /// Ends the walk with an error after `n` pages (at least 1) instead of fetching more.
    pub fn max_pages(mut self, n: usize) -> Self {
        self.max_pages = n.max(1);
        self
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> usize {
        self.pages
    }
}

impl<T: Transport> Client<T> {
    /// Walks every page of a [`Paginated`] method, following
    /// `response_metadata.next_cursor`; see [`Pages`].
    pub fn pages<R: Paginated>(&self, request: &R) -> Pages<'_, T, R> {
        Pages::new(self, request.clone())
    }
}

impl<T: Transport, R: Paginated> Iterator for Pages<'_, T, R> {
    type Item = Result<R::Response, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let request = self.next.take()?;
        self.pages += 1;
        let answer = match self.client.send_with_meta(&request) {
            Ok(answer) => answer,
            Err(Error::Api(e)) => return Some(R::empty_page_on(&e).ok_or(Error::Api(e))),
            Err(e) => return Some(Err(e)),
        };
        match follow(
            &request,
            &answer,
            &mut self.seen,
            self.pages,
            self.max_pages,
        ) {
            Ok(next) => self.next = next,
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(answer.response))
    }
}

/// The request for the page after `answer`, `None` on the last page, or the error that
/// ends a walk that would loop (a cursor already in `seen`) or run past `max_pages`.
/// Every walk of the crate goes through it: [`Pages`] and the whole-org engine's.
pub(crate) fn follow<R: Paginated>(
    request: &R,
    answer: &WithMeta<R::Response>,
    seen: &mut HashSet<String>,
    pages: usize,
    max_pages: usize,
) -> Result<Option<R>, Error> {
    let Some(cursor) = R::next_cursor(&answer.response).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let stop = |reason: &'static str| Error::Decode {
        method: R::NAME,
        status: answer.meta.status(),
        target: std::any::type_name::<R::Response>(),
        reason,
        body_snippet: cursor.chars().take(64).collect(),
        source: None,
        meta: Box::new(answer.meta.clone()),
    };
    if seen.contains(cursor) {
        return Err(stop(
            "Slack sent a next_cursor it had already sent in this walk; stopping instead of looping",
        ));
    }
    if pages >= max_pages {
        return Err(stop(
            "the walk reached its page limit (Pages::max_pages) with more pages announced",
        ));
    }
    seen.insert(cursor.to_owned());
    Ok(Some(request.with_cursor(cursor)))
}

impl<T, R> fmt::Debug for Pages<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("done", &self.next.is_none())
            .field("pages", &self.pages)
            .field("max_pages", &self.max_pages)
            .finish_non_exhaustive()
    }
}
