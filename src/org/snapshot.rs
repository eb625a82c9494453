//! The snapshot phase: which sessions each target user has (on every workspace), and so
//! which sessions must go away before the user is verified; and, for a whole-org run,
//! who the targets are.

use std::collections::HashMap;

use crate::methods::list::{ActiveSession, DeviceInfo, ListRequest};
use crate::methods::reset_bulk::ResetBulkRequest;
use crate::transport::Transport;

use super::walk::{walk_sessions, Page};
use super::{Phase, ResetVerified, Scope, UserState};

/// What the device fields of a session prove about its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Kind {
    /// Every device names exactly a desktop operating system Slack reports (`Mac OS X`,
    /// `OS X`, `macOS`, `Mac OS`, `Windows`) and a hardware field that is absent or in a
    /// known desktop form: the desktop app or a browser, a web session.
    CertainlyWeb,
    /// Anything else: a phone's fields (`Android`, `Pixel 8`, `iOS`) fit the mobile app
    /// and a phone's browser alike; `Linux` is also what an Android phone may report;
    /// missing or unknown fields prove nothing. What the fields said, for the report.
    Unproven(String),
}

/// The operating systems that prove a desktop, compared whole (case aside). `Linux` is
/// not one: Android is Linux, and a phone reporting `Linux` was once left out of a
/// mobile-only reset.
const DESKTOP_SYSTEMS: [&str; 5] = ["mac os x", "os x", "macos", "mac os", "windows"];
/// A hardware field proves nothing against a desktop only when absent or in one of these
/// desktop forms (and naming no phone).
const DESKTOP_HARDWARE: [&str; 9] = [
    "macbook",
    "imac",
    "mac mini",
    "mac pro",
    "mac studio",
    "intel",
    "amd",
    "desktop",
    "x86",
];
const PHONE_WORDS: [&str; 13] = [
    "ios", "ipados", "iphone", "ipad", "android", "pixel", "phone", "mobile", "tablet", "galaxy",
    "samsung", "sm-", "arm",
];

/// A session's kind, as far as its device fields prove it: certainly web only under a
/// strict allow-list (every device's operating system exactly a desktop one, every
/// hardware field absent or a desktop form, no field naming a phone). Free text can
/// mislead (a phone's browser reports the phone), so it never proves a session mobile.
pub(super) fn kind_of(s: &ActiveSession) -> Kind {
    let devices: Vec<&DeviceInfo> = [&s.recent, &s.created].into_iter().flatten().collect();
    let lower = |f: &Option<String>| f.as_deref().unwrap_or("").trim().to_ascii_lowercase();
    // A device object with neither field (only an IP) says nothing either way.
    let named: Vec<(String, String)> = devices
        .iter()
        .map(|d| (lower(&d.os), lower(&d.device_hardware)))
        .filter(|(os, hw)| !os.is_empty() || !hw.is_empty())
        .collect();
    let certain = !named.is_empty()
        && named.iter().all(|(os, hw)| {
            let phone = PHONE_WORDS.iter().any(|w| os.contains(w) || hw.contains(w));
            !phone
                && DESKTOP_SYSTEMS.contains(&os.as_str())
                && (hw.is_empty() || DESKTOP_HARDWARE.iter().any(|w| hw.contains(w)))
        });
    if certain {
        return Kind::CertainlyWeb;
    }
    let said: Vec<String> = devices
        .iter()
        .flat_map(|d| [&d.os, &d.device_hardware])
        .filter_map(|f| f.as_deref().filter(|v| !v.trim().is_empty()))
        .map(|v| v.chars().take(40).collect::<String>())
        .collect();
    let mut said = said;
    said.dedup();
    Kind::Unproven(if said.is_empty() {
        "no device fields".to_owned()
    } else {
        said.join(" / ")
    })
}

/// Whether the device fields prove `s` a web session (see [`kind_of`]): what
/// [`ActiveSession::is_mobile`] answers.
pub(crate) fn certainly_web(s: &ActiveSession) -> bool {
    kind_of(s) == Kind::CertainlyWeb
}

