//! `slack-sessions find`: which sessions does the attacker hold? Then, on request, end
//! exactly those (`--invalidate`) or log their users out (`--reset`), and prove it.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use slack_sessions::{
    ActiveSession, AdminUsersListRequest, AuthTestRequest, ClientVersion, DeviceInfo, Error,
    ErrorClass, FindStrategy, GoneOptions, InvalidateRequest, IpFrom, IpRange, ListRequest,
    SessionFilter, SessionRef, SlackMethod, UreqTransport,
};

use crate::core::{self, guard, json, Failure, Global, Scope};
use crate::report::{self, ReportFile};
use crate::reset_many::{self, Progress, ResetManyArgs};

/// Find sessions: by user (on every workspace), workspace, address or range, OS,
/// device, client version; then, if asked, end them and prove they are gone.
///
/// The cheapest calls are chosen. --user with --team: one filtered
/// admin.users.session.list call. --user alone: the org walk below, kept to the user
/// (every workspace is searched: the user record's workspaces can omit one).
/// Anything else: one walk of admin.users.session.list without filters (Tier 2, 1,000
/// sessions a call: 100 calls, about 5 minutes, for 100,000 sessions), since Slack
/// filters by user only together with a workspace. Scope admin.users:read.
///
/// Output: a table (user, team, session id, device, created IP, recent IP), --csv, or
/// --json (one object per session); a count by user on stderr.
///
/// With --invalidate, each match is ended with admin.users.session.invalidate (scope
/// admin.users:write, Tier 2), one report line each; with --reset, every user holding a
/// match is logged out as reset-many does (--bulk: resetBulk). Either way the sessions
/// are then checked until they leave the session list (see --verify-deadline). More
/// than one user or session shows the plan and asks on a terminal; without one it
/// needs --yes. --dry-run shows the plan and every affected id and writes nothing.
#[derive(Args, Debug)]
#[command(
    override_usage = "slack-sessions find [--user U] [--team T] [--ip ADDR|CIDR]... [--not-ip CIDR]... [--ip-from created|recent|any] [--os TEXT] [--device TEXT] [--client-older-than VERSION] [--csv] [--invalidate | --reset [--bulk] [--include-self] [--mobile-only | --web-only]] [--report FILE] [--yes] [--verify-deadline SECONDS] [--verify-interval SECONDS] [--no-verify]"
)]
pub(crate) struct FindArgs {
    /// Only this user's sessions, on every workspace: a user id or an email address.
    #[arg(long, value_name = "USER")]
    user: Option<String>,
    /// Only sessions on this workspace (team id).
    #[arg(long, value_name = "TEAM_ID")]
    team: Option<String>,
    /// Only sessions from this address or CIDR range (IPv4 or IPv6); repeat for several.
    #[arg(long, value_name = "ADDR|CIDR", value_parser = parse_range)]
    ip: Vec<IpRange>,
    /// Only sessions from outside this range; repeat ("everything outside our VPN").
    /// A session whose address is missing or unreadable ("unknown") matches neither
    /// --ip nor --not-ip; how many were left out so is said on stderr.
    #[arg(long, value_name = "CIDR", value_parser = parse_range)]
    not_ip: Vec<IpRange>,
    /// Which address --ip and --not-ip look at: where the session was created, where it
    /// was last used (its created address if Slack lists no recent use), or either.
    #[arg(long, value_name = "WHICH", default_value = "any", value_parser = ip_from_parser())]
    ip_from: IpFrom,
    /// Only sessions whose OS contains this text (ignoring case).
    #[arg(long, value_name = "TEXT", value_parser = parse_text)]
    os: Option<String>,
    /// Only sessions whose device hardware contains this text (ignoring case).
    #[arg(long, value_name = "TEXT", value_parser = parse_text)]
    device: Option<String>,
    /// Only sessions on a Slack client older than this version (dot-separated numbers,
    /// e.g. 4.36.0). Versions are compared as numbers whatever the client: mobile apps
    /// (22.x, 24.x) and the desktop app (4.x) number differently, so pair it with --os
    /// (or --device) to aim at one of them.
    #[arg(long, value_name = "VERSION", value_parser = parse_version)]
    client_older_than: Option<ClientVersion>,
    /// Print CSV (with a header row) instead of the table.
    #[arg(long, conflicts_with = "json")]
    csv: bool,
    /// End every matching session (admin.users.session.invalidate), then verify.
    #[arg(long, conflicts_with = "reset")]
    invalidate: bool,
    /// Log out every user holding a matching session (as reset-many), then verify.
    #[arg(long)]
    reset: bool,
    /// With --reset: admin.users.session.resetBulk, 1,000 users a call (reset-many --bulk).
    #[arg(long, requires = "reset")]
    bulk: bool,
    /// Append one line per write (and per check) to this file and resume from it.
    #[arg(long, value_name = "FILE")]
    report: Option<PathBuf>,
    /// Go ahead without asking (needed when there is no terminal to ask on).
    #[arg(long, short = 'y')]
    yes: bool,
    /// How long the sessions get to leave the session list after the writes (default
    /// 120; with --reset --bulk, how long the bulk job gets before the single-reset
    /// fallback, default 600).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds)]
    verify_deadline: Option<Duration>,
    /// With --reset --bulk: wait this long before the first check of the session list
    /// (later checks back off; default 5).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, requires = "bulk")]
    verify_interval: Option<Duration>,
    /// With --reset: log out your own account too when it holds a match (by default it
    /// is left out, as with reset-many --all, so the responder keeps a working console).
    #[arg(long, requires = "reset")]
    include_self: bool,
    /// With --reset: end only the users' mobile sessions (and watch only those).
    #[arg(long, requires = "reset", conflicts_with = "web_only")]
    mobile_only: bool,
    /// With --reset: end only the users' web sessions (and watch only those).
    #[arg(long, requires = "reset")]
    web_only: bool,
    /// Do not check the session list after the writes.
    #[arg(long, conflicts_with = "bulk")]
    no_verify: bool,
    /// Give up on a call (a page of the walk, an invalidate, a reset) still rate limited
    /// after this long (default 600); with --reset, as reset-many takes it.
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds)]
    max_wait_per_user: Option<Duration>,
    /// Stop after this long, waits included (default: no bound).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds)]
    max_run_time: Option<Duration>,
}

