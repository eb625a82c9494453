//! `slack-sessions reset-many`: log out a list of users, one call each, with a report
//! that survives pipes, redirections and kills.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Args;
use slack_sessions::{
    AdminUsersListRequest, AuthTestRequest, BulkOptions, GoneOptions, ListRequest,
    ResetBulkRequest, ResetHow, ResetMany, ResetOutcome, ResetRequest, ResetVerified, SessionRef,
    SlackMethod, UreqTransport, VerifyOptions,
};

use crate::core::{self, guard, json, Failure, Global, Resolved, Scope};
use crate::csv;
use crate::report::{self, Earlier, Line, ReportFile};

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
    #[arg(long, value_name = "N", conflicts_with = "bulk")]
    rate: Option<u32>,
    /// Stop when Slack has not answered anything for this long (default 120).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, conflicts_with = "bulk")]
    max_silence: Option<Duration>,
    /// Give up on a user still rate limited after this long, and go on with the next
    /// one (default 600).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, conflicts_with = "bulk")]
    max_wait_per_user: Option<Duration>,
    /// Stop the run after this long, waits included (default: no bound); users not
    /// attempted are listed.
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, conflicts_with = "bulk")]
    max_run_time: Option<Duration>,
}

impl ResetManyArgs {
    /// The options of `find --reset`: every session, a report file, resumable.
    pub(crate) fn for_find(bulk: bool, report: Option<PathBuf>, yes: bool) -> Self {
        ResetManyArgs {
            bulk,
            report,
            yes,
            ..ResetManyArgs::default()
        }
    }
}

/// A run of either kind, driven the same way.
enum Run<'a> {
    Single(ResetMany<'a, UreqTransport>),
    Bulk(Box<ResetVerified<'a, UreqTransport>>),
}

impl Run<'_> {
    fn next(&mut self) -> Option<ResetOutcome> {
        match self {
            Run::Single(r) => r.next(),
            Run::Bulk(r) => r.next(),
        }
    }

    fn next_user(&self) -> Option<String> {
        match self {
            Run::Single(r) => r.remaining().next().map(str::to_owned),
            Run::Bulk(_) => None,
        }
    }

    fn remaining(&self) -> usize {
        match self {
            Run::Single(r) => r.remaining().len(),
            Run::Bulk(r) => r.remaining().count(),
        }
    }

    fn stopped(&self) -> Option<&str> {
        match self {
            Run::Single(r) => r.stopped(),
            Run::Bulk(r) => r.stopped(),
        }
    }
}

pub(crate) fn run(args: &ResetManyArgs, global: &Global) -> Result<(), Failure> {
    if global.dry_run && args.all && !core::dry_run::has_token(global) {
        return Err(Failure::usage(ALL_DRY_RUN_NEEDS_A_TOKEN).with_error(json::code::NO_TOKEN));
    }
    let progress = Progress::start(0);
    let client = if global.dry_run && !args.all {
        core::simple_client(global)?
    } else {
        core::client(global, progress.on_wait())?
    };

    // Who: the org, or the input; emails become ids before anything is written.
    let mut resolved = Resolved::default();
    if global.dry_run && args.all {
        core::say(&format!(
            "dry run of --all: finding who would be logged out with read calls only ({} once, then {} {ALL_READS}); nothing is written",
            AuthTestRequest::NAME,
            AdminUsersListRequest::NAME
        ));
    }
    let ids =
        if args.all {
            let t = client.org_targets(args.include_self)?;
            let me = match (&t.caller, t.skipped_self) {
                (Some(c), true) => format!(", you ({c}; --include-self to log yourself out too)"),
                _ => String::new(),
            };
            core::say(&format!(
            "the org has {} user(s) to log out (left out: {} bot(s), the primary owner(s) {}{me})",
            t.users.len(),
            t.bots.len(),
            if t.primary_owners.is_empty() { "-".to_owned() } else { t.primary_owners.join(", ") },
        ));
            if t.users.is_empty() {
                return Err(Failure::usage("no user to log out in the org"));
            }
            t.users
        } else {
            let inputs = match &args.column {
                Some(c) => read_column(args.input.as_deref(), c)?,
                None => read_ids(args.input.as_deref())?,
            };
            resolved = core::resolve(&client, &inputs, global)?;
            dedup(resolved.ids.clone())
        };
    reset_users(
        args,
        global,
        &client,
        progress,
        ids,
        &resolved,
        Extra::default(),
    )
}

