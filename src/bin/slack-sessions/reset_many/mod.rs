//! `slack-sessions reset-many`: log out a list of users (or the whole org), with a report
//! that survives pipes, redirections and kills. This file is the driver; who the run is
//! for ([`who`]), its plan and guard ([`plan`]), the run's record ([`tally`]), the input
//! file ([`input`]), the progress line ([`progress`]) and the dry run ([`dry_run`]) each
//! have a home.

mod dry_run;
mod input;
mod plan;
mod progress;
mod tally;
mod who;

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use slack_sessions::{GoneOptions, SessionRef, UreqTransport};

use crate::core::{self, guard, json, Failure, Global, Resolved, Scope};
pub(crate) use progress::Progress;
use tally::Tally;
use who::Who;

/// Log out many users (or, with --all, the whole org), riding out rate limits.
///
/// More than one user (or --all) is a write that touches many: the plan is shown, and a
/// terminal is asked for the number of users; without a terminal --yes is needed.
///
/// Writes one JSON line per user as each finishes: to --report FILE (appended to, and
/// resumed from), or to stdout. Progress and the summary go to stderr.
///
/// Calls admin.users.session.reset per user (scope admin.users:write, Tier 2); with
/// --bulk, admin.users.session.resetBulk (Tier 2, 1,000 users a call) and
/// admin.users.session.list (admin.users:read, Tier 2) to verify each user.
#[derive(Args, Debug, Default)]
#[command(
    override_usage = "slack-sessions reset-many [FILE|-|--all] [--column NAME|N] [--bulk] [--mobile-only | --web-only] [--report FILE] [--yes]"
)]
pub(crate) struct ResetManyArgs {
    /// File of user ids or email addresses, one per line (a UTF-8 BOM, blank lines and
    /// # comments are skipped); - or nothing for stdin.
    #[arg(value_name = "FILE|-", conflicts_with = "all")]
    input: Option<PathBuf>,
    /// Read the input as CSV (RFC 4180: quoted fields, a BOM) and take the ids or email
    /// addresses from this column: its header's name (row 1), or a 1-based index. A bad
    /// row is refused, by row number and column, before anything is sent.
    #[arg(long, value_name = "NAME|N", conflicts_with = "all")]
    column: Option<String>,
    /// Go ahead without asking. A run of more than one user (or --all) shows its plan
    /// and asks on a terminal for the number of users; with no terminal it needs --yes.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Every active user of the org (from admin.users.list), minus bots, the primary
    /// owner and yourself (see --include-self). Needs admin.users:read too.
    #[arg(long)]
    all: bool,
    /// With --all: log out your own sessions too (by default the responder keeps a
    /// working console).
    #[arg(long, requires = "all")]
    include_self: bool,
    /// Use admin.users.session.resetBulk (1,000 users a call) and verify each user
    /// against admin.users.session.list, with a single reset for anyone the bulk job
    /// misses by --verify-deadline.
    #[arg(long)]
    bulk: bool,
    /// With --bulk: how long the bulk job gets to show each user's sessions gone before
    /// the single-reset fallback (default 600).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, requires = "bulk")]
    verify_deadline: Option<Duration>,
    /// With --bulk: wait this long before the first check of the session list (later
    /// checks back off, doubling up to a minute; default 5).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, requires = "bulk")]
    verify_interval: Option<Duration>,
    /// Only expire mobile sessions.
    #[arg(long, conflicts_with = "web_only")]
    mobile_only: bool,
    /// Only expire web sessions.
    #[arg(long)]
    web_only: bool,
    /// Append one line per user to this file (created if missing) and resume from it:
    /// users it shows done, for this scope, are skipped. Refused if it is not a report.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// An earlier report (read only): users it shows done, for this scope, are skipped.
    #[arg(long, value_name = "REPORT")]
    skip_done: Option<PathBuf>,
    /// Start at most N calls a minute (when the token's rate budget is shared).
    #[arg(long, value_name = "N", conflicts_with = "bulk", value_parser = parse_rate)]
    rate: Option<u32>,
    /// Stop when Slack has not answered anything for this long (default 120).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, conflicts_with = "bulk")]
    max_silence: Option<Duration>,
    /// Give up on a user still rate limited after this long, and go on with the next
    /// one (default 600). With --bulk: the bound on each call (a resetBulk still rate
    /// limited after it stops the run, its users reported as not reset).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds)]
    max_wait_per_user: Option<Duration>,
    /// Stop the run after this long, waits included (default: no bound); users not
    /// attempted are listed.
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds)]
    max_run_time: Option<Duration>,
}

impl ResetManyArgs {
    /// The options of `find --reset`: every session (or, with `mobile_only` /
    /// `web_only`, those of that kind), a report file, resumable; with `bulk`, the
    /// verification's deadline and first check as `reset-many --bulk` takes them.
    pub(crate) fn for_find(find: FindReset) -> Self {
        ResetManyArgs {
            bulk: find.bulk,
            report: find.report,
            yes: find.yes,
            verify_deadline: find.verify_deadline.filter(|_| find.bulk),
            verify_interval: find.verify_interval.filter(|_| find.bulk),
            mobile_only: find.mobile_only,
            web_only: find.web_only,
            ..ResetManyArgs::default()
        }
    }
}

