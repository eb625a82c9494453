//! Fetching pages for every phase: a whole walk of a list method riding out rate
//! limits ([`every_page`]), the org's active sessions now, and one user's.

use crate::bulk::Patience;
use crate::client::Client;
use crate::error::{Error, ErrorCode};
use crate::meta::WithMeta;
use crate::method::{Paginated, SlackMethod};
use crate::methods::list::{ActiveSession, ListRequest};
use crate::paginate::{Walk, DEFAULT_MAX_KEPT_BYTES, DEFAULT_MAX_PAGES};
use crate::transport::Transport;

use super::ResetVerified;

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

/// Sends `request` as a run does: rate limits waited out past the client's retries.
pub(super) fn patient<T: Transport, R: SlackMethod>(
    client: &Client<T>,
    request: &R,
) -> Result<WithMeta<R::Response>, Error> {
    client
        .send_patiently(request, Patience::waits(1000), || {})
        .result
}

impl<T: Transport> ResetVerified<'_, T> {
    /// Every active session of the org now. A cursor that Slack stops honouring mid-walk
    /// (`invalid_cursor`: it expired while the list changed) restarts the walk, twice at
    /// most.
    pub(super) fn walk(&mut self) -> Result<Vec<ActiveSession>, Error> {
        let mut restarts = 0;
        loop {
            match self.walk_once() {
                Err(Error::Api(e)) if e.code() == &ErrorCode::InvalidCursor && restarts < 2 => {
                    restarts += 1;
                }
                other => return other,
            }
        }
    }

    fn walk_once(&mut self) -> Result<Vec<ActiveSession>, Error> {
        let first = ListRequest::new().limit(ListRequest::MAX_LIMIT);
        let pages = every_page(first, |r| self.send(r))?;
        self.last_walk_pages = pages.len();
        Ok(pages.into_iter().flat_map(|p| p.active_sessions).collect())
    }

    /// The sessions of one user now, by a filtered list call.
    pub(super) fn sessions_of(
        &mut self,
        user: &str,
        team: &str,
    ) -> Result<Vec<ActiveSession>, Error> {
        let first = ListRequest::new()
            .user_in_team(user, team)
            .limit(ListRequest::MAX_LIMIT);
        let pages = every_page(first, |r| self.send(r))?;
        Ok(pages.into_iter().flat_map(|p| p.active_sessions).collect())
    }
}