/// What `find --reset` adds to a run: notes for the plan, the number of matched
/// sessions, and those sessions, to prove gone after single resets.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) notes: Vec<String>,
    pub(crate) watch: Option<(Vec<SessionRef>, GoneOptions)>,
    pub(crate) sessions: Option<usize>,
}

/// Logs out `ids` (already resolved): resume from the reports, the plan and its guard,
/// the run, its report lines, the summary.
pub(crate) fn reset_users(
    args: &ResetManyArgs,
    global: &Global,
    client: &slack_sessions::Client<UreqTransport>,
    progress: Progress,
    ids: Vec<String>,
    resolved: &Resolved,
    extra: Extra,
) -> Result<(), Failure> {
    let scope = Scope::new(args.mobile_only, args.web_only);

    let mut earlier = Earlier::default();
    if let Some(path) = &args.skip_done {
        let read = report::read(path)?;
        read.warn(path);
        earlier.merge(read);
    }
    let mut report = match &args.report {
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
    let (skipped, todo): (Vec<String>, Vec<String>) = ids
        .into_iter()
        .partition(|id| earlier.covers(id, scope, args.bulk));

    let mut plan = plan(args, scope, &todo, skipped.len());
    plan.notes.extend(extra.notes);
    plan.sessions = extra.sessions;
    if extra.watch.is_some() && !args.bulk {
        plan.methods.push(ListRequest::NAME);
    }
    if global.dry_run {
        if plan.touches_many() {
            for line in plan.lines(false) {
                core::say(&line);
            }
        }
        return dry_run(client, args, global, scope, &todo, skipped.len(), resolved);
    }
    guard::confirm(&plan, args.yes)?;

    let total = todo.len();
    progress.total(total);
    let started = Instant::now();
    let mut failed = Vec::new();
    let mut unverified = Vec::new();
    let mut finished = 0;
    let mut output_failure = None;
    let mut reset_ok = Vec::new();
    let mut run = if args.bulk {
        let mut options = VerifyOptions::new()
            .mobile_only(args.mobile_only)
            .web_only(args.web_only);
        if let Some(d) = args.verify_deadline {
            options = options.deadline(d);
        }
        if let Some(d) = args.verify_interval {
            options = options.first_check(d);
        }
        Run::Bulk(Box::new(client.reset_verified(todo, options)))
    } else {
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
        Run::Single(client.reset_many(todo, options))
    };
    loop {
        progress.calling(run.next_user().as_deref());
        let Some(outcome) = run.next() else { break };
        finished += 1;
        let line = outcome_line(&outcome, scope, args.bulk);
        let written = match &mut report {
            Some(file) => file
                .append(&line)
                .map_err(|e| format!("could not write the report {}: {e}", file.path.display())),
            None => core::print(&line).map_err(|f| f.message),
        };
        if let Err(why) = written {
            // Stop before the next reset: a run whose record is lost must not go on.
            let what = if outcome.is_ok() {
                "was reset"
            } else {
                "failed"
            };
            output_failure = Some(format!(
                "{why}; stopped before the next reset. {} {what} but is not in the report",
                outcome.user_id
            ));
            break;
        }
        if outcome.is_ok() {
            reset_ok.push(outcome.user_id.clone());
        }
        match &outcome.result {
            Err(e) => failed.push(format!("{} ({})", outcome.user_id, core::reason(e))),
            Ok(()) if args.bulk && !outcome.verified => unverified.push(format!(
                "{} ({})",
                outcome.user_id,
                outcome.detail.as_deref().unwrap_or("not verified")
            )),
            Ok(()) => {}
        }
        progress.finished(finished);
    }
    progress.stop();

    // find --reset: prove the matched sessions of every user reset singly are gone.
    if let (Some((watch, options)), Run::Single(_), None) = (&extra.watch, &run, &output_failure) {
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
        for user in &reset_ok {
            let still: Vec<u64> = gone
                .still_active
                .iter()
                .filter(|s| &s.user_id == user)
                .map(|s| s.session_id)
                .collect();
            let line = report::verify_line(user, None, report::METHOD, scope, &still);
            let written = match &mut report {
                Some(file) => file.append(&line).map_err(|e| {
                    Failure::output(format!(
                        "could not write the report {}: {e}",
                        file.path.display()
                    ))
                }),
                None => core::print(&line),
            };
            written?;
            if !still.is_empty() {
                unverified.push(format!("{user} (session(s) {still:?} still listed)"));
            }
        }
    }

    let not_attempted = run.remaining();
    let ok = finished - failed.len();
    let skipped_note = if skipped.is_empty() {
        String::new()
    } else {
        format!("; skipped {} already done", skipped.len())
    };
    let verified_note = if args.bulk || extra.watch.is_some() {
        format!(", {} verified", ok - unverified.len())
    } else {
        String::new()
    };
    core::say(&format!(
        "reset {ok} of {total} user(s) ({}){verified_note} in {:.1}s{skipped_note}",
        scope.words(),
        started.elapsed().as_secs_f64()
    ));
    if let Run::Bulk(r) = &run {
        let mut calls: Vec<String> = r.calls().map(|(m, n)| format!("{n} {m}")).collect();
        calls.sort();
        core::say(&format!("calls made: {}", calls.join(", ")));
    }
    if !failed.is_empty() {
        core::say(&format!("{} failed: {}", failed.len(), failed.join(", ")));
    }
    if !unverified.is_empty() {
        core::say(&format!(
            "{} reset but not verified: {}",
            unverified.len(),
            unverified.join(", ")
        ));
    }
    if let Some(why) = output_failure {
        core::say(&format!("{not_attempted} user(s) not attempted"));
        return Err(Failure::output(why));
    }
    if let Some(reason) = run.stopped() {
        core::say(&format!("stopped early: {reason}"));
        let resume = match &report {
            Some(file) => format!("rerun with --report {}", file.path.display()),
            None => "rerun with --skip-done <this run's output> (or use --report FILE)".to_owned(),
        };
        core::say(&format!(
            "{not_attempted} user(s) not attempted; fix the cause and {resume}"
        ));
    }
    if failed.is_empty() && unverified.is_empty() && not_attempted == 0 {
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{} user(s) not reset{}",
            failed.len() + not_attempted,
            if unverified.is_empty() {
                String::new()
            } else {
                format!(", {} not verified", unverified.len())
            }
        )))
    }
}

