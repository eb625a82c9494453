//! Guard rails for writes that touch many: show the plan (who, how many, which methods,
//! how many calls, how long), then ask on a terminal or need `--yes` without one.
//!
//! An org-wide logout typed by accident is an incident of its own. A write that touches
//! more than one user or session (or `--all`, whatever it finds) goes ahead only when:
//! stdin and stderr are terminals and the person types the number of users (or `yes`);
//! or `--yes` was given. Otherwise it exits 2 before any write.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use super::{say, Failure};

/// What a write would do, shown before it is done.
#[derive(Debug)]
pub(crate) struct Plan {
    /// What is done, e.g. "invalidate 3 session(s) of 2 user(s)".
    pub(crate) action: String,
    /// How many users are touched.
    pub(crate) users: usize,
    /// How many sessions are touched, when the write names sessions.
    pub(crate) sessions: Option<usize>,
    /// Every affected id (users, or sessions as `user team session`).
    pub(crate) ids: Vec<String>,
    /// The methods that will be called.
    pub(crate) methods: Vec<&'static str>,
    /// How many calls, at the least (writes and the checks after them).
    pub(crate) calls: usize,
    /// Further lines to say (resumes, cheaper ways).
    pub(crate) notes: Vec<String>,
    /// Ask even for one user (`--all`: what it finds is not what was typed).
    pub(crate) always_ask: bool,
}

/// How many ids the plan shows when it is not a dry run.
const SAMPLE: usize = 5;

/// Tier 2's budget, which every write of this family has: about 20 calls a minute.
const TIER2_PER_MINUTE: usize = 20;

impl Plan {
    /// Whether the write needs a confirmation.
    pub(crate) fn touches_many(&self) -> bool {
        self.always_ask || self.users > 1 || self.sessions.is_some_and(|s| s > 1)
    }

    /// The estimated time at Tier 2's pace, about 20 calls a minute.
    pub(crate) fn estimate(&self) -> Duration {
        Duration::from_secs((self.calls * 60 / TIER2_PER_MINUTE) as u64)
    }

    /// The plan, as lines for stderr; with `every_id`, every affected id, else a sample.
    pub(crate) fn lines(&self, every_id: bool) -> Vec<String> {
        let sessions = self
            .sessions
            .map_or_else(String::new, |s| format!(", {s} session(s)"));
        let shown = if every_id {
            self.ids.len()
        } else {
            SAMPLE.min(self.ids.len())
        };
        let more = self.ids.len() - shown;
        let mut ids = self.ids[..shown].join(", ");
        if more > 0 {
            ids.push_str(&format!(" and {more} more"));
        }
        let mut lines = vec![
            format!("plan: {}", self.action),
            format!("  touches: {} user(s){sessions}: {ids}", self.users),
            format!("  methods: {}", self.methods.join(", ")),
            format!(
                "  calls: about {} (Tier 2, about {TIER2_PER_MINUTE} a minute): {}",
                self.calls,
                minutes(self.estimate())
            ),
        ];
        lines.extend(self.notes.iter().map(|n| format!("  note: {n}")));
        lines
    }
}

fn minutes(d: Duration) -> String {
    if d < Duration::from_secs(60) {
        "under a minute".to_owned()
    } else {
        format!("about {:.0} min", d.as_secs_f64() / 60.0)
    }
}

/// Shows the plan on stderr and decides: `Ok(())` to go on, or the failure (exit 2)
/// that stops the command before any write. A dry run is the caller's to stop after.
pub(crate) fn confirm(plan: &Plan, yes: bool) -> Result<(), Failure> {
    if !plan.touches_many() {
        return Ok(());
    }
    for line in plan.lines(false) {
        say(&line);
    }
    if yes {
        return Ok(());
    }
    let stdin = std::io::stdin();
    if !(stdin.is_terminal() && std::io::stderr().is_terminal()) {
        return Err(Failure::usage(format!(
            "this write touches {} user(s){}; with no terminal to ask on, confirm it with --yes (or look first with --dry-run). Nothing was written",
            plan.users,
            plan.sessions.map_or_else(String::new, |s| format!(" and {s} session(s)")),
        ))
        .with_error(super::json::code::CONFIRMATION_REQUIRED));
    }
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "slack-sessions: type {} (the number of users) or yes to go on; anything else stops: ",
        plan.users
    );
    let _ = err.flush();
    drop(err);
    let mut answer = String::new();
    let read = stdin.lock().read_line(&mut answer);
    let answer = answer.trim();
    if read.is_ok() && (answer == plan.users.to_string() || answer.eq_ignore_ascii_case("yes")) {
        return Ok(());
    }
    Err(Failure::usage(format!(
        "not confirmed (the answer was {answer:?}, not {} or yes): nothing was written",
        plan.users
    ))
    .with_error(super::json::code::CONFIRMATION_REQUIRED))
}
