//! The enqueue phase: `resetBulk` in chunks of 1,000, one call a step. A chunk Slack
//! refuses whole because of some of its users is split in halves and resent until the
//! refused users stand alone.

use std::collections::HashSet;

use crate::bulk::{dooms_the_run, ResetHow};
use crate::error::{ApiError, Error, ErrorCode};
use crate::method::SlackMethod;
use crate::methods::reset_bulk::ResetBulkRequest;
use crate::transport::Transport;

use super::{request_id, verify, Phase, ResetVerified};

/// The most calls spent isolating refused users in one chunk of 1,000: enough for 10
/// refused users (2·10·log2(1000) ≈ 200). A code that refuses every part of a chunk
/// (one that is about the whole org after all) costs no more than this; the users of
/// the parts still refused then get the code without being isolated.
const MAX_SPLIT_CALLS: u32 = 200;

/// Codes with which Slack refuses a whole resetBulk call because of some of its users.
fn refuses_for_some_users(code: &ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::UserNotFound
            | ErrorCode::CannotResetBot
            | ErrorCode::CannotResetPrimaryOwner
            | ErrorCode::SessionResetNotAllowed
            | ErrorCode::RestrictedAction
            | ErrorCode::Other(_)
    )
}

impl<T: Transport> ResetVerified<'_, T> {
    /// Sends the next chunk (or part of a refused chunk); when none is left, starts the
    /// verification.
    pub(super) fn enqueue_next(&mut self) {
        let Some((chunk, top)) = self.chunks.pop_front() else {
            self.round = verify::Round::start(&self.options);
            self.phase = Phase::Verify;
            return;
        };
        let request = ResetBulkRequest::scoped(
            chunk.iter().map(|&at| self.users[at].id.clone()),
            self.options.mobile_only,
            self.options.web_only,
        );
        let run_bound = self.run_bound_nearer();
        let patient = self.send(&request);
        let rid = request_id(&patient.result);
        for &at in &chunk {
            let u = &mut self.users[at];
            u.attempts += patient.attempts;
            u.request_id.clone_from(&rid);
        }
        if let (
            true,
            Err(Error::RateLimited {
                retry_after, meta, ..
            }),
        ) = (patient.out_of_time, &patient.result)
        {
            // Slack never took the call: nothing was reset for these users. A resetBulk
            // rate limited this long leaves no budget for the rest of the run.
            let why = self.out_of_time("resetBulk", run_bound);
            let detail = format!("{why}: nothing was reset for this user");
            for &at in &chunk {
                let e = Error::RateLimited {
                    retry_after: *retry_after,
                    method: ResetBulkRequest::NAME,
                    meta: meta.clone(),
                };
                self.finish(at, Err(e), ResetHow::Bulk, false, Some(detail.clone()));
            }
            return self.stop(why);
        }
        match patient.result {
            Ok(_) => self.accepted(&chunk, &HashSet::new()),
            Err(Error::Api(e)) if e.code() == &ErrorCode::FailedForSomeUsers => {
                let failed = self.named_users(&e, &chunk);
                self.accepted(&chunk, &failed);
            }
            Err(Error::Api(e)) if refuses_for_some_users(e.code()) => self.refused(chunk, top, e),
            Err(e) if dooms_the_run(&e) => {
                self.stop(format!(
                    "resetBulk failed with an error every later call would share: {e}"
                ));
            }
            // A passing failure that outlasted the retries: single resets for the chunk.
            Err(_) => self.fallback.extend(chunk),
        }
    }

    /// Slack took the chunk: its users wait to be verified, those with nothing to watch
    /// are verified now; `failed` (named by `failed_for_some_users`) fall back.
    fn accepted(&mut self, chunk: &[usize], failed: &HashSet<usize>) {
        for &at in chunk {
            if failed.contains(&at) {
                self.fallback.push_back(at);
                continue;
            }
            let u = &mut self.users[at];
            u.accepted = true;
            u.how = ResetHow::Bulk;
            if u.sessions.is_empty() && u.without_id.is_empty() {
                let detail = match (u.listed, u.left_out) {
                    (false, _) => "no active session at the snapshot".to_owned(),
                    (true, n) => format!(
                        "no active session of this kind at the snapshot ({n} of the other kind left out)"
                    ),
                };
                // The evidence is the snapshot, not the resetBulk call.
                self.users[at].request_id.clone_from(&self.snapshot_request);
                self.finish(at, Ok(()), ResetHow::NoSession, true, Some(detail));
            } else {
                u.pending = true;
                self.pending.push(at);
            }
        }
    }

    /// Slack refused the whole call because of some of its users: a user alone gets the
    /// code; a larger part is split in halves, sent first.
    fn refused(&mut self, chunk: Vec<usize>, top: usize, e: ApiError) {
        if chunk.len() == 1 {
            let detail = format!("resetBulk refused this user: {}", e.code());
            return self.finish(
                chunk[0],
                Err(Error::Api(e)),
                ResetHow::Bulk,
                false,
                Some(detail),
            );
        }
        let spent = self.split_calls.entry(top).or_default();
        if *spent >= MAX_SPLIT_CALLS {
            let detail = format!(
                "resetBulk refused a part of {} users with {} and the refused users were not isolated after {MAX_SPLIT_CALLS} calls: nothing was reset for them",
                chunk.len(),
                e.code()
            );
            for at in chunk {
                self.finish(
                    at,
                    Err(Error::Api(e.clone())),
                    ResetHow::Bulk,
                    false,
                    Some(detail.clone()),
                );
            }
            return;
        }
        *spent += 2;
        let (first, second) = chunk.split_at(chunk.len() / 2);
        self.chunks.push_front((second.to_vec(), top));
        self.chunks.push_front((first.to_vec(), top));
    }

    /// The users of `chunk` that Slack's messages name (`failed_for_some_users`); all of
    /// them when it names none we know.
    fn named_users(&self, error: &ApiError, chunk: &[usize]) -> HashSet<usize> {
        let named: HashSet<usize> = chunk
            .iter()
            .copied()
            .filter(|&at| {
                let id = self.users[at].id.as_str();
                error.messages().iter().any(|m| {
                    m.split(|c: char| !c.is_ascii_alphanumeric())
                        .any(|word| word == id)
                })
            })
            .collect();
        if named.is_empty() {
            chunk.iter().copied().collect()
        } else {
            named
        }
    }
}
