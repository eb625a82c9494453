//! The verify phase: check the pending users until their snapshot sessions are gone or
//! the deadline passes.

use std::collections::HashSet;
use std::time::Instant;

use crate::bulk::ResetHow;
use crate::error::Error;
use crate::transport::Transport;

use super::ResetVerified;

/// How many pending users are asked one by one before a whole walk is made.
const SAMPLE: usize = 3;

impl<T: Transport> ResetVerified<'_, T> {
    /// Checks the pending users until all are verified or the deadline passes; the rest
    /// are returned.
    pub(super) fn verify(&mut self, how: ResetHow) -> Vec<String> {
        let started = Instant::now();
        let mut wait = self.options.first_check;
        while !self.pending.is_empty() {
            let left = self.options.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            self.client.sleep(wait.min(left));
            wait = (wait * 2).min(self.options.max_check_interval);
            let still = match self.still_active() {
                Ok(s) => s,
                Err(e) => {
                    self.stop(format!("checking the sessions failed: {e}"));
                    return Vec::new();
                }
            };
            let pending = std::mem::take(&mut self.pending);
            for user in pending {
                if still.contains(&user) {
                    self.pending.push(user);
                } else {
                    let detail = self.unknown_detail(&user);
                    self.finish(&user, Ok(()), how, true, detail);
                }
            }
        }
        std::mem::take(&mut self.pending)
    }

    /// The pending users some of whose watched sessions are still active: by a walk of
    /// the whole list, or by one filtered call per user when that is fewer calls.
    fn still_active(&mut self) -> Result<HashSet<String>, Error> {
        if self.pending.len() < self.last_walk_pages || self.pending.len() <= SAMPLE {
            let mut still = HashSet::new();
            for user in self.pending.clone() {
                if self.still_active_alone(&user)? {
                    still.insert(user);
                }
            }
            return Ok(still);
        }
        // A whole walk costs as many calls as the list has pages; first ask a few users
        // (a different few each round) whether the job has started to apply. While none
        // of them is logged out, the walk would find nothing and is skipped.
        let sample: Vec<String> = (0..SAMPLE)
            .map(|k| self.pending[(self.sample_at + k) % self.pending.len()].clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        self.sample_at = (self.sample_at + SAMPLE) % self.pending.len().max(1);
        let mut progress = false;
        for user in &sample {
            progress |= !self.still_active_alone(user)?;
        }
        if !progress {
            return Ok(self.pending.iter().cloned().collect());
        }
        let active: HashSet<(String, u64)> = self
            .walk()?
            .into_iter()
            .map(|s| (s.user_id, s.session_id))
            .collect();
        Ok(self
            .pending
            .iter()
            .filter(|user| {
                self.watched.get(*user).is_some_and(|w| {
                    w.sessions
                        .iter()
                        .any(|id| active.contains(&((*user).clone(), *id)))
                })
            })
            .cloned()
            .collect())
    }

    /// Whether some of `user`'s watched sessions are still active, by one filtered call.
    fn still_active_alone(&mut self, user: &str) -> Result<bool, Error> {
        let (team, ids) = match self.watched.get(user) {
            Some(w) => (
                w.team_id.clone().unwrap_or_default(),
                w.sessions.iter().copied().collect::<HashSet<u64>>(),
            ),
            None => return Ok(false),
        };
        Ok(self
            .sessions_of(user, &team)?
            .iter()
            .any(|s| ids.contains(&s.session_id)))
    }

    fn unknown_detail(&self, user: &str) -> Option<String> {
        let n = self.watched.get(user)?.unknown_kind;
        (n > 0).then(|| {
            format!("{n} session(s) whose kind the device fields do not tell were watched too")
        })
    }
}
