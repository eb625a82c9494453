//! [`Pages`]: an iterator over every page of a [`Paginated`] method.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

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
/// [`DEFAULT_MAX_PAGES`](Self::DEFAULT_MAX_PAGES)) or, when set,
/// [`max_bytes`](Self::max_bytes) bytes of answers.
///
/// A walk holds little, whatever the server sends: pages are yielded one at a time (the
/// caller decides what to keep), each cursor seen is remembered as a 64-bit fingerprint
/// (80 KB for 10,000 pages), and a cursor longer than
/// [`MAX_CURSOR_BYTES`](Self::MAX_CURSOR_BYTES) ends the walk (Slack's are tens of
/// characters; the next request would carry it).
#[must_use = "iterators do nothing unless consumed"]
pub struct Pages<'a, T, R> {
    client: &'a Client<T>,
    next: Option<R>,
    walk: Walk,
}

/// The most pages a walk fetches unless told otherwise.
pub(crate) const DEFAULT_MAX_PAGES: usize = 10_000;

/// The longest cursor a walk follows.
pub(crate) const MAX_CURSOR_BYTES: usize = 4096;

/// The most bytes of answers a walk that keeps its pages reads (the whole-org engine's):
/// 256 MiB, about 750,000 sessions of `admin.users.session.list` or 500,000 users of
/// `admin.users.list`; a hostile server sending 1 MiB pages is stopped after 256 of them.
pub(crate) const DEFAULT_MAX_KEPT_BYTES: u64 = 256 << 20;

impl<'a, T: Transport, R: Paginated> Pages<'a, T, R> {
    /// The most pages a walk fetches unless told otherwise: 10,000 (ten million sessions
    /// at `list`'s 1,000 a page).
    pub const DEFAULT_MAX_PAGES: usize = DEFAULT_MAX_PAGES;

    /// The longest `next_cursor` a walk follows: 4,096 bytes.
    pub const MAX_CURSOR_BYTES: usize = MAX_CURSOR_BYTES;

    pub(crate) fn new(client: &'a Client<T>, first: R) -> Self {
        Pages {
            client,
            next: Some(first),
            walk: Walk::new(DEFAULT_MAX_PAGES, None),
        }
    }

    /// Ends the walk with an error after `n` pages (at least 1) instead of fetching more.
    pub fn max_pages(mut self, n: usize) -> Self {
        self.walk.max_pages = n.max(1);
        self
    }

    /// Ends the walk with an error once its answers add up to more than `n` bytes
    /// (default: no bound, since the walk keeps nothing of a page once yielded; set it
    /// when you keep every page).
    pub fn max_bytes(mut self, n: u64) -> Self {
        self.walk.max_bytes = Some(n);
        self
    }

    /// How many pages were fetched so far.
    pub fn pages_fetched(&self) -> usize {
        self.walk.pages
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
        let answer = match self.client.send_with_meta(&request) {
            Ok(answer) => answer,
            Err(Error::Api(e)) => {
                self.walk.pages += 1;
                return Some(R::empty_page_on(&e).ok_or(Error::Api(e)));
            }
            Err(e) => {
                self.walk.pages += 1;
                return Some(Err(e));
            }
        };
        match self.walk.follow(&request, &answer) {
            Ok(next) => self.next = next,
            Err(e) => return Some(Err(e)),
        }
        Some(Ok(answer.response))
    }
}

/// The guard every walk of the crate goes through ([`Pages`] and the whole-org
/// engine's): it counts pages and bytes, remembers each cursor as a fingerprint, and
/// says what to fetch next.
///
/// ```ignore
/// let mut walk = Walk::new(DEFAULT_MAX_PAGES, Some(DEFAULT_MAX_KEPT_BYTES));
/// loop {
///     let answer = fetch(&request)?;
///     let next = walk.follow(&request, &answer)?; // counts this page
///     keep(answer.response);
///     match next { Some(n) => request = n, None => break }
/// }
/// ```
#[derive(Debug)]
pub(crate) struct Walk {
    seen: HashSet<u64>,
    hasher: RandomState,
    pages: usize,
    bytes: u64,
    max_pages: usize,
    max_bytes: Option<u64>,
}

impl Walk {
    /// A walk of at most `max_pages` pages and, when set, `max_bytes` bytes of answers.
    pub(crate) fn new(max_pages: usize, max_bytes: Option<u64>) -> Self {
        Walk {
            seen: HashSet::new(),
            hasher: RandomState::new(),
            pages: 0,
            bytes: 0,
            max_pages: max_pages.max(1),
            max_bytes,
        }
    }

    /// Counts `answer` (the answer to `request`) as one more page, and gives the request
    /// for the page after it: `None` on the last page, or the error that ends a walk
    /// that would loop (a cursor already seen), run past its pages or bytes, or follow a
    /// cursor too long to be Slack's.
    pub(crate) fn follow<R: Paginated>(
        &mut self,
        request: &R,
        answer: &WithMeta<R::Response>,
    ) -> Result<Option<R>, Error> {
        self.pages += 1;
        self.bytes = self.bytes.saturating_add(answer.meta.body_bytes() as u64);
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
        if cursor.len() > MAX_CURSOR_BYTES {
            return Err(stop(
                "Slack sent a next_cursor over 4,096 bytes (Slack's are tens of characters); stopping instead of sending it back",
            ));
        }
        if !self.seen.insert(self.hasher.hash_one(cursor)) {
            return Err(stop(
                "Slack sent a next_cursor it had already sent in this walk; stopping instead of looping",
            ));
        }
        if self.pages >= self.max_pages {
            return Err(stop(
                "the walk reached its page limit (Pages::max_pages) with more pages announced",
            ));
        }
        if self.max_bytes.is_some_and(|max| self.bytes > max) {
            return Err(stop(
                "the walk's answers passed its byte limit (256 MiB for a walk that keeps its pages; Pages::max_bytes) with more pages announced",
            ));
        }
        Ok(Some(request.with_cursor(cursor)))
    }
}

impl<T, R> fmt::Debug for Pages<'_, T, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages")
            .field("done", &self.next.is_none())
            .field("pages", &self.walk.pages)
            .field("max_pages", &self.walk.max_pages)
            .field("max_bytes", &self.walk.max_bytes)
            .finish_non_exhaustive()
    }
}