/// Duplicates kept once, in order (an email and an id can name the same user).
fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// What the run will do, for the guard rail and the dry run.
fn plan(args: &ResetManyArgs, scope: Scope, todo: &[String], skipped: usize) -> guard::Plan {
    let (methods, calls) = if args.bulk {
        (
            vec![
                ListRequest::NAME,
                ResetBulkRequest::NAME,
                ResetRequest::NAME,
            ],
            // The enqueue, a snapshot walk and a verification walk at the least.
            todo.len().div_ceil(ResetBulkRequest::MAX_USERS) + 2,
        )
    } else {
        (vec![ResetRequest::NAME], todo.len())
    };
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(format!(
            "{skipped} user(s) skipped: an earlier report shows them done"
        ));
    }
    if args.bulk {
        notes.push("every user is verified against the session list; anyone the bulk job misses gets one reset".into());
    }
    guard::Plan {
        action: format!(
            "log out {} user(s): {}{}",
            todo.len(),
            scope.words(),
            if args.all {
                " (--all: the whole org)"
            } else {
                ""
            }
        ),
        users: todo.len(),
        sessions: None,
        ids: todo.to_vec(),
        methods,
        calls,
        notes,
        always_ask: args.all,
    }
}

/// Why a dry run of `--all` needs a token, and what it does with it.
const ALL_DRY_RUN_NEEDS_A_TOKEN: &str = "a dry run of --all needs a real token in SLACK_TOKEN (or --token): it finds who would be logged out with read calls (auth.test, then admin.users.list, 100 users a call), and writes nothing";

/// How admin.users.list is walked to find the org's users.
const ALL_READS: &str = "page by page, 100 users a call";