impl<T: Transport> ResetVerified<'_, T> {
    /// One walk of the whole session list, page by page: each target user's sessions (a
    /// whole-org run makes every user it lists a target, minus those it leaves out).
    pub(super) fn snapshot(&mut self) {
        let scope = self.options.scope();
        let patience = self.patience();
        let until = self.run_deadline();
        let run_bound = self.run_bound_nearer();
        let first = ListRequest::new().limit(ListRequest::MAX_LIMIT);
        let Self {
            client,
            calls_by_method,
            users,
            index,
            teams,
            org,
            ..
        } = self;
        let mut team_index: HashMap<String, u32> = teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let walked = walk_sessions(client, calls_by_method, patience, &first, until, |page| {
            let (sessions, without_id) = match page {
                Page::Sessions(s, w) => (s, w),
                Page::Restart => {
                    for u in users.iter_mut() {
                        let id = std::mem::take(&mut u.id);
                        *u = UserState::new(id);
                    }
                    return;
                }
            };
            let named = sessions.into_iter().map(|s| (s, true));
            for (s, has_id) in named.chain(without_id.into_iter().map(|s| (s, false))) {
                if s.user_id.is_empty() {
                    // Nobody's record (the decoder skips these): never an empty target.
                    continue;
                }
                let at = match index.get(&s.user_id) {
                    Some(&at) => at,
                    None => {
                        let Some(org) = org.as_mut() else { continue };
                        if Self::org_leaves_out(org, &s.user_id) {
                            continue;
                        }
                        let at = users.len();
                        index.insert(s.user_id.clone(), at);
                        users.push(UserState::new(s.user_id.clone()));
                        at
                    }
                };
                let team = match team_index.get(&s.team_id) {
                    Some(&t) => t,
                    None => {
                        let t = teams.len() as u32;
                        teams.push(s.team_id.clone());
                        team_index.insert(s.team_id.clone(), t);
                        t
                    }
                };
                let u = &mut users[at];
                u.listed = true;
                let kind = match scope {
                    Scope::All => None,
                    _ => Some(kind_of(&s)),
                };
                let unproven = match (scope, kind) {
                    (Scope::Mobile, Some(Kind::CertainlyWeb)) => {
                        u.left_out += 1;
                        continue;
                    }
                    (_, Some(Kind::Unproven(_))) if !has_id => true,
                    (_, Some(Kind::Unproven(said))) => {
                        u.unproven += 1;
                        if u.unproven_example.is_none() {
                            u.unproven_example =
                                Some(format!("session {} ({said})", s.session_id).into());
                        }
                        true
                    }
                    _ => false,
                };
                if !has_id {
                    // Listed without a usable id: the user has something active that no
                    // id names; the reset (by user id) ends it, and the checks watch
                    // for any such record of the user.
                    if !u.without_id.contains(&team) {
                        u.without_id.push(team);
                    }
                    u.without_id_count += 1;
                    continue;
                }
                if !u
                    .sessions
                    .iter()
                    .any(|w| w.1 == s.session_id && w.0 == team)
                {
                    u.sessions.push((team, s.session_id, unproven));
                }
            }
        });
        let failed = match walked {
            Ok(Some(_)) => None,
            Ok(None) => Some(format!(
                "the snapshot of active sessions is incomplete: {}",
                self.out_of_time("a page of admin.users.session.list", run_bound)
            )),
            Err(e) => Some(format!("the snapshot of active sessions failed: {e}")),
        };
        if let Some(why) = failed {
            if self.org.is_some() {
                // A whole-org run's users are who a complete snapshot names: a part of
                // one is nobody's list.
                self.users.clear();
                self.index.clear();
            }
            return self.stop(why);
        }
        self.snapshot_request = self.calls_by_method.last_request.clone();
        if let Some(org) = &mut self.org {
            org.found.users = self.users.iter().map(|u| u.id.clone()).collect();
        }
        // The users the snapshot lists first, then the others (stale ids are among them,
        // and a chunk Slack refuses for them then costs no clean user anything).
        let (listed, unlisted): (Vec<usize>, Vec<usize>) =
            (0..self.users.len()).partition(|&at| self.users[at].listed);
        for group in [listed, unlisted] {
            for chunk in group.chunks(ResetBulkRequest::MAX_USERS) {
                let top = self.chunks.len();
                self.chunks.push_back((chunk.to_vec(), top));
            }
        }
        self.phase = Phase::Enqueue;
    }
}
