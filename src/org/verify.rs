//! The verify phase: rounds of checks, backing off between rounds, until every pending
//! user's snapshot sessions are gone or the deadline passes. One check a step, so that a
//! user is handed out as soon as a check shows them logged out.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use crate::bulk::ResetHow;
use crate::methods::list::ListRequest;
use crate::transport::Transport;

use super::walk::{walk_sessions, Page};
use super::{deadline_of, Phase, ResetVerified, VerifyOptions};

/// How many pending users are asked one by one before a whole walk is made.
const SAMPLE: usize = 3;

/// What a check saw left of a user's watched sessions: some of a proven kind, some of
/// an unproven one.
#[derive(Debug, Default, Clone, Copy)]
struct Left {
    proven: bool,
    unproven: bool,
    /// A record of the user without a usable session id is listed: something of
    /// theirs is still active, whatever it is.
    without_id: bool,
}

impl Left {
    fn saw(&mut self, unproven: bool) {
        if unproven {
            self.unproven = true;
        } else {
            self.proven = true;
        }
    }

    fn add(&mut self, other: Left) {
        self.proven |= other.proven;
        self.unproven |= other.unproven;
        self.without_id |= other.without_id;
    }
}

/// One check of a round.
#[derive(Debug, Clone, Copy)]
enum Check {
    /// Ask for one user's sessions, on every workspace they held one in.
    Alone(usize),
    /// Walk the whole list, if a user asked alone this round was gone (the job has
    /// started to apply; while it has not, a walk would find nothing).
    WalkIfProgress,
}

/// Where the verification stands.
#[derive(Debug, Default)]
pub(super) struct Round {
    deadline: Option<Instant>,
    wait: Duration,
    checks: VecDeque<Check>,
    progress: bool,
    /// Where the next sample of pending users starts.
    sample_at: usize,
}

impl Round {
    /// A verification starting now, bounded by the options' deadline.
    pub(super) fn start(options: &VerifyOptions) -> Self {
        Round {
            deadline: Some(deadline_of(Instant::now(), options.deadline)),
            wait: options.first_check,
            ..Round::default()
        }
    }
}

