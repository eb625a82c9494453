//! The record of a `reset-many` run: one report line per user the moment its outcome is
//! known, and the summary at the end.

use std::collections::HashSet;
use std::time::Instant;

use slack_sessions::{Client, GoneOptions, ResetHow, ResetOutcome, SessionRef, UreqTransport};

use super::who::Run;
use crate::core::{self, json, Failure, Scope};
use crate::report::{self, Line, ReportFile};

/// How many users a summary names before it only counts.
const NAMED: usize = 20;

/// Users in one state, the first few named.
#[derive(Default)]
struct Named {
    count: usize,
    names: Vec<String>,
}

impl Named {
    fn push(&mut self, name: impl FnOnce() -> String) {
        self.count += 1;
        if self.names.len() < NAMED {
            self.names.push(name());
        }
    }

    fn words(&self) -> String {
        let more = self.count - self.names.len();
        if more == 0 {
            self.names.join(", ")
        } else {
            format!("{} and {more} more (see the report)", self.names.join(", "))
        }
    }
}

pub(super) struct Tally {
    bulk: bool,
    /// Whether the run says how many users were verified (a bulk run, or `find`'s proof).
    verifies: bool,
    /// The users reset, kept only when the run proves sessions gone afterwards.
    reset_ok: Option<Vec<String>>,
    scope: Scope,
    skipped: usize,
    started: Instant,
    pub(super) finished: usize,
    failed: Named,
    unverified: Named,
    output_failure: Option<String>,
}

impl Tally {
    pub(super) fn new(bulk: bool, verifies: bool, scope: Scope, skipped: usize) -> Self {
        Tally {
            bulk,
            verifies,
            reset_ok: (verifies && !bulk).then(Vec::new),
            scope,
            skipped,
            started: Instant::now(),
            finished: 0,
            failed: Named::default(),
            unverified: Named::default(),
            output_failure: None,
        }
    }

    /// Writes the user's line (to the report, or stdout) at once; `false` when it could
    /// not be written: the run must stop before the next reset.
    pub(super) fn record(
        &mut self,
        outcome: &ResetOutcome,
        report: Option<&mut ReportFile>,
    ) -> bool {
        self.finished += 1;
        let line = outcome_line(outcome, self.scope, self.bulk);
        let written = match report {
            Some(file) => file
                .append(&line)
                .map_err(|e| format!("could not write the report {}: {e}", file.path.display())),
            None => core::print(&line).map_err(|f| f.message),
        };
        if let Err(why) = written {
            let what = if outcome.is_ok() {
                "was reset"
            } else {
                "failed"
            };
            self.output_failure = Some(format!(
                "{why}; stopped before the next reset. {} {what} but is not in the report",
                outcome.user_id
            ));
            return false;
        }
        if let (Some(ok), true) = (&mut self.reset_ok, outcome.is_ok()) {
            ok.push(outcome.user_id.clone());
        }
        match &outcome.result {
            Err(e) => self.failed.push(|| match &outcome.detail {
                // A user the run gave up on (rate limited past the bound) says so.
                Some(detail) => format!("{} ({}; {detail})", outcome.user_id, core::reason(e)),
                None => format!("{} ({})", outcome.user_id, core::reason(e)),
            }),
            Ok(()) if self.bulk && !outcome.verified => self.unverified.push(|| {
                format!(
                    "{} ({})",
                    outcome.user_id,
                    outcome.detail.as_deref().unwrap_or("not verified")
                )
            }),
            Ok(()) => {}
        }
        true
    }