/// What `find --reset` passes on to the reset-many engine.
#[derive(Debug, Default)]
pub(crate) struct FindReset {
    pub(crate) bulk: bool,
    pub(crate) report: Option<PathBuf>,
    pub(crate) yes: bool,
    pub(crate) verify_deadline: Option<Duration>,
    pub(crate) verify_interval: Option<Duration>,
    pub(crate) mobile_only: bool,
    pub(crate) web_only: bool,
}

impl ResetManyArgs {
    /// `find --reset`'s rate-limit bounds: per call (user), and what is left of the
    /// run's time bound.
    pub(crate) fn bounded(
        mut self,
        per_call: Option<Duration>,
        run_left: Option<Duration>,
    ) -> Self {
        self.max_wait_per_user = per_call;
        self.max_run_time = run_left;
        self
    }
}

/// What `find --reset` adds to a run: notes for the plan, the number of matched
/// sessions, and those sessions, to prove gone after single resets.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) notes: Vec<String>,
    pub(crate) watch: Option<(Vec<SessionRef>, GoneOptions)>,
    pub(crate) sessions: Option<usize>,
}

pub(crate) fn run(args: &ResetManyArgs, global: &Global) -> Result<(), Failure> {
    if global.dry_run && args.all && !core::dry_run::has_token(global) {
        return Err(
            Failure::usage(dry_run::ALL_DRY_RUN_NEEDS_A_TOKEN).with_error(json::code::NO_TOKEN)
        );
    }
    let progress = Progress::start(0);
    let client = if global.dry_run && !args.all {
        core::simple_client(global)?
    } else {
        core::client(global, progress.on_wait())?
    };
    let reports = who::earlier_and_report(args, global)?;
    let (who, resolved) = Who::find(&client, args, global)?;
    let extra = Extra::default();
    drive(
        args, global, &client, progress, who, &resolved, reports, extra,
    )
}

/// Logs out `ids` (already resolved), as `run` does: resume from the reports, the plan
/// and its guard, the run, its report lines, the summary. For `find --reset`.
pub(crate) fn reset_users(
    args: &ResetManyArgs,
    global: &Global,
    client: &slack_sessions::Client<UreqTransport>,
    progress: Progress,
    ids: Vec<String>,
    resolved: &Resolved,
    extra: Extra,
) -> Result<(), Failure> {
    let reports = who::earlier_and_report(args, global)?;
    drive(
        args,
        global,
        client,
        progress,
        Who::listed(ids),
        resolved,
        reports,
        extra,
    )
}

/// The run, start to end: who is left after earlier reports, the plan and its guard (or
/// the dry run), every user's line as soon as it is known, the proof `find` asks for,
/// the summary.
#[allow(clippy::too_many_arguments)]
fn drive(
    args: &ResetManyArgs,
    global: &Global,
    client: &slack_sessions::Client<UreqTransport>,
    progress: Progress,
    who: Who,
    resolved: &Resolved,
    (earlier, mut report): who::Reports,
    extra: Extra,
) -> Result<(), Failure> {
    let scope = Scope::new(args.mobile_only, args.web_only);
    let who = who.minus_done(&earlier, scope, args.bulk);
    let mut run = who.start(client, args, scope, &earlier);
    if who.org {
        // A whole-org run finds its users with read calls before the plan is shown.
        run.find_users();
    }
    let plan = plan::plan(args, scope, &who, &run, &extra);
    if global.dry_run {
        if plan.touches_many() {
            for line in plan.lines(false) {
                core::say(&line);
            }
        }
        let (todo, skipped) = (&who.todo, who.skipped);
        return dry_run::dry_run(client, args, global, scope, todo, skipped, resolved);
    }
    if run.stopped().is_none() {
        guard::confirm(&plan, args.yes)?;
    }
    let verifies = args.bulk || extra.watch.is_some();
    let mut tally = Tally::new(args.bulk, verifies, scope, who.skipped);
    progress.total(run.total());
    run.say_who(&progress);
    loop {
        progress.calling(run.next_user().as_deref());
        let Some(outcome) = run.next() else { break };
        if !tally.record(&outcome, report.as_mut()) {
            break;
        }
        progress.finished(tally.finished);
    }
    progress.stop();
    if let Some((watch, options)) = &extra.watch {
        tally.prove_gone(client, &run, watch, options, report.as_mut())?;
    }
    tally.finish(&run, report.as_ref())
}

/// `--rate`: at least one call a minute (0 would never start a call).
fn parse_rate(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(0) => Err("0 calls a minute would never start a call: give at least 1 (leave --rate out for no limit of our own)".to_owned()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{text:?} is not a number of calls a minute (a whole number, at least 1)")),
    }
}
