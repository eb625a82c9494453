//! The enqueue phase: `resetBulk` in chunks of 1,000.

use std::collections::HashSet;

use crate::bulk::{dooms_the_run, ResetHow};
use crate::error::{ApiError, Error, ErrorCode};
use crate::methods::reset_bulk::ResetBulkRequest;
use crate::transport::Transport;

use super::{Phase, ResetVerified};

impl<T: Transport> ResetVerified<'_, T> {
    pub(super) fn enqueue(&mut self) {
        let chunks: Vec<Vec<String>> = self
            .targets
            .chunks(ResetBulkRequest::MAX_USERS)
            .map(<[String]>::to_vec)
            .collect();
        for chunk in chunks {
            let request = ResetBulkRequest::scoped(
                chunk.iter().cloned(),
                self.options.mobile_only,
                self.options.web_only,
            );
            let (failed, result): (HashSet<String>, Result<Option<String>, Error>) =
                match self.send(&request) {
                    Ok(answer) => (
                        HashSet::new(),
                        Ok(answer.meta.request_id().map(str::to_owned)),
                    ),
                    Err(Error::Api(e)) if e.code() == &ErrorCode::FailedForSomeUsers => (
                        named_users(&e, &chunk),
                        Ok(e.meta().request_id().map(str::to_owned)),
                    ),
                    Err(e) => (chunk.iter().cloned().collect(), Err(e)),
                };
            if let Err(e) = &result {
                if dooms_the_run(e) {
                    return self.stop(format!(
                        "resetBulk failed with an error every later call would share: {e}"
                    ));
                }
            }
            let request_id = result.ok().flatten();
            // Every attempt of the chunk's call carried each of its users.
            let attempts = self.last_attempts;
            for user in chunk {
                self.calls
                    .insert(user.clone(), (request_id.clone(), attempts));
                if failed.contains(&user) {
                    self.fallback.push_back(user);
                } else {
                    self.pending.push(user);
                }
            }
        }
        // Users with nothing to watch are verified by the enqueue alone.
        let pending = std::mem::take(&mut self.pending);
        for user in pending {
            let w = self.watched.get(&user).cloned().unwrap_or_default();
            if w.sessions.is_empty() {
                self.finish(
                    &user,
                    Ok(()),
                    ResetHow::Bulk,
                    true,
                    Some("no active session at the snapshot".into()),
                );
            } else {
                self.pending.push(user);
            }
        }
        self.phase = Phase::Verify;
    }
}

/// The users of `chunk` that Slack's messages name (`failed_for_some_users`).
fn named_users(error: &ApiError, chunk: &[String]) -> HashSet<String> {
    let named: HashSet<String> = chunk
        .iter()
        .filter(|u| {
            error.messages().iter().any(|m| {
                m.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|word| word == u.as_str())
            })
        })
        .cloned()
        .collect();
    // Slack said some failed but named none we know: trust none of the chunk.
    if named.is_empty() {
        chunk.iter().cloned().collect()
    } else {
        named
    }
}