/// When this run of `find` started: its --max-run-time counts from here.
static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// The rate-limit bounds of a call of this run.
fn bounds(args: &FindArgs) -> Bounds {
    let started = *STARTED.get_or_init(Instant::now);
    Bounds {
        per_call: Some(
            args.max_wait_per_user
                .unwrap_or(slack_sessions::VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL),
        ),
        run: args.max_run_time,
        until: args.max_run_time.and_then(|t| started.checked_add(t)),
    }
}

/// An address or range as typed: a range with host bits set (`10.0.0.1/8`) is refused,
/// naming the network, since the user may have meant the one address.
fn parse_range(text: &str) -> Result<IpRange, String> {
    let range = text.parse::<IpRange>().map_err(|e| e.reason().to_owned())?;
    if let Some((addr, _)) = text.trim().split_once('/') {
        let typed: std::net::IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an address or range"))?;
        let typed = match (typed, range.network()) {
            (std::net::IpAddr::V6(a), std::net::IpAddr::V4(_)) => {
                a.to_ipv4_mapped().map_or(typed, std::net::IpAddr::V4)
            }
            _ => typed,
        };
        if typed != range.network() {
            return Err(format!(
                "{text:?} has bits set past the prefix: write the network, {range}, or the one address, {addr}"
            ));
        }
    }
    Ok(range)
}

/// Text a filter needs (an empty --os would match everything).
fn parse_text(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        Err("is empty: give the text to look for (it would match every session)".to_owned())
    } else {
        Ok(text.to_owned())
    }
}

/// `--ip-from`'s values, named to clap so that completion scripts offer them.
fn ip_from_parser() -> impl clap::builder::TypedValueParser<Value = IpFrom> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["created", "recent", "any"])
        .try_map(|text| text.parse::<IpFrom>().map_err(|e| e.reason().to_owned()))
}

fn parse_version(text: &str) -> Result<ClientVersion, String> {
    ClientVersion::parse_strict(text).map_err(|e| e.reason().to_owned())
}

/// The checks after the writes, from the flags.
pub(crate) fn gone_options(deadline: Option<Duration>) -> GoneOptions {
    let mut options = GoneOptions::new();
    if let Some(d) = deadline {
        options = options.deadline(d);
    }
    options
}