    /// `find --reset` without `--bulk`: proves the matched sessions of every user reset
    /// singly are gone, one report line each.
    pub(super) fn prove_gone(
        &mut self,
        client: &Client<UreqTransport>,
        run: &Run<'_>,
        watch: &[SessionRef],
        options: &GoneOptions,
        mut report: Option<&mut ReportFile>,
    ) -> Result<(), Failure> {
        let (Run::Single(..), None, Some(reset_ok)) = (run, &self.output_failure, &self.reset_ok)
        else {
            return Ok(());
        };
        let done: HashSet<&str> = reset_ok.iter().map(String::as_str).collect();
        let watched: Vec<SessionRef> = watch
            .iter()
            .filter(|s| done.contains(s.user_id.as_str()))
            .cloned()
            .collect();
        core::say(&format!(
            "verifying: {} session(s) of {} user(s) must leave the session list",
            watched.len(),
            done.len()
        ));
        let gone = client.await_gone(&watched, options)?;
        let mut unverified = Vec::new();
        for user in reset_ok {
            let still: Vec<u64> = gone
                .still_active
                .iter()
                .filter(|s| &s.user_id == user)
                .map(|s| s.session_id)
                .collect();
            let line = report::verify_line(user, None, report::METHOD, self.scope, &still);
            match &mut report {
                Some(file) => file.append(&line).map_err(|e| {
                    Failure::output(format!(
                        "could not write the report {}: {e}",
                        file.path.display()
                    ))
                })?,
                None => core::print(&line)?,
            }
            if !still.is_empty() {
                unverified.push(format!("{user} (session(s) {still:?} still listed)"));
            }
        }
        for u in unverified {
            self.unverified.push(|| u);
        }
        Ok(())
    }

    /// The summary on stderr, and the run's exit.
    pub(super) fn finish(self, run: &Run<'_>, report: Option<&ReportFile>) -> Result<(), Failure> {
        let not_attempted = run.remaining();
        let total = run.total();
        let ok = self.finished - self.failed.count;
        let skipped_note = if self.skipped == 0 {
            String::new()
        } else {
            format!("; skipped {} already done", self.skipped)
        };
        let verified_note = if self.verifies {
            format!(", {} verified", ok - self.unverified.count)
        } else {
            String::new()
        };
        core::say(&format!(
            "reset {ok} of {total} user(s) ({}){verified_note} in {:.1}s{skipped_note}",
            self.scope.words(),
            self.started.elapsed().as_secs_f64()
        ));
        if let Some(calls) = run.calls() {
            let mut calls: Vec<String> = calls.iter().map(|(m, n)| format!("{n} {m}")).collect();
            calls.sort();
            core::say(&format!("calls made: {}", calls.join(", ")));
        }
        if self.failed.count > 0 {
            core::say(&format!(
                "{} failed: {}",
                self.failed.count,
                self.failed.words()
            ));
        }
        if self.unverified.count > 0 {
            core::say(&format!(
                "{} reset but not verified: {}",
                self.unverified.count,
                self.unverified.words()
            ));
        }
        if let Some(why) = self.output_failure {
            core::say(&format!("{not_attempted} user(s) not attempted"));
            return Err(Failure::output(why));
        }
        if let Some(reason) = run.stopped() {
            core::say(&format!("stopped early: {reason}"));
            let resume = match report {
                Some(file) => format!("rerun with --report {}", file.path.display()),
                None => {
                    "rerun with --skip-done <this run's output> (or use --report FILE)".to_owned()
                }
            };
            core::say(&format!(
                "{not_attempted} user(s) not attempted; fix the cause and {resume}"
            ));
        }
        if self.failed.count == 0 && self.unverified.count == 0 && not_attempted == 0 {
            match run.stopped() {
                None => Ok(()),
                Some(reason) => Err(Failure::failed(format!("stopped early: {reason}"))),
            }
        } else {
            Err(Failure::failed(format!(
                "{} user(s) not reset{}",
                self.failed.count + not_attempted,
                if self.unverified.count == 0 {
                    String::new()
                } else {
                    format!(", {} not verified", self.unverified.count)
                }
            )))
        }
    }
}

/// The user's report line: what was done (method, scope), how it went, and, when the
/// run `checked` (a bulk run), whether the user was verified.
fn outcome_line(o: &ResetOutcome, scope: Scope, checked: bool) -> String {
    Line {
        user_id: &o.user_id,
        ok: o.is_ok(),
        scope: scope.as_str(),
        method: match o.how {
            ResetHow::Bulk => report::BULK_METHOD,
            // The evidence is the snapshot: its request id, "how": "no_session".
            ResetHow::NoSession => report::VERIFY_METHOD,
            _ => report::METHOD,
        },
        how: o.how.as_str(),
        verified: checked.then_some(o.verified),
        error: o
            .result
            .as_ref()
            .err()
            .map(|e| json::error_code(e).to_owned()),
        message: o.result.as_ref().err().map(core::describe),
        detail: o.detail.as_deref(),
        request_id: o.request_id.as_deref(),
        attempts: o.attempts,
    }
    .to_json()
}
