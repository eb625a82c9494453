//! Fetching pages for every phase: a whole walk of a list method riding out rate
//! limits ([`every_page`]), and the session list streamed page by page
//! ([`walk_sessions`]), whole or for one user on one workspace.

use std::time::Instant;

use crate::bulk::Patience;
use crate::client::Client;
use crate::error::{Error, ErrorCode};
use crate::meta::WithMeta;
use crate::method::{Paginated, SlackMethod};
use crate::methods::list::{ActiveSession, ListRequest};
use crate::paginate::{Walk, DEFAULT_MAX_KEPT_BYTES, DEFAULT_MAX_PAGES};
use crate::transport::Transport;

use super::{send, Spent};

/// Every page of a walk that starts at `first`, each fetched by `fetch` (which waits out
/// rate limits, unlike [`Client::pages`]): an answer the method calls "nothing to list"
/// ends it ([`Paginated::empty_page_on`]); a loop or a runaway walk is stopped as
/// [`Pages`](crate::Pages) stops it.
pub(super) fn every_page<R: Paginated>(
    first: R,
    mut fetch: impl FnMut(&R) -> Result<WithMeta<R::Response>, Error>,
) -> Result<Vec<R::Response>, Error> {
    let mut pages = Vec::new();
    let mut request = first;
    let mut walk = Walk::new(DEFAULT_MAX_PAGES, Some(DEFAULT_MAX_KEPT_BYTES));
    loop {
        let answer = match fetch(&request) {
            Ok(answer) => answer,
            Err(Error::Api(e)) => match R::empty_page_on(&e) {
                Some(empty) => {
                    pages.push(empty);
                    return Ok(pages);
                }
                None => return Err(Error::Api(e)),
            },
            Err(e) => return Err(e),
        };
        let next = walk.follow(&request, &answer)?;
        pages.push(answer.response);
        match next {
            Some(next) => request = next,
            None => return Ok(pages),
        }
    }
}

/// Sends `request` as a run does: rate limits waited out past the client's retries,
/// for at most [`VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL`](crate::VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL).
pub(super) fn patient<T: Transport, R: SlackMethod>(
    client: &Client<T>,
    request: &R,
) -> Result<WithMeta<R::Response>, Error> {
    let patience =
        Patience::waits(1000).for_at_most(Some(crate::VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL));
    client.send_patiently(request, patience, || {}).result
}

/// One page of a streamed walk of the session list, or the news that the walk started
/// over (its consumer forgets what the earlier pages said).
pub(super) enum Page {
    /// The sessions of a page, and its records that name a user but no usable session
    /// (the user still has something active).
    Sessions(Vec<ActiveSession>, Vec<ActiveSession>),
    Restart,
}

/// Walks `admin.users.session.list` from `first`, handing each page to `on_page` as it
/// arrives, so that nothing but what the consumer keeps stays in memory. A cursor that
/// Slack stops honouring mid-walk (`invalid_cursor`: it expired while the list changed)
/// restarts the walk, twice at most. `no_active_sessions` is an empty last page.
///
/// Returns the pages fetched, or `None` when `until` passed before the walk ended (the
/// pages seen so far do not tell who is gone): no call starts past it, and no
/// rate-limit wait that would end past it is started. A call that runs out of
/// `patience` (a page still rate limited at its bound) also ends the walk with `None`.
pub(super) fn walk_sessions<T: Transport>(
    client: &Client<T>,
    calls: &mut Spent,
    patience: Patience,
    first: &ListRequest,
    until: Option<Instant>,
    mut on_page: impl FnMut(Page),
) -> Result<Option<usize>, Error> {
    let mut restarts = 0;
    'walk: loop {
        let mut request = first.clone();
        // Nothing of a page is kept once handed on: pages and cursors are bounded, bytes
        // need not be.
        let mut walk = Walk::new(DEFAULT_MAX_PAGES, None);
        let mut pages = 0;
        loop {
            if until.is_some_and(|u| Instant::now() >= u) {
                return Ok(None);
            }
            let patience =
                patience.for_at_most(until.map(|u| u.saturating_duration_since(Instant::now())));
            let patient = send(client, calls, patience, &request);
            if patient.out_of_time {
                return Ok(None);
            }
            let answer = match patient.result {
                Ok(answer) => answer,
                Err(Error::Api(e)) => {
                    if let Some(empty) = ListRequest::empty_page_on(&e) {
                        on_page(Page::Sessions(empty.active_sessions, empty.without_id));
                        return Ok(Some(pages + 1));
                    }
                    if e.code() == &ErrorCode::InvalidCursor && restarts < 2 {
                        restarts += 1;
                        on_page(Page::Restart);
                        continue 'walk;
                    }
                    return Err(Error::Api(e));
                }
                Err(e) => return Err(e),
            };
            pages += 1;
            let next = walk.follow(&request, &answer)?;
            let page = answer.response;
            on_page(Page::Sessions(page.active_sessions, page.without_id));
            match next {
                Some(next) => request = next,
                None => return Ok(Some(pages)),
            }
        }
    }
}