pub(crate) fn run(args: &FindArgs, global: &Global) -> Result<(), Failure> {
    if (args.report.is_some() || args.yes) && !(args.invalidate || args.reset) {
        return Err(Failure::usage(
            "--report and --yes go with --invalidate or --reset (find alone writes nothing)",
        ));
    }
    if args.csv && global.json {
        // `find --csv --json` is refused by clap; `--json find --csv` is refused here.
        return Err(Failure::usage(
            "--csv and --json both choose the output: give one of them",
        ));
    }
    if args.verify_deadline.is_some() && (args.no_verify || !(args.invalidate || args.reset)) {
        return Err(Failure::usage(
            "--verify-deadline goes with --invalidate or --reset, and not with --no-verify (nothing would be checked)",
        ));
    }
    if global.token.is_none() {
        return Err(Failure::usage(
            "no token: find reads the session list, even with --dry-run; set SLACK_TOKEN (or pass --token)",
        )
        .with_error(json::code::NO_TOKEN));
    }
    // Ids are checked before any call (an email address is looked up by the walk).
    if let Some(u) = args.user.as_deref().filter(|u| !u.contains('@')) {
        slack_sessions::ResetRequest::new(u)
            .validate()
            .map_err(|e| Failure::usage(format!("--user {u:?} {}", e.reason())))?;
    }
    if let Some(t) = &args.team {
        ListRequest::new()
            .user_in_team("W1", t.as_str())
            .validate()
            .map_err(|e| Failure::usage(format!("--team {t:?} {}", e.reason())))?;
    }
    if let Some(path) = args.report.as_ref().filter(|_| !global.dry_run) {
        report::check_not_in_use(path)?;
    }
    let filter = filter(args);
    let bound = bounds(args);
    let client = core::simple_client(global)?;
    let acting = args.invalidate || args.reset;
    let output = Output::new(args, global);
    // A user id is counted too: a walk that never meets them says so (a typo must not
    // read as "0 matched").
    let mut walk = client
        .find_sessions(&filter)
        .max_wait_per_call(bound.per_call)
        .max_run_time(bound.run)
        .count_every_session(acting || args.user.is_some());
    let mut matched: Vec<ActiveSession> = Vec::new();
    let mut by_user: BTreeMap<String, usize> = BTreeMap::new();
    for session in walk.by_ref() {
        let session = session?;
        *by_user.entry(session.user_id.clone()).or_default() += 1;
        if acting {
            matched.push(session);
        } else if !output.row(&session)? {
            // The reader went away (`| head`): nothing is at stake, end quietly.
            return Ok(());
        }
    }
    say_what_was_read(&walk);
    let unreadable = walk.unreadable_addresses();
    if unreadable > 0 {
        // Under --not-ip ("outside our VPN") an address that cannot be read is suspect:
        // never left out silently.
        core::say(&format!(
            "warning: {unreadable} session(s) otherwise matching had no readable address under --ip-from {} and were not matched; run the same find without --ip/--not-ip to see them (their address columns show - or what Slack sent)",
            args.ip_from.as_str()
        ));
    }
    if let Some(user) = args.user.as_deref().filter(|_| args.team.is_none()) {
        // admin.users.list did not list the user (else their workspaces were read), and
        // the org walk met none of their sessions: no such user holds anything.
        let unknown = matches!(walk.strategy(), Some(FindStrategy::OrgWalk))
            && by_user.is_empty()
            && walk.sessions_seen(user).unwrap_or(0) == 0;
        if unknown {
            return Err(Failure::failed(format!(
                "--user {user}: admin.users.list lists no active user {user} and no session of the org is theirs; check the id (nothing was changed)"
            ))
            .with_error("user_not_found"));
        }
    }
    say_counts(&by_user);
    // Records Slack listed without a usable session id: no invalidate can name them, but
    // their users still have something active. Never left out silently.
    let without_id: Vec<(String, String)> = walk
        .without_id()
        .iter()
        .map(|s| (s.user_id.clone(), s.team_id.clone()))
        .collect();
    let mut id_less_users: Vec<&str> = without_id.iter().map(|(u, _)| u.as_str()).collect();
    id_less_users.sort_unstable();
    id_less_users.dedup();
    let id_less_note = (!without_id.is_empty()).then(|| {
        format!(
            "{} matching record(s) of user(s) {} have no usable session_id: they cannot be invalidated (no id names them){}; logging the user out ends them: slack-sessions reset <USER> --verify",
            without_id.len(),
            id_less_users.join(", "),
            if args.reset { ", and find --reset leaves them out" } else { "" }
        )
    });
    if let Some(note) = &id_less_note {
        core::say(&format!("warning: {note}"));
    }
    if global.json && by_user.is_empty() {
        // No match is an outcome a playbook must read too (as `list --json` says zero).
        json::Object::ok()
            .field("matched", 0)
            .field("active_sessions", 0)
            .field("without_session_id", without_id.len())
            .print()?;
    }
    if global.json && !acting {
        for (user, team) in &without_id {
            json::Object::ok()
                .field("user_id", user)
                .field("team_id", team)
                .field("session_id", None::<u64>)
                .field(
                    "note",
                    "listed without a usable session_id: cannot be invalidated; a reset of the user ends it",
                )
                .print()?;
        }
    }
    if !acting {
        return Ok(());
    }
    // Users all of whose sessions matched: one reset each would do.
    let whole: Vec<String> = by_user
        .iter()
        .filter(|(u, n)| walk.sessions_seen(u) == Some(**n as u32))
        .map(|(u, _)| u.clone())
        .collect();
    drop(walk);
    // A resumed --invalidate run still checks what its report shows written but not
    // proven, even when nothing matches any more.
    let resuming = args.invalidate && args.report.is_some() && !args.no_verify;
    if matched.is_empty() && !resuming {
        core::say("nothing matched: nothing to do");
        return Ok(());
    }
    let gone = gone_options(args.verify_deadline);
    if args.invalidate {
        return invalidate(
            args,
            global,
            &client,
            &matched,
            &whole,
            (!args.no_verify).then_some(gone),
        );
    }
    {
        // As reset-many --all does: the responder keeps a working console unless
        // --include-self, and the primary owner (whom Slack refuses to reset) is left out.
        let kept = kept_users(&client, args.include_self)?;
        let mut notes = Vec::new();
        let left_out: Vec<String> = by_user
            .keys()
            .filter_map(|u| kept.get(u).map(|why| format!("{u} ({why})")))
            .collect();
        if !left_out.is_empty() {
            notes.push(format!(
                "left out: {} (their matching sessions stay)",
                left_out.join(", ")
            ));
        }
        matched.retain(|s| !kept.contains_key(&s.user_id));
        if matched.len() <= 1 {
            // No plan is shown for one session: say it here.
            for line in &notes {
                core::say(line);
            }
        }
        if matched.is_empty() {
            core::say("no user left to log out: nothing to do");
            return Ok(());
        }
        let whole: Vec<&String> = whole.iter().filter(|u| !kept.contains_key(*u)).collect();
        let mut users = Vec::new();
        let mut seen = HashSet::new();
        for s in &matched {
            if seen.insert(s.user_id.clone()) {
                users.push(s.user_id.clone());
            }
        }
        let partial = users.len() - whole.len();
        if partial > 0 {
            notes.push(format!(
                "{partial} user(s) also hold sessions that did not match; a reset ends those too (--invalidate ends only the matches)"
            ));
        }
        let reset_args = ResetManyArgs::for_find(reset_many::FindReset {
            bulk: args.bulk,
            report: args.report.clone(),
            yes: args.yes,
            verify_deadline: args.verify_deadline,
            verify_interval: args.verify_interval,
            mobile_only: args.mobile_only,
            web_only: args.web_only,
        })
        .bounded(
            bound.per_call,
            bound
                .until
                .map(|u| u.saturating_duration_since(Instant::now())),
        );
        let scope = Scope::new(args.mobile_only, args.web_only);
        let extra = reset_many::Extra {
            notes,
            // A mobile- or web-only reset ends the matches of that kind (and those whose
            // fields do not tell, which are watched rather than assumed gone).
            watch: (!args.no_verify && !args.bulk).then(|| {
                (
                    matched
                        .iter()
                        .filter(|s| match scope {
                            Scope::All => true,
                            Scope::Mobile => s.is_mobile() != Some(false),
                            Scope::Web => s.is_mobile() != Some(true),
                        })
                        .map(SessionRef::from)
                        .collect(),
                    gone,
                )
            }),
            sessions: Some(matched.len()),
        };
        let resolved = core::Resolved {
            ids: users.clone(),
            ..core::Resolved::default()
        };
        // The run gets reset-many's progress line (and its words for waits) from here on.
        let progress = Progress::start(0);
        let client = core::client(global, progress.on_wait())?;
        reset_many::reset_users(
            &reset_args,
            global,
            &client,
            progress,
            users,
            &resolved,
            extra,
        )
    }
}