/// The plan: the first request, then every user it would touch, one per line (an
/// address shown with the id it resolved to, or marked unresolved); the calls on stderr.
fn dry_run(
    client: &slack_sessions::Client<UreqTransport>,
    args: &ResetManyArgs,
    global: &Global,
    scope: Scope,
    todo: &[String],
    skipped: usize,
    resolved: &Resolved,
) -> Result<(), Failure> {
    resolved.say();
    let method = if args.bulk {
        ResetBulkRequest::NAME
    } else {
        ResetRequest::NAME
    };
    let http_request = match todo.first() {
        None => None,
        Some(_) if args.bulk => Some(client.build_request(&ResetBulkRequest::scoped(
            todo.iter().take(ResetBulkRequest::MAX_USERS).cloned(),
            args.mobile_only,
            args.web_only,
        ))?),
        Some(first) => Some(client.build_request(&ResetRequest::scoped(
            first.clone(),
            args.mobile_only,
            args.web_only,
        ))?),
    };
    let calls = if args.bulk {
        format!(
            "{} {} call(s) of up to 1,000 users (the request shown is the first), after a snapshot walk of {} and before verification walks of it, then one {} for each user the job misses",
            todo.len().div_ceil(ResetBulkRequest::MAX_USERS),
            ResetBulkRequest::NAME,
            ListRequest::NAME,
            ResetRequest::NAME
        )
    } else {
        format!(
            "one {} call each (the request shown is the first; the others differ only in user_id)",
            ResetRequest::NAME
        )
    };
    let unresolved = resolved.unresolved().count();
    if global.json {
        let mut plan = json::Object::ok()
            .field("dry_run", true)
            .field("method", method)
            .field("scope", scope.as_str())
            .field("users", todo.len())
            .field("skipped", skipped)
            .field("unresolved_emails", unresolved)
            .field("calls", &calls);
        if let Some(r) = &http_request {
            plan = plan.field("request", core::dry_run::request_json(r, resolved));
        }
        plan.print()?;
        for id in todo {
            let email = resolved.email_of(id);
            let given = resolved
                .emails
                .iter()
                .find(|(_, r)| r.as_deref() == Some(id.as_str()))
                .map(|(e, _)| e.as_str());
            json::Object::ok()
                .field("dry_run", true)
                .field("user_id", if email.is_some() { None } else { Some(id) })
                .field("email", email.or(given))
                .field("unresolved", email.is_some())
                .field("method", method)
                .field("scope", scope.as_str())
                .print()?;
        }
    } else {
        if let Some(r) = &http_request {
            core::print(&core::dry_run::request_text(r, resolved))?;
            core::print("")?;
        }
        core::print(&format!(
            "# the {} user(s) it would reset, one per line:",
            todo.len()
        ))?;
        for id in todo {
            let line = match resolved.email_of(id) {
                Some(email) => format!("{email}\t(unresolved: looked up first, needs a token)"),
                None => match resolved
                    .emails
                    .iter()
                    .find(|(_, r)| r.as_deref() == Some(id.as_str()))
                {
                    Some((email, _)) => format!("{id}\t({email})"),
                    None => id.clone(),
                },
            };
            core::print(&line)?;
        }
    }
    let who = if args.all {
        " (found with read calls only)"
    } else {
        ""
    };
    let unresolved_note = if unresolved > 0 {
        format!("; {unresolved} email address(es) would be resolved to ids first")
    } else {
        String::new()
    };
    core::say(&format!(
        "dry run: would reset {} of {} user(s){who} with {calls}, and skip {skipped} already done; nothing was written{unresolved_note}",
        scope.words(),
        todo.len(),
    ));
    Ok(())
}