impl<T: Transport> ResetVerified<'_, T> {
    /// One check, or the plan of the next round (after its wait), or the end.
    pub(super) fn verify_step(&mut self, how: ResetHow) {
        let deadline = self.round.deadline.unwrap_or_else(Instant::now);
        // The run's time bound, when nearer, ends the checks and the run.
        let run_deadline = self.run_deadline().filter(|&r| r < deadline);
        let deadline = run_deadline.unwrap_or(deadline);
        if let Some(check) = self.round.checks.pop_front() {
            match check {
                Check::Alone(at) => self.check_alone(at, deadline, how),
                Check::WalkIfProgress if self.round.progress => self.check_walk(deadline, how),
                Check::WalkIfProgress => {}
            }
            return;
        }
        self.pending.retain(|&at| self.users[at].pending);
        let now = Instant::now();
        if !self.pending.is_empty() && run_deadline.is_some_and(|r| now >= r) {
            return self.stop_at_run_bound();
        }
        if self.pending.is_empty() || now >= deadline {
            return self.end_verify(how);
        }
        let pause = self.round.wait.min(deadline - now);
        self.calls_by_method.sleep(self.client, pause);
        self.round.wait = (self.round.wait * 2).min(self.options.max_check_interval);
        self.round.progress = false;
        let n = self.pending.len();
        if n < self.walk_pages || n <= SAMPLE {
            self.round.checks = self.pending.iter().map(|&at| Check::Alone(at)).collect();
        } else {
            // A whole walk costs as many calls as the list has pages: first ask a few
            // users (a different few each round) whether the job has started to apply.
            let at = self.round.sample_at;
            let sample: HashSet<usize> = (0..SAMPLE).map(|k| self.pending[(at + k) % n]).collect();
            self.round.sample_at = (at + SAMPLE) % n;
            self.round.checks = sample.into_iter().map(Check::Alone).collect();
            self.round.checks.push_back(Check::WalkIfProgress);
        }
    }

    /// Asks for `at`'s sessions on every workspace they held one in; verified when none
    /// of the watched sessions is listed on any.
    fn check_alone(&mut self, at: usize, deadline: Instant, how: ResetHow) {
        if !self.users[at].pending {
            return;
        }
        let u = &self.users[at];
        let mut teams: Vec<u32> = u.sessions.iter().map(|s| s.0).collect();
        teams.extend(&u.without_id);
        teams.sort_unstable();
        teams.dedup();
        let patience = self.patience();
        let mut left = Left::default();
        for team in teams {
            let u = &self.users[at];
            let first = ListRequest::new()
                .user_in_team(u.id.as_str(), self.teams[team as usize].as_str())
                .limit(ListRequest::MAX_LIMIT);
            let watched: HashMap<u64, bool> = u.sessions.iter().map(|s| (s.1, s.2)).collect();
            let user = u.id.clone();
            let mut here = Left::default();
            let walked = walk_sessions(
                self.client,
                &mut self.calls_by_method,
                patience,
                &first,
                Some(deadline),
                |page| match page {
                    Page::Sessions(s, without_id) => {
                        for s in s {
                            if let Some(&unproven) = watched.get(&s.session_id) {
                                here.saw(unproven);
                            }
                        }
                        here.without_id |= without_id.iter().any(|w| w.user_id == user);
                    }
                    Page::Restart => here = Left::default(),
                },
            );
            match walked {
                Err(e) => return self.stop(format!("checking the sessions failed: {e}")),
                Ok(None) => return,
                Ok(Some(_)) => left.add(here),
            }
        }
        self.conclude(at, left, how);
    }

    /// Walks the whole list: every pending user none of whose watched sessions is
    /// listed is verified.
    fn check_walk(&mut self, deadline: Instant, how: ResetHow) {
        let mut left: HashMap<usize, Left> = HashMap::new();
        let patience = self.patience();
        let first = ListRequest::new().limit(ListRequest::MAX_LIMIT);
        let Self {
            client,
            calls_by_method,
            users,
            index,
            ..
        } = self;
        let walked = walk_sessions(
            client,
            calls_by_method,
            patience,
            &first,
            Some(deadline),
            |page| match page {
                Page::Restart => left.clear(),
                Page::Sessions(sessions, without_id) => {
                    for s in without_id {
                        if let Some(&at) = index.get(&s.user_id) {
                            if users[at].pending {
                                left.entry(at).or_default().without_id = true;
                            }
                        }
                    }
                    for s in sessions {
                        if let Some(&at) = index.get(&s.user_id) {
                            let u = &users[at];
                            if !u.pending {
                                continue;
                            }
                            if let Some(w) = u.sessions.iter().find(|w| w.1 == s.session_id) {
                                left.entry(at).or_default().saw(w.2);
                            }
                        }
                    }
                }
            },
        );
        match walked {
            Err(e) => self.stop(format!("checking the sessions failed: {e}")),
            Ok(None) => {}
            Ok(Some(pages)) => {
                self.walk_pages = pages;
                for at in self.pending.clone() {
                    if self.users[at].pending {
                        let l = left.get(&at).copied().unwrap_or_default();
                        self.conclude(at, l, how);
                    }
                }
            }
        }
    }

    /// What a complete check found of `at`'s watched sessions. None left: verified. Only
    /// sessions of an unproven kind left while those of a proven kind are gone: the reset
    /// applied to the user and ended what it ends, so waiting or a single reset would not
    /// change it: not verified, said now (the sessions left may be the mobile app, which
    /// a web-only reset rightly leaves, or a phone's browser, which it should have ended).
    fn conclude(&mut self, at: usize, left: Left, how: ResetHow) {
        if !left.proven && !left.unproven && !left.without_id {
            self.round.progress = true;
            let detail = self.verified_detail(at);
            return self.finish(at, Ok(()), how, true, detail);
        }
        let u = &self.users[at];
        if !left.proven && !left.without_id && u.sessions.iter().any(|w| !w.2) {
            self.round.progress = true;
            let detail = format!(
                "the reset applied (every session the device fields prove of this kind is gone), but {} session(s) whose kind they do not prove are still listed{}; not verified",
                u.sessions.iter().filter(|w| w.2).count(),
                self.unproven_note(at)
            );
            self.finish(at, Ok(()), how, false, Some(detail));
        }
    }

    /// The deadline passed (or everyone is verified): the bulk job's stragglers fall back
    /// to single resets; after those, the stragglers are final.
    fn end_verify(&mut self, how: ResetHow) {
        let left = std::mem::take(&mut self.pending);
        self.round.checks.clear();
        match how {
            ResetHow::Single => {
                for at in left {
                    let u = &self.users[at];
                    let ids: Vec<u64> = u.sessions.iter().map(|s| s.1).collect();
                    let what = match (ids.is_empty(), self.without_id_note(at)) {
                        (true, note) if !note.is_empty() => note,
                        (_, note) if note.is_empty() => format!("session(s) {ids:?}"),
                        (_, note) => format!("session(s) {ids:?} and {note}"),
                    };
                    let detail = format!(
                        "reset answered ok, but {what} were not seen gone by the deadline{}",
                        self.unproven_note(at)
                    );
                    self.finish(at, Ok(()), ResetHow::Single, false, Some(detail));
                }
                self.phase = Phase::Done;
            }
            _ => {
                for at in left {
                    self.users[at].pending = false;
                    self.fallback.push_back(at);
                }
                self.phase = Phase::Fallback;
            }
        }
    }

    fn verified_detail(&self, at: usize) -> Option<String> {
        let u = &self.users[at];
        let mut notes = Vec::new();
        if u.unproven > 0 {
            notes.push(format!(
                "{} session(s) whose kind the device fields do not prove were watched too{}",
                u.unproven,
                self.unproven_note(at)
            ));
        }
        if u.left_out > 0 {
            notes.push(format!(
                "{} session(s) certainly of the other kind left out",
                u.left_out
            ));
        }
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// What the user's records without a session id add to a "not seen gone" line.
    pub(super) fn without_id_note(&self, at: usize) -> String {
        match self.users[at].without_id_count {
            0 => String::new(),
            n => format!(
                "{n} listed record(s) without a session id (something of the user's still active, which no id names)"
            ),
        }
    }

    fn unproven_note(&self, at: usize) -> String {
        match &self.users[at].unproven_example {
            Some(e) => format!(" (e.g. {e}: the mobile app or a phone's browser alike)"),
            None => String::new(),
        }
    }
}
