//! Who a `reset-many` run is for (the input, the org, minus what earlier reports show
//! done), and the run itself: single resets, or resetBulk verified user by user.

use slack_sessions::{
    AdminUsersListRequest, AuthTestRequest, BulkOptions, Client, ResetMany, ResetOutcome,
    ResetVerified, SlackMethod, UreqTransport, VerifyOptions,
};

use super::input::{dedup, read_column, read_ids};
use super::progress::Progress;
use super::ResetManyArgs;
use crate::core::{self, Failure, Global, Resolved, Scope};
use crate::report::{self, Earlier, ReportFile};

/// What earlier reports (`--skip-done`, `--report`) show done, and the report to append
/// to: read before any call, so that a file that is not a report stops the run first.
pub(super) fn earlier_and_report(
    args: &ResetManyArgs,
    global: &Global,
) -> Result<(Earlier, Option<ReportFile>), Failure> {
    let mut earlier = Earlier::default();
    if let Some(path) = &args.skip_done {
        let read = report::read(path)?;
        read.warn(path);
        earlier.merge(read);
    }
    let report = match &args.report {
        // A dry run reads the report (to skip who it shows done) but creates nothing.
        Some(path) if global.dry_run => {
            if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
                let read = report::read(path)?;
                read.warn(path);
                earlier.merge(read);
            }
            None
        }
        Some(path) => {
            let (file, read) = ReportFile::open(path)?;
            read.warn(path);
            earlier.merge(read);
            Some(file)
        }
        None => None,
    };
    Ok((earlier, report))
}

/// Earlier reports' verdicts, and the report to append to.
pub(super) type Reports = (Earlier, Option<ReportFile>);

/// The users of a run.
pub(super) struct Who {
    /// The users to reset, in order (empty for a whole-org bulk run: its session
    /// snapshot finds them).
    pub(super) todo: Vec<String>,
    /// Users an earlier report shows done.
    pub(super) skipped: usize,
    /// A whole-org bulk run.
    pub(super) org: bool,
}

impl Who {
    /// The input's users (emails resolved to ids before anything is written), or the
    /// org's.
    pub(super) fn find(
        client: &Client<UreqTransport>,
        args: &ResetManyArgs,
        global: &Global,
    ) -> Result<(Who, Resolved), Failure> {
        if args.all && args.bulk && !global.dry_run {
            // The session snapshot names everyone with something to log out: no walk of
            // every user of the org (1,000 calls at 100,000 users).
            let who = Who {
                todo: Vec::new(),
                skipped: 0,
                org: true,
            };
            return Ok((who, Resolved::default()));
        }
        if global.dry_run && args.all {
            core::say(&format!(
                "dry run of --all: finding who would be logged out with read calls only ({} once, then {} {}); nothing is written",
                AuthTestRequest::NAME,
                AdminUsersListRequest::NAME,
                super::dry_run::ALL_READS,
            ));
        }
        if args.all {
            return Ok((Who::listed(org_users(client, args)?), Resolved::default()));
        }
        let inputs = match &args.column {
            Some(c) => read_column(args.input.as_deref(), c)?,
            None => read_ids(args.input.as_deref())?,
        };
        let resolved = core::resolve(client, &inputs, global)?;
        Ok((Who::listed(dedup(resolved.ids.clone())), resolved))
    }

    /// These users (already resolved).
    pub(super) fn listed(ids: Vec<String>) -> Who {
        Who {
            todo: ids,
            skipped: 0,
            org: false,
        }
    }

    /// Without the users earlier reports show done for this scope (with `bulk`, only
    /// verified lines count).
    pub(super) fn minus_done(self, earlier: &Earlier, scope: Scope, bulk: bool) -> Who {
        if self.org {
            return Who {
                skipped: earlier.covered(scope, true).count(),
                ..self
            };
        }
        let (skipped, todo): (Vec<String>, Vec<String>) = self
            .todo
            .into_iter()
            .partition(|id| earlier.covers(id, scope, bulk));
        Who {
            todo,
            skipped: skipped.len(),
            org: false,
        }
    }