pub(crate) fn outcome_line(o: &ResetOutcome, scope: Scope, checked: bool) -> String {
    Line {
        user_id: &o.user_id,
        ok: o.is_ok(),
        scope: scope.as_str(),
        method: match o.how {
            ResetHow::Bulk => report::BULK_METHOD,
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

/// Reads user ids: one per line, a UTF-8 BOM stripped, `#` starts a comment, blank lines
/// skipped, duplicates kept once. Every line is checked before anything is sent; a line
/// with a comma or a tab (a CSV, a spreadsheet paste) is refused rather than taken whole
/// as one id.
fn read_ids(input: Option<&Path>) -> Result<Vec<String>, Failure> {
    let from_stdin = input.is_none_or(|p| p == Path::new("-"));
    let name = match input {
        Some(p) if !from_stdin => p.display().to_string(),
        _ => "stdin".to_owned(),
    };
    let reader: Box<dyn BufRead> = if from_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            core::say("reading user ids from the terminal, one per line; end with Ctrl-D");
        }
        Box::new(stdin.lock())
    } else {
        let path = input.expect("a path unless stdin");
        Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(
            |e| Failure::usage(format!("cannot read {name}: {e}")),
        )?))
    };
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut bad = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line =
            line.map_err(|e| Failure::usage(format!("cannot read the user ids from {name}: {e}")))?;
        let line = if n == 0 {
            line.trim_start_matches('\u{feff}')
        } else {
            &line
        };
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        if let Some(sep) = [(',', "a comma"), ('\t', "a tab")]
            .into_iter()
            .find(|(c, _)| id.contains(*c))
        {
            bad.push(format!(
                "line {}: {id:?} has {}: give one user id per line (for a CSV, take its id column first, e.g. `cut -d, -f1`)",
                n + 1,
                sep.1
            ));
        } else if let Err(e) = ResetRequest::new(id).validate() {
            bad.push(format!("line {}: {id:?} {}", n + 1, e.reason()));
        } else if seen.insert(id.to_owned()) {
            ids.push(id.to_owned());
        }
    }
    if !bad.is_empty() {
        return Err(Failure::usage(format!(
            "{} invalid line(s) in {name}, nothing was sent:\n  {}",
            bad.len(),
            bad.join("\n  ")
        )));
    }
    if ids.is_empty() {
        return Err(Failure::usage(format!(
            "no user ids in {name} (blank lines and # comments are skipped): nothing to do"
        )));
    }
    Ok(ids)
}

/// Reads the ids or email addresses of one CSV column (see [`csv`]). Every row is
/// checked before anything is sent; a bad one is named by row number and column.
fn read_column(input: Option<&Path>, column: &str) -> Result<Vec<String>, Failure> {
    let column = csv::Column::parse(column).map_err(Failure::usage)?;
    let from_stdin = input.is_none_or(|p| p == Path::new("-"));
    let (name, text) = if from_stdin {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| Failure::usage(format!("cannot read the CSV from stdin: {e}")))?;
        ("stdin".to_owned(), text)
    } else {
        let path = input.expect("a path unless stdin");
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
        (path.display().to_string(), text)
    };
    let rows = csv::records(&text)
        .map_err(|e| Failure::usage(format!("{name} is not valid CSV: {e}; nothing was sent")))?;
    let check = |cell: &str| -> Result<(), String> {
        let bad = if cell.contains('@') {
            slack_sessions::LookupByEmailRequest::new(cell).validate()
        } else {
            ResetRequest::new(cell).validate()
        };
        bad.map_err(|e| e.reason().to_owned())
    };
    // With an index, row 1 is a header unless its cell looks like a user id or address.
    let looks_like_a_user = |c: &str| {
        check(c).is_ok()
            && (c.contains('@')
                || (c.starts_with(['U', 'W'])
                    && c.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())))
    };
    let (header, cells, col) = csv::column(&rows, &column, looks_like_a_user)
        .map_err(|e| Failure::usage(format!("{name}: {e}; nothing was sent")))?;
    if let (csv::Column::Index(_), Some(h)) = (&column, &header) {
        core::say(&format!(
            "{name}: row 1 is taken as the header ({col} is {h:?})"
        ));
    }
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut bad = Vec::new();
    for (row, cell) in cells {
        match cell.as_deref() {
            None => bad.push(format!("row {row}, {col}: the row has no such column")),
            Some("") => bad.push(format!("row {row}, {col}: empty")),
            Some(c) => match check(c) {
                Err(why) => bad.push(format!("row {row}, {col}: {c:?} {why}")),
                Ok(()) => {
                    if seen.insert(c.to_owned()) {
                        ids.push(c.to_owned());
                    }
                }
            },
        }
    }
    if !bad.is_empty() {
        return Err(Failure::usage(format!(
            "{} bad row(s) in {name}, nothing was sent:\n  {}",
            bad.len(),
            bad.join("\n  ")
        )));
    }
    if ids.is_empty() {
        return Err(Failure::usage(format!(
            "no user ids or email addresses in {col} of {name}: nothing to do"
        )));
    }
    Ok(ids)
}

