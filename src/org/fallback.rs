//! The fallback phase: a single `reset` for each user the bulk job did not log out, one
//! a step; then the verification again.

use crate::bulk::{dooms_the_run, ResetHow};
use crate::methods::reset::ResetRequest;
use crate::transport::Transport;

use super::{request_id, verify, Phase, ResetVerified};

/// Single resets in a row given up on at the bound per call before the run stops (as
/// [`BulkOptions::max_consecutive_failures`](crate::BulkOptions::max_consecutive_failures)).
const MAX_GIVEN_UP_IN_A_ROW: u32 = 5;

impl<T: Transport> ResetVerified<'_, T> {
    pub(super) fn fall_back_next(&mut self) {
        let Some(at) = self.fallback.pop_front() else {
            self.round = verify::Round::start(&self.options);
            self.phase = Phase::FinalVerify;
            return;
        };
        let request = ResetRequest::scoped(
            self.users[at].id.as_str(),
            self.options.mobile_only,
            self.options.web_only,
        );
        let run_bound = self.run_bound_nearer();
        let patient = self.send(&request);
        let u = &mut self.users[at];
        u.attempts += patient.attempts;
        u.request_id = request_id(&patient.result);
        match patient.result {
            Ok(_) => {
                self.given_up_in_a_row = 0;
                u.accepted = true;
                u.how = ResetHow::Single;
                u.pending = true;
                self.pending.push(at);
            }
            Err(e) if patient.out_of_time => {
                // Given up on this user; the run goes on, unless the run's bound ran out
                // or the token's budget looks taken.
                let what = format!("the single reset of {}", u.id);
                let why = self.out_of_time(&what, run_bound);
                let detail = format!("{why}: the single reset was not sent through");
                self.finish(at, Err(e), ResetHow::Single, false, Some(detail));
                self.given_up_in_a_row += 1;
                if run_bound {
                    self.stop(why);
                } else if self.given_up_in_a_row >= MAX_GIVEN_UP_IN_A_ROW {
                    self.stop(format!(
                        "{} single resets in a row were still rate limited after the bound per call: the token's rate budget is taken",
                        self.given_up_in_a_row
                    ));
                }
            }
            Err(e) => {
                self.given_up_in_a_row = 0;
                let fatal = dooms_the_run(&e);
                let why = format!(
                    "{} failed with an error every later call would share: {e}",
                    u.id
                );
                self.finish(at, Err(e), ResetHow::Single, false, None);
                if fatal {
                    self.stop(why);
                }
            }
        }
    }
}