/// Who `find --reset` leaves out, with why: the token's own user (from auth.test) unless
/// `include_self`, and the primary owner(s) (admin.users.list, owners only). Read calls.
fn kept_users(
    client: &slack_sessions::Client<UreqTransport>,
    include_self: bool,
) -> Result<BTreeMap<String, &'static str>, Failure> {
    let mut kept = BTreeMap::new();
    let owners = AdminUsersListRequest::new()
        .include_owners(true)
        .limit(AdminUsersListRequest::MAX_LIMIT);
    for page in client.pages(&owners) {
        for u in page?.users {
            if u.is_primary_owner {
                kept.insert(u.id, "the primary owner: Slack refuses to reset them");
            }
        }
    }
    if !include_self {
        let me = client.send(&AuthTestRequest::new())?.user_id;
        if !me.is_empty() {
            kept.entry(me)
                .or_insert("you: --include-self to log yourself out too");
        }
    }
    Ok(kept)
}

fn filter(args: &FindArgs) -> SessionFilter {
    let mut f = SessionFilter::new().ip_from(args.ip_from);
    if let Some(u) = &args.user {
        f = f.user(u.clone());
    }
    if let Some(t) = &args.team {
        f = f.team(t.clone());
    }
    for r in &args.ip {
        f = f.ip(*r);
    }
    for r in &args.not_ip {
        f = f.not_ip(*r);
    }
    if let Some(os) = &args.os {
        f = f.os(os.clone());
    }
    if let Some(d) = &args.device {
        f = f.device(d.clone());
    }
    if let Some(v) = &args.client_older_than {
        f = f.client_older_than(v.clone());
    }
    f
}