/// What the run is doing, for the progress line (a terminal) or stderr lines (anything
/// else): done/total, rate, ETA, and what is being waited for.
pub(crate) struct Progress {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

struct State {
    total: usize,
    finished: usize,
    started: Instant,
    tty: bool,
    /// The user whose call is in flight, since when, and when a line about it was last said.
    calling: Option<(String, Instant, Instant)>,
    /// What is being waited for, until when.
    waiting: Option<(String, Instant)>,
}

/// A call with no answer for this long is said (and said again this often) on stderr
/// when stderr is not a terminal.
const SILENCE_NOTE: Duration = Duration::from_secs(10);

impl Progress {
    pub(crate) fn start(total: usize) -> Self {
        let tty = std::io::stderr().is_terminal();
        let state = Arc::new(Mutex::new(State {
            total,
            finished: 0,
            started: Instant::now(),
            tty,
            calling: None,
            waiting: None,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (state, stop) = (state.clone(), stop.clone());
            std::thread::Builder::new()
                .name("progress".into())
                .spawn(move || {
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(250));
                        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                        s.tick();
                    }
                })
                .ok()
        };
        Progress {
            state,
            stop,
            ticker,
        }
    }

    fn total(&self, total: usize) {
        self.with(|s| {
            s.total = total;
            s.started = Instant::now();
        });
    }

    fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The client's `on_wait`: the wait shows in the progress line, or as a line.
    pub(crate) fn on_wait(&self) -> impl Fn(&slack_sessions::Wait<'_>) + Send + Sync + 'static {
        let state = self.state.clone();
        move |w| {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            let who = s
                .calling
                .as_ref()
                .map_or_else(String::new, |(u, _, _)| format!(" (user {u})"));
            let words = format!("{}{who}", core::wait_words(w));
            if !s.tty {
                core::say(&words);
            }
            s.waiting = Some((words, Instant::now() + w.delay));
            s.tick();
        }
    }

    fn calling(&self, user: Option<&str>) {
        self.with(|s| {
            let now = Instant::now();
            s.calling = user.map(|u| (u.to_owned(), now, now));
            s.waiting = None;
        });
    }

    fn finished(&self, n: usize) {
        self.with(|s| {
            s.finished = n;
            s.calling = None;
            s.waiting = None;
            s.tick();
        });
    }

    pub(crate) fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.with(|s| {
            if s.tty {
                eprintln!();
            }
        });
    }
}

impl State {
    fn tick(&mut self) {
        let now = Instant::now();
        let status = match (&self.waiting, &mut self.calling) {
            (Some((words, until)), _) if *until > now => {
                format!("{words}: {} left", core::seconds(*until - now))
            }
            (_, Some((user, since, said))) if now - *since >= Duration::from_secs(2) => {
                let waited = now - *since;
                if !self.tty && now - *said >= SILENCE_NOTE {
                    *said = now;
                    core::say(&format!(
                        "{user}: still waiting for an answer from Slack after {}",
                        core::seconds(waited)
                    ));
                }
                format!("{user}: waiting for an answer ({})", core::seconds(waited))
            }
            _ => String::new(),
        };
        if self.tty {
            let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
            let per_second = self.finished as f64 / elapsed;
            let eta = if per_second > 0.0 {
                format!(
                    "ETA {:.0}s",
                    (self.total - self.finished) as f64 / per_second
                )
            } else {
                "ETA -".to_owned()
            };
            eprint!(
                "\r{}/{} done, {:.0}/min, {eta}{}{status}\x1b[K",
                self.finished,
                self.total,
                per_second * 60.0,
                if status.is_empty() { "" } else { "; " },
            );
        }
    }
}
