//! The fallback phase: a single `reset` for each user the bulk job did not log out, one
//! a step; then the verification again.

use crate::bulk::{dooms_the_run, ResetHow};
use crate::methods::reset::ResetRequest;
use crate::transport::Transport;

use super::{request_id, verify, Phase, ResetVerified};

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
        let patient = self.send(&request);
        let u = &mut self.users[at];
        u.attempts += patient.attempts;
        u.request_id = request_id(&patient.result);
        match patient.result {
            Ok(_) => {
                u.accepted = true;
                u.how = ResetHow::Single;
                u.pending = true;
                self.pending.push(at);
            }
            Err(e) => {
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