/// Says on stderr how the sessions were reached and what it cost.
fn say_what_was_read<T: slack_sessions::Transport>(walk: &slack_sessions::FindSessions<'_, T>) {
    let how = match walk.strategy() {
        Some(FindStrategy::UserOnWorkspaces { user_id, teams }) => format!(
            "{user_id}'s sessions on {} workspace(s) ({})",
            teams.len(),
            teams.join(", ")
        ),
        Some(FindStrategy::OrgWalk) => "one walk of every session of the org".to_owned(),
        _ => "nothing".to_owned(),
    };
    let calls: Vec<String> = walk.calls().map(|(m, n)| format!("{n} {m}")).collect();
    core::say(&format!(
        "read {how}: {} call(s) ({})",
        walk.calls().map(|(_, n)| n).sum::<u32>(),
        calls.join(", ")
    ));
}

/// The count by user, on stderr: the 20 users with the most matches, then how many more.
fn say_counts(by_user: &BTreeMap<String, usize>) {
    let total: usize = by_user.values().sum();
    let mut top: Vec<(&String, &usize)> = by_user.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let shown: Vec<String> = top
        .iter()
        .take(20)
        .map(|(u, n)| format!("{u} {n}"))
        .collect();
    let more = top.len().saturating_sub(20);
    core::say(&format!(
        "{total} session(s) of {} user(s) matched{}{}{}",
        by_user.len(),
        if shown.is_empty() { "" } else { ": " },
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more user(s)")
        } else {
            String::new()
        }
    ));
}

/// How the matches are printed: a table, CSV or JSON lines.
struct Output {
    kind: Kind,
    /// Whether the header is out (it goes above the first row only).
    started: std::cell::Cell<bool>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Table,
    Csv,
    Json,
}

const COLUMNS: [&str; 6] = [
    "user_id",
    "team_id",
    "session_id",
    "device",
    "created_ip",
    "recent_ip",
];

impl Output {
    fn new(args: &FindArgs, global: &Global) -> Self {
        let kind = match (global.json, args.csv) {
            (true, _) => Kind::Json,
            (_, true) => Kind::Csv,
            _ => Kind::Table,
        };
        Output {
            kind,
            started: std::cell::Cell::new(false),
        }
    }

    fn header(&self) -> Result<bool, Failure> {
        match self.kind {
            Kind::Table => core::print_listing(&table_row(&[
                "USER",
                "TEAM",
                "SESSION_ID",
                "DEVICE",
                "CREATED IP",
                "RECENT IP",
            ])),
            Kind::Csv => core::print_listing(&COLUMNS.join(",")),
            Kind::Json => Ok(true),
        }
    }

    /// Prints one match (the header first, above the first one); `Ok(false)` when the
    /// reader has gone away.
    fn row(&self, s: &ActiveSession) -> Result<bool, Failure> {
        if !self.started.replace(true) && !self.header()? {
            return Ok(false);
        }
        let created_ip = ip(&s.created);
        let recent_ip = ip(&s.recent);
        let device = device(s);
        let id = s.session_id.to_string();
        match self.kind {
            Kind::Json => core::print_listing(&session_json(s).line()),
            Kind::Csv => core::print_listing(
                &[
                    s.user_id.as_str(),
                    &s.team_id,
                    &id,
                    &device,
                    created_ip.unwrap_or(""),
                    recent_ip.unwrap_or(""),
                ]
                .map(csv_field)
                .join(","),
            ),
            Kind::Table => core::print_listing(&table_row(&[
                &s.user_id,
                &s.team_id,
                &id,
                &device,
                created_ip.unwrap_or("-"),
                recent_ip.unwrap_or("-"),
            ])),
        }
    }
}

