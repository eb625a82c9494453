//! The fallback phase: a single `reset` for each user the bulk job did not log out.

use crate::bulk::{dooms_the_run, ResetHow};
use crate::methods::reset::ResetRequest;
use crate::transport::Transport;

use super::{Phase, ResetVerified};

impl<T: Transport> ResetVerified<'_, T> {
    pub(super) fn fall_back(&mut self) {
        while let Some(user) = self.fallback.pop_front() {
            let request = ResetRequest::scoped(
                user.as_str(),
                self.options.mobile_only,
                self.options.web_only,
            );
            let result = self.send(&request);
            let calls = self.last_attempts;
            let request_id = match &result {
                Ok(a) => a.meta.request_id().map(str::to_owned),
                Err(e) => e.request_id().map(str::to_owned),
            };
            let before = self.calls.get(&user).map_or(0, |c| c.1);
            self.calls
                .insert(user.clone(), (request_id, before + calls));
            match result {
                Ok(_) => self.pending.push(user),
                Err(e) => {
                    let fatal = dooms_the_run(&e);
                    let why =
                        format!("{user} failed with an error every later call would share: {e}");
                    self.finish(&user, Err(e), ResetHow::Single, false, None);
                    if fatal {
                        self.fallback.clear();
                        return self.stop(why);
                    }
                }
            }
        }
        self.phase = Phase::FinalVerify;
    }
}
