//! The snapshot phase: which sessions each target user has, and so which sessions
//! must go away before the user is verified.

use std::collections::{HashMap, HashSet};

use crate::methods::list::ActiveSession;
use crate::transport::Transport;

use super::{Phase, ResetVerified};

/// A session's kind, as far as its device fields tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionKind {
    Mobile,
    Web,
}

/// Mobile or web (desktop and browsers), from `recent` then `created`; `None` when the
/// fields do not say.
pub(crate) fn session_kind(s: &ActiveSession) -> Option<SessionKind> {
    for device in [&s.recent, &s.created].into_iter().flatten() {
        let os = device.os.as_deref().unwrap_or("").to_ascii_lowercase();
        let hw = device
            .device_hardware
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        let mobile = ["ios", "ipados", "android"].iter().any(|m| os.contains(m))
            || ["iphone", "ipad", "android", "pixel"]
                .iter()
                .any(|m| hw.contains(m));
        if mobile {
            return Some(SessionKind::Mobile);
        }
        let web = ["mac", "os x", "windows", "linux", "chrome os", "cros"]
            .iter()
            .any(|w| os.contains(w));
        if web {
            return Some(SessionKind::Web);
        }
    }
    None
}

/// What a user had at the snapshot: the sessions whose going away verifies them.
#[derive(Debug, Default, Clone)]
pub(super) struct Watched {
    pub(super) sessions: Vec<u64>,
    /// Sessions of the kind asked for that the fields could not tell the kind of.
    pub(super) unknown_kind: usize,
    pub(super) team_id: Option<String>,
}

impl<T: Transport> ResetVerified<'_, T> {
    pub(super) fn snapshot(&mut self) {
        let kind = self.options.kind();
        let sessions = match self.walk() {
            Ok(s) => s,
            Err(e) => return self.stop(format!("the snapshot of active sessions failed: {e}")),
        };
        let targets: HashSet<&String> = self.targets.iter().collect();
        let mut watched: HashMap<String, Watched> = self
            .targets
            .iter()
            .map(|u| (u.clone(), Watched::default()))
            .collect();
        for s in sessions {
            if !targets.contains(&s.user_id) {
                continue;
            }
            let w = watched.get_mut(&s.user_id).expect("a target");
            w.team_id.get_or_insert_with(|| s.team_id.clone());
            match (kind, session_kind(&s)) {
                (None, _) => w.sessions.push(s.session_id),
                (Some(want), Some(got)) if want == got => w.sessions.push(s.session_id),
                (Some(_), Some(_)) => {}
                (Some(_), None) => {
                    w.unknown_kind += 1;
                    w.sessions.push(s.session_id);
                }
            }
        }
        self.watched = watched;
        self.phase = Phase::Enqueue;
    }
}