/// One session as a `--json` object (the shared shape: `ok`, then the fields).
fn session_json(s: &ActiveSession) -> json::Object {
    json::Object::ok()
        .field("user_id", &s.user_id)
        .field("team_id", &s.team_id)
        .field("session_id", s.session_id)
        .field("device", device(s))
        .field("created", s.created.as_ref().map(device_json))
        .field("recent", s.recent.as_ref().map(device_json))
}

fn device_json(d: &DeviceInfo) -> serde_json::Value {
    serde_json::json!({
        "device_hardware": d.device_hardware,
        "os": d.os,
        "os_version": d.os_version,
        "slack_client_version": d.slack_client_version,
        "ip": d.ip,
    })
}

fn ip(d: &Option<DeviceInfo>) -> Option<&str> {
    d.as_ref()?.ip.as_deref()
}

/// The device in words, from the latest details: hardware, OS and version, client.
fn device(s: &ActiveSession) -> String {
    let latest = |f: fn(&DeviceInfo) -> Option<&String>| {
        s.recent
            .as_ref()
            .and_then(f)
            .or_else(|| s.created.as_ref().and_then(f))
            .map(String::as_str)
    };
    let mut words: Vec<String> = [
        latest(|d| d.device_hardware.as_ref()),
        latest(|d| d.os.as_ref()),
        latest(|d| d.os_version.as_ref()),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .collect();
    if let Some(v) = latest(|d| d.slack_client_version.as_ref()) {
        words.push(format!("(Slack {v})"));
    }
    words.join(" ")
}

/// A table row; what Slack sent is shown without control characters (a device name is
/// the attacker's to choose, and must not drive the terminal).
fn table_row(cells: &[&str; 6]) -> String {
    let c: Vec<String> = cells.iter().map(|c| printable(c)).collect();
    format!(
        "{:<12} {:<10} {:>14}  {:<40} {:<16} {}",
        c[0], c[1], c[2], c[3], c[4], c[5]
    )
}

fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// A CSV field (RFC 4180): quoted when it holds a comma, quote or line break; a leading
/// `=`, `+`, `-`, `@` gets a `'` so a spreadsheet does not run it as a formula (device
/// names are the attacker's to choose).
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `find --invalidate`: the plan and its guard, one invalidate per match with a report
/// line each, then the proof.
fn invalidate(
    args: &FindArgs,
    global: &Global,
    client: &slack_sessions::Client<UreqTransport>,
    matched: &[ActiveSession],
    whole: &[String],
    verify: Option<GoneOptions>,
) -> Result<(), Failure> {
    let mut report = None;
    let mut earlier = report::Earlier::default();
    if let Some(path) = &args.report {
        let (file, read) = ReportFile::open(path)?;
        read.warn(path);
        earlier = read;
        report = Some(file);
    }
    // Writes an earlier run made and never proved (killed before its check): checked
    // with this run's, never sent again.
    let recheck: Vec<SessionRef> = if verify.is_some() {
        earlier
            .sessions_unverified()
            .into_iter()
            .map(|(u, t, id)| SessionRef::new(u, t, id))
            .collect()
    } else {
        Vec::new()
    };
    let (skipped, todo): (Vec<&ActiveSession>, Vec<&ActiveSession>) = matched
        .iter()
        .partition(|s| earlier.covers_session(&s.user_id, s.session_id));
    let users: HashSet<&str> = todo.iter().map(|s| s.user_id.as_str()).collect();
    let pairs: HashSet<(&str, &str)> = todo
        .iter()
        .map(|s| (s.user_id.as_str(), s.team_id.as_str()))
        .collect();
    // Users with 2+ sessions, all of them matched: one reset each would be cheaper.
    let cheaper: Vec<(&String, usize)> = whole
        .iter()
        .filter(|u| users.contains(u.as_str()))
        .map(|u| (u, todo.iter().filter(|s| &s.user_id == u).count()))
        .filter(|(_, n)| *n >= 2)
        .collect();
    let mut notes: Vec<String> = if cheaper.len() > 3 {
        let calls: usize = cheaper.iter().map(|(_, n)| n).sum();
        vec![format!(
            "all sessions of {} user(s) match: one reset each (`slack-sessions find ... --reset`) would end them with {} call(s) instead of {calls}",
            cheaper.len(),
            cheaper.len()
        )]
    } else {
        cheaper
            .iter()
            .map(|(u, n)| format!(
                "all of {u}'s sessions match: one reset (`slack-sessions reset {u}`) would end them with 1 call instead of {n}"
            ))
            .collect()
    };
    if !skipped.is_empty() {
        notes.push(format!(
            "{} session(s) skipped: the report shows them invalidated",
            skipped.len()
        ));
    }
    if !recheck.is_empty() {
        notes.push(format!(
            "{} session(s) the report shows invalidated but not verified are checked now",
            recheck.len()
        ));
    }
    let mut methods = vec![InvalidateRequest::NAME];
    if verify.is_some() {
        methods.push(ListRequest::NAME);
    }
    let plan = guard::Plan {
        action: format!(
            "invalidate {} session(s) of {} user(s)",
            todo.len(),
            users.len()
        ),
        users: users.len(),
        sessions: Some(todo.len()),
        ids: todo
            .iter()
            .map(|s| format!("{}/{}/{}", s.user_id, s.team_id, s.session_id))
            .collect(),
        methods,
        calls: todo.len() + if verify.is_some() { pairs.len() } else { 0 },
        notes,
        always_ask: false,
    };
    if global.dry_run {
        for line in plan.lines(false) {
            core::say(&line);
        }
        for s in &todo {
            if global.json {
                session_json(s).field("dry_run", true).print()?;
            } else {
                core::print(&format!("{} {} {}", s.user_id, s.team_id, s.session_id))?;
            }
        }
        core::say(&format!(
            "dry run: would invalidate the {} session(s) above; nothing was written",
            todo.len()
        ));
        return Ok(());
    }
    if todo.is_empty() && recheck.is_empty() {
        core::say(if matched.is_empty() {
            "nothing matched: nothing to do"
        } else {
            "every matching session is already invalidated in the report: nothing to do"
        });
        return Ok(());
    }
    if todo.is_empty() {
        for line in &plan.notes {
            core::say(line);
        }
    } else {
        guard::confirm(&plan, args.yes)?;
    }

    let started = Instant::now();
    let mut write = |line: String| -> Result<(), Failure> {
        match &mut report {
            Some(file) => file.append(&line).map_err(|e| {
                Failure::output(format!(
                    "could not write the report {}: {e}; stopped before the next write",
                    file.path.display()
                ))
            }),
            None => core::print(&line),
        }
    };
    let rechecked = recheck.len();
    let mut done = recheck;
    let mut failed = Vec::new();
    let mut stopped = None;
    for (n, s) in todo.iter().enumerate() {
        let request =
            InvalidateRequest::new(s.user_id.clone(), s.session_id).team(s.team_id.clone());
        let (result, gave_up) = send_patiently(client, &request, bounds(args));
        let (ok, request_id, attempts, error) = match &result {
            Ok(a) => (
                true,
                a.meta.request_id().map(str::to_owned),
                a.meta.attempts(),
                None,
            ),
            Err(e) => (
                false,
                e.request_id().map(str::to_owned),
                e.attempts(),
                Some(e),
            ),
        };
        let mut line = serde_json::json!({
            "user_id": s.user_id,
            "team_id": s.team_id,
            "session_id": s.session_id,
            "ok": ok,
            "scope": "session",
            "method": InvalidateRequest::NAME,
            // Nothing is checked yet: the check after the writes has lines of its own.
            "verified": null,
            "request_id": request_id,
            "attempts": attempts,
        });
        if let Some(e) = error {
            // Only a failed line has an `error` key: on an ok line it reads back as a
            // contradiction.
            line["error"] = json::error_code(e).into();
            line["message"] = core::describe(e).into();
        }
        if let Some(why) = &gave_up {
            line["detail"] = format!("{why}: this session was not invalidated").into();
        }
        write(line.to_string())?;
        match result {
            Ok(_) => done.push(SessionRef::from(*s)),
            Err(e) => {
                failed.push(format!(
                    "{}/{} ({})",
                    s.user_id,
                    s.session_id,
                    core::reason(&e)
                ));
                let fatal = matches!(&e, Error::Api(a) if a.code().class() == ErrorClass::Fatal)
                    || matches!(e, Error::RateLimited { .. } | Error::Config(_));
                if fatal {
                    let why = gave_up.map_or_else(|| format!("{e}"), |g| format!("{e}: {g}"));
                    stopped = Some((why, todo.len() - n - 1));
                    break;
                }
            }
        }
    }
    let mut unverified = Vec::new();
    if let Some(options) = &verify {
        core::say(&format!(
            "verifying: {} session(s) must leave the session list",
            done.len()
        ));
        let gone = client.await_gone(&done, options)?;
        let still: HashSet<&SessionRef> = gone.still_active.iter().collect();
        for s in &done {
            let left: Vec<u64> = if still.contains(s) {
                vec![s.session_id]
            } else {
                Vec::new()
            };
            write(report::verify_line(
                &s.user_id,
                Some((&s.team_id, s.session_id)),
                InvalidateRequest::NAME,
                Scope::All,
                &left,
            ))?;
        }
        unverified = gone
            .still_active
            .iter()
            .map(|s| format!("{}/{}/{}", s.user_id, s.team_id, s.session_id))
            .collect();
    }
    core::say(&format!(
        "invalidated {} of {} session(s){}{} in {:.1}s",
        done.len() - rechecked,
        todo.len(),
        if rechecked > 0 {
            format!(" (and checked {rechecked} an earlier run invalidated)")
        } else {
            String::new()
        },
        if verify.is_some() {
            format!(", {} verified gone", done.len() - unverified.len())
        } else {
            ", not verified (--no-verify)".to_owned()
        },
        started.elapsed().as_secs_f64()
    ));
    if !failed.is_empty() {
        core::say(&format!("{} failed: {}", failed.len(), failed.join(", ")));
    }
    if let Some((why, left)) = &stopped {
        core::say(&format!(
            "stopped early: {why}; {left} session(s) not attempted; fix the cause and rerun{}",
            args.report
                .as_ref()
                .map_or_else(String::new, |p| format!(" with --report {}", p.display()))
        ));
    }
    if !unverified.is_empty() {
        core::say(&format!(
            "still active at the deadline: {}",
            unverified.join(", ")
        ));
    }
    if failed.is_empty() && unverified.is_empty() && stopped.is_none() {
        if global.json && args.report.is_some() {
            // The lines went to the report: stdout gets the outcome.
            json::Object::ok()
                .field("method", InvalidateRequest::NAME)
                .field("invalidated", done.len() - rechecked)
                .field("rechecked", rechecked)
                .field("verified", verify.is_some().then_some(done.len()))
                .field(
                    "report",
                    args.report.as_ref().map(|p| p.display().to_string()),
                )
                .print()?;
        }
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "{} session(s) not invalidated{}",
            failed.len() + stopped.map_or(0, |s| s.1),
            if unverified.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} still active: {}",
                    unverified.len(),
                    unverified.join(", ")
                )
            }
        )))
    }
}