    /// The run (nothing is sent until it is driven).
    pub(super) fn start<'a>(
        &self,
        client: &'a Client<UreqTransport>,
        args: &ResetManyArgs,
        scope: Scope,
        earlier: &Earlier,
    ) -> Run<'a> {
        let total = self.todo.len();
        let todo = self.todo.clone();
        if !args.bulk {
            let mut options = BulkOptions::new()
                .mobile_only(args.mobile_only)
                .web_only(args.web_only)
                .per_minute(args.rate.unwrap_or(0));
            if let Some(limit) = args.max_silence {
                options = options.max_silence(limit);
            }
            if let Some(limit) = args.max_wait_per_user {
                options = options.max_wait_per_user(Some(limit));
            }
            options = options.max_run_time(args.max_run_time);
            return Run::Single(client.reset_many(todo, options), total);
        }
        let mut options = VerifyOptions::new()
            .mobile_only(args.mobile_only)
            .web_only(args.web_only);
        if let Some(d) = args.verify_deadline {
            options = options.deadline(d);
        }
        if let Some(d) = args.verify_interval {
            options = options.first_check(d);
        }
        if let Some(limit) = args.max_wait_per_user {
            options = options.max_wait_per_call(Some(limit));
        }
        options = options.max_run_time(args.max_run_time);
        let run = if self.org {
            client
                .reset_everyone(args.include_self, options)
                .skipping(earlier.covered(scope, true))
        } else {
            client.reset_verified(todo, options)
        };
        Run::Bulk(Box::new(run), total)
    }
}

/// `--all` without `--bulk`: every active user from admin.users.list, said on stderr.
fn org_users(client: &Client<UreqTransport>, args: &ResetManyArgs) -> Result<Vec<String>, Failure> {
    let t = client.org_targets(args.include_self)?;
    let me = match (&t.caller, t.skipped_self) {
        (Some(c), true) => format!(", you ({c}; --include-self to log yourself out too)"),
        _ => String::new(),
    };
    core::say(&format!(
        "the org has {} user(s) to log out (left out: {} bot(s), the primary owner(s) {}{me})",
        t.users.len(),
        t.bots.len(),
        owners(&t.primary_owners),
    ));
    if t.unreadable > 0 {
        core::say(&format!(
            "{} record(s) of admin.users.list had no user id and were skipped (a user without an id cannot be logged out)",
            t.unreadable
        ));
    }
    if t.users.is_empty() {
        return Err(Failure::usage("no user to log out in the org"));
    }
    Ok(t.users)
}

fn owners(ids: &[String]) -> String {
    if ids.is_empty() {
        "-".to_owned()
    } else {
        ids.join(", ")
    }
}

/// A run of either kind, driven the same way, and how many users it has.
pub(super) enum Run<'a> {
    Single(ResetMany<'a, UreqTransport>, usize),
    Bulk(Box<ResetVerified<'a, UreqTransport>>, usize),
}

impl Run<'_> {
    pub(super) fn next(&mut self) -> Option<ResetOutcome> {
        match self {
            Run::Single(r, _) => r.next(),
            Run::Bulk(r, _) => r.next(),
        }
    }

    pub(super) fn next_user(&self) -> Option<String> {
        match self {
            Run::Single(r, _) => r.remaining().next().map(str::to_owned),
            Run::Bulk(..) => None,
        }
    }

    /// How many users the run has (a whole-org run knows once its snapshot is taken).
    pub(super) fn total(&self) -> usize {
        match self {
            Run::Bulk(r, n) => r.org().map_or(*n, |o| o.users.len()),
            Run::Single(_, n) => *n,
        }
    }

    pub(super) fn remaining(&self) -> usize {
        match self {
            Run::Single(r, _) => r.remaining().len(),
            Run::Bulk(r, _) => r.remaining().count(),
        }
    }

    pub(super) fn stopped(&self) -> Option<&str> {
        match self {
            Run::Single(r, _) => r.stopped(),
            Run::Bulk(r, _) => r.stopped(),
        }
    }

    /// Calls made by method (bulk runs count theirs).
    pub(super) fn calls(&self) -> Option<Vec<(&'static str, u32)>> {
        match self {
            Run::Bulk(r, _) => Some(r.calls().collect()),
            Run::Single(..) => None,
        }
    }

    /// A whole-org run: takes the session snapshot now (read calls only), so that the
    /// plan can name who will be logged out before anything is written.
    pub(super) fn find_users(&mut self) {
        if let Run::Bulk(r, _) = self {
            r.take_snapshot();
        }
    }

    /// A whole-org run's users, once its snapshot is taken.
    pub(super) fn org_users(&self) -> Option<&[String]> {
        match self {
            Run::Bulk(r, _) => r.org().map(|o| o.users.as_slice()),
            Run::Single(..) => None,
        }
    }

    /// For a whole-org run, once its snapshot is taken: who it found and left out.
    pub(super) fn say_who(&self, progress: &Progress) {
        let Run::Bulk(r, _) = self else { return };
        let Some(t) = r.org() else { return };
        let me = match (&t.caller, t.skipped_self) {
            (Some(c), true) => format!(", you ({c}; --include-self to log yourself out too)"),
            _ => String::new(),
        };
        core::say(&format!(
            "the org has {} user(s) with an active session to log out (left out: the primary owner(s) {}{me}; a user without a session has nothing to log out)",
            t.users.len(),
            owners(&t.primary_owners),
        ));
        progress.total(t.users.len());
    }
}