/// Sends `request`, waiting out 429s past the client's own retries (as reset-many's
/// runs do) within `bounds`: a session is never skipped over a rate limit before the
/// bound. A call still rate limited then returns the rate-limit error with a sentence
/// saying which bound gave up.
pub(crate) fn send_patiently<R: SlackMethod>(
    client: &slack_sessions::Client<UreqTransport>,
    request: &R,
    bounds: Bounds,
) -> (
    Result<slack_sessions::WithMeta<R::Response>, Error>,
    Option<String>,
) {
    let now = Instant::now();
    let run_left = bounds.until.map(|u| u.saturating_duration_since(now));
    let run_bound = run_left.is_some_and(|r| bounds.per_call.is_none_or(|c| r <= c));
    let max_time = if run_bound { run_left } else { bounds.per_call };
    let result = client.send_waiting(request, 1000, max_time);
    let why = match (&result, bounds.run) {
        (Err(Error::RateLimited { .. }), Some(run)) if run_bound => Some(format!(
            "still rate limited when the run's time bound ({}) ran out",
            core::seconds(run)
        )),
        (Err(Error::RateLimited { .. }), _) => Some(format!(
            "still rate limited after the bound per call ({})",
            core::seconds(bounds.per_call.unwrap_or_default())
        )),
        _ => None,
    };
    (result, why)
}

/// How long [`send_patiently`] may wait out rate limits: per call, and until the run's
/// time bound (`run`, which ends at `until`).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Bounds {
    pub(crate) per_call: Option<Duration>,
    pub(crate) run: Option<Duration>,
    pub(crate) until: Option<Instant>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("W1"), "W1");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1,2"), "\"'-1,2\"");
        assert_eq!(printable("a\x1b[2Jb"), "a?[2Jb");
    }
}
