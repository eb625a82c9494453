//! `slack-sessions`: log Slack users out during an incident.
//!
//! A thin shell over the `slack_sessions` library; see `slack-sessions --help` and the
//! README's CLI reference. Exit codes: 0 success, 1 Slack refused or the call failed,
//! 2 usage error or input refused before any network call.

use std::collections::HashSet;
use std::error::Error as StdError;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use slack_sessions::{
    BulkOptions, ClearSettingsRequest, Client, Error, GetSettingsRequest, HttpRequest,
    InvalidateRequest, ListRequest, ResetOutcome, ResetRequest, RetryPolicy, SetSettingsRequest,
    SlackMethod, UreqTransport,
};

/// Log Slack users out: reset all their sessions, or end one session.
///
/// Needs a user token (xoxp-...) of an Enterprise Grid org owner or admin, in SLACK_TOKEN
/// (preferred: a --token argument is visible to other local users in the process list),
/// with admin.users:write for the commands that change sessions and admin.users:read for
/// `list` and `settings get`.
#[derive(Parser, Debug)]
#[command(name = "slack-sessions", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
struct Global {
    /// Slack user token (xoxp-...); scopes: admin.users:write, admin.users:read.
    #[arg(long, global = true, env = "SLACK_TOKEN", hide_env_values = true)]
    token: Option<String>,

    /// Web API base URL (https://, or http:// to a loopback host for testing).
    #[arg(long, global = true, env = "SLACK_API_URL", default_value = slack_sessions::DEFAULT_API_URL)]
    api_url: String,

    /// Give up on an attempt after this many seconds (fractions allowed).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,

    /// Retry a rate-limited (429) or transiently failed call up to N times, waiting as
    /// Slack's Retry-After says (0 turns retries off).
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    retries: u32,

    /// Send through this HTTP proxy (http://host:port; HTTPS is tunnelled with CONNECT).
    /// Without it, HTTPS_PROXY / ALL_PROXY are honoured when --proxy-from-env is given.
    #[arg(long, global = true, value_name = "URL")]
    proxy: Option<String>,

    /// Use the proxy named by ALL_PROXY / HTTPS_PROXY / HTTP_PROXY (and NO_PROXY).
    #[arg(long, global = true, conflicts_with = "proxy")]
    proxy_from_env: bool,

    /// Print the HTTP request that would be sent (token redacted) and exit without
    /// any network I/O. Works without a token.
    #[arg(long, global = true)]
    dry_run: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Log a user out: wipe every session on every device (or only web / only mobile).
    ///
    /// Calls admin.users.session.reset (scope admin.users:write, Tier 2).
    Reset {
        /// The user's id, e.g. W12345678.
        user_id: String,
        /// Only expire mobile sessions.
        #[arg(long, conflicts_with = "web_only")]
        mobile_only: bool,
        /// Only expire web sessions.
        #[arg(long)]
        web_only: bool,
    },
    /// End one session, named by its owner and its id.
    ///
    /// Calls admin.users.session.invalidate (scope admin.users:write, Tier 2).
    Invalidate {
        /// The user the session belongs to (required).
        #[arg(long = "user", value_name = "USER_ID", required = true)]
        user_id: String,
        /// The workspace the session belongs to, sent alongside --user (optional).
        #[arg(long = "team", value_name = "TEAM_ID")]
        team_id: Option<String>,
        /// The session's id (an integer, from `slack-sessions list`).
        #[arg(long = "session", value_name = "SESSION_ID")]
        session_id: u64,
    },
    /// Log out many users, one call each, riding out rate limits. Prints one JSON line per
    /// user to stdout as each finishes; progress and the summary go to stderr.
    ///
    /// Calls admin.users.session.reset per user (scope admin.users:write, Tier 2).
    ResetMany {
        /// File of user ids, one per line (blank lines and # comments skipped); - or
        /// nothing for stdin.
        #[arg(value_name = "FILE|-")]
        input: Option<PathBuf>,
        /// Only expire mobile sessions.
        #[arg(long, conflicts_with = "web_only")]
        mobile_only: bool,
        /// Only expire web sessions.
        #[arg(long)]
        web_only: bool,
        /// Start at most N calls a minute (when the token's rate budget is shared).
        #[arg(long, value_name = "N")]
        rate: Option<u32>,
        /// Stop when Slack has not answered anything for this long (default 120).
        #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
        max_silence: Option<Duration>,
        /// An earlier run's stdout: users it shows as done are skipped, so a run that was
        /// cut off resumes where it stopped.
        #[arg(long, value_name = "REPORT")]
        skip_done: Option<PathBuf>,
    },
    /// List active sessions (every page), as a table or JSON lines.
    ///
    /// Calls admin.users.session.list (scope admin.users:read, Tier 2).
    List {
        /// Only this user's sessions; Slack needs --team with it.
        #[arg(long = "user", value_name = "USER_ID", requires = "team_id")]
        user_id: Option<String>,
        /// The workspace of --user; Slack needs --user with it.
        #[arg(long = "team", value_name = "TEAM_ID", requires = "user_id")]
        team_id: Option<String>,
        /// Sessions per page requested from Slack (1 to 1000; Slack's default is 1000).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: Option<u32>,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Read, set or clear users' session settings (duration, quit on close).
    #[command(subcommand)]
    Settings(SettingsCommand),
}

#[derive(Subcommand, Debug)]
enum SettingsCommand {
    /// Show the users' own session settings.
    ///
    /// Calls admin.users.session.getSettings (scope admin.users:read, Tier 4).
    Get {
        /// User ids.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
    },
    /// Set the session duration and/or quit-on-close for up to 1,000 users.
    ///
    /// Calls admin.users.session.setSettings (scope admin.users:write, Tier 4).
    Set {
        /// User ids.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
        /// Session duration in seconds (28800 = 8 hours to 315569520 = 10 years).
        #[arg(long, value_name = "SECONDS")]
        duration: Option<u64>,
        /// End sessions when the desktop app or browser window closes.
        #[arg(long, value_name = "BOOL")]
        quit_on_close: Option<bool>,
    },
    /// Remove the users' own settings (the org's defaults apply again).
    ///
    /// Calls admin.users.session.clearSettings (scope admin.users:write, Tier 4).
    Clear {
        /// User ids.
        #[arg(required = true, value_name = "USER_ID")]
        user_ids: Vec<String>,
    },
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!("{text:?}: give a positive number of seconds"));
    }
    let max = slack_sessions::transport::ureq::MAX_TIMEOUT.as_secs_f64();
    if secs > max {
        return Err(format!("{text:?}: at most {max} seconds (one day)"));
    }
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

/// What went wrong, and the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: 2,
            message: message.into(),
        }
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error {
            Error::InvalidRequest(_) | Error::Config(_) => 2,
            _ => 1,
        };
        Failure {
            code,
            message: describe(&error),
        }
    }
}

/// The error, its sources, and the request id when Slack gave one.
fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    if let Error::Api(api) = error {
        // Display shows the first few of Slack's messages; the rest go here, bounded.
        for message in api.messages().iter().skip(3).take(50) {
            text.push_str("\n  slack: ");
            text.push_str(message);
        }
        if api.messages().len() > 53 {
            text.push_str(&format!(
                "\n  ({} more messages not shown)",
                api.messages().len() - 53
            ));
        }
    }
    if let Some(id) = error.request_id() {
        if !text.contains(id) {
            text.push_str(&format!(" [request id {id}]"));
        }
    }
    if error.attempts() > 1 {
        text.push_str(&format!(" (after {} attempts)", error.attempts()));
    }
    text
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("slack-sessions: error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let g = &cli.global;
    let token = match (&g.token, g.dry_run) {
        (Some(t), _) => t.clone(),
        // A dry run never sends; any well-formed placeholder lets the request be built.
        (None, true) => "xoxp-dry-run".to_owned(),
        (None, false) => return Err(Failure::usage(
            "no token: set SLACK_TOKEN (or pass --token); try --dry-run to see the request first",
        )),
    };
    let mut builder = Client::builder(token)
        .api_url(g.api_url.clone())
        .user_agent(concat!("slack-sessions-cli/", env!("CARGO_PKG_VERSION")))
        .retry(RetryPolicy::default().max_retries(g.retries))
        .proxy_from_env(g.proxy_from_env);
    if let Some(t) = g.timeout {
        builder = builder.timeout(t);
    }
    if let Some(p) = &g.proxy {
        builder = builder.proxy(p.clone());
    }
    let client = builder.build()?;

    match &cli.command {
        Command::Reset {
            user_id,
            mobile_only,
            web_only,
        } => {
            let mut req = ResetRequest::new(user_id.clone());
            if *mobile_only {
                req = req.mobile_only(true);
            }
            if *web_only {
                req = req.web_only(true);
            }
            let scope = match (mobile_only, web_only) {
                (true, _) => "mobile sessions",
                (_, true) => "web sessions",
                _ => "sessions on every device",
            };
            call(&client, &req, g.dry_run, || {
                format!("reset {scope} of {user_id}")
            })
        }
        Command::Invalidate {
            session_id,
            user_id,
            team_id,
        } => {
            let mut req = InvalidateRequest::new(user_id.clone(), *session_id);
            if let Some(t) = team_id {
                req = req.team(t.clone());
            }
            call(&client, &req, g.dry_run, || {
                format!("invalidated session {session_id}")
            })
        }
        Command::ResetMany {
            input,
            mobile_only,
            web_only,
            rate,
            max_silence,
            skip_done,
        } => {
            let mut options = BulkOptions::new()
                .mobile_only(*mobile_only)
                .web_only(*web_only)
                .per_minute(rate.unwrap_or(0));
            if let Some(limit) = max_silence {
                options = options.max_silence(*limit);
            }
            reset_many(
                &client,
                input.as_deref(),
                skip_done.as_deref(),
                options,
                g.dry_run,
            )
        }
        Command::List {
            user_id,
            team_id,
            limit,
            json,
        } => {
            let mut req = ListRequest::new();
            match (user_id, team_id) {
                (Some(u), Some(t)) => req = req.user_in_team(u.clone(), t.clone()),
                (None, None) => {}
                _ => {
                    return Err(Failure::usage(
                        "--user and --team go together (Slack needs both or neither)",
                    ))
                }
            }
            if let Some(l) = limit {
                req = req.limit(*l);
            }
            if g.dry_run {
                return call(&client, &req, true, String::new);
            }
            list(&client, &req, *json)
        }
        Command::Settings(SettingsCommand::Get { user_ids }) => {
            let req = GetSettingsRequest::new(user_ids.iter().cloned());
            if g.dry_run {
                return call(&client, &req, true, String::new);
            }
            let answer = client.send_with_meta(&req)?;
            print_warnings(answer.meta.warnings());
            for s in &answer.response.session_settings {
                let duration = s.duration.map_or("-".to_owned(), |d| format!("{d}s"));
                let quit = s
                    .desktop_app_browser_quit
                    .map_or("-".to_owned(), |q| q.to_string());
                println!("{}\tduration={duration}\tquit_on_close={quit}", s.user_id);
            }
            for u in &answer.response.no_settings_applied {
                println!("{u}\t(no settings of their own: the org's defaults apply)");
            }
            Ok(())
        }
        Command::Settings(SettingsCommand::Set {
            user_ids,
            duration,
            quit_on_close,
        }) => {
            let mut req = SetSettingsRequest::new(user_ids.iter().cloned());
            if let Some(d) = duration {
                req = req.duration(Duration::from_secs(*d));
            }
            if let Some(q) = quit_on_close {
                req = req.desktop_app_browser_quit(*q);
            }
            let n = user_ids.len();
            call(&client, &req, g.dry_run, || {
                format!("set session settings of {n} user(s)")
            })
        }
        Command::Settings(SettingsCommand::Clear { user_ids }) => {
            let req = ClearSettingsRequest::new(user_ids.iter().cloned());
            let n = user_ids.len();
            call(&client, &req, g.dry_run, || {
                format!("cleared session settings of {n} user(s)")
            })
        }
    }
}

fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        eprintln!("slack-sessions: warning from Slack: {warning}");
    }
}

/// Reads user ids: one per line, `#` starts a comment, blank lines skipped, duplicates
/// kept once. Every id is checked before anything is sent.
fn read_ids(input: Option<&Path>) -> Result<Vec<String>, Failure> {
    let reader: Box<dyn BufRead> = match input {
        None => Box::new(std::io::stdin().lock()),
        Some(p) if p == Path::new("-") => Box::new(std::io::stdin().lock()),
        Some(p) => Box::new(std::io::BufReader::new(
            std::fs::File::open(p)
                .map_err(|e| Failure::usage(format!("cannot read {}: {e}", p.display())))?,
        )),
    };
    let mut ids = Vec::new();
    let mut seen = HashSet::new();
    let mut bad = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| Failure::usage(format!("cannot read the user ids: {e}")))?;
        let id = line.split('#').next().unwrap_or("").trim();
        if id.is_empty() {
            continue;
        }
        if let Err(e) = ResetRequest::new(id).validate() {
            bad.push(format!("line {}: {id:?} {}", n + 1, e.reason()));
        } else if seen.insert(id.to_owned()) {
            ids.push(id.to_owned());
        }
    }
    if !bad.is_empty() {
        return Err(Failure::usage(format!(
            "{} invalid user id(s), nothing was sent:\n  {}",
            bad.len(),
            bad.join("\n  ")
        )));
    }
    Ok(ids)
}

/// The users an earlier report shows as done.
fn read_done(report: &Path) -> Result<HashSet<String>, Failure> {
    let text = std::fs::read_to_string(report)
        .map_err(|e| Failure::usage(format!("cannot read the report {}: {e}", report.display())))?;
    let mut done = HashSet::new();
    let mut unreadable = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<serde_json::Value>(line) {
            Ok(v) => {
                if v["ok"] == serde_json::Value::Bool(true) {
                    if let Some(id) = v["user_id"].as_str() {
                        done.insert(id.to_owned());
                    }
                }
            }
            Err(_) => unreadable += 1,
        }
    }
    if unreadable > 0 {
        eprintln!(
            "slack-sessions: {unreadable} unreadable line(s) in {} ignored (a run cut off mid-line?)",
            report.display()
        );
    }
    Ok(done)
}

/// One line of a `reset-many` report, fields in this order.
#[derive(serde::Serialize)]
struct ReportLine<'a> {
    user_id: &'a str,
    ok: bool,
    error: Option<String>,
    request_id: Option<&'a str>,
    attempts: u32,
}

fn outcome_line(o: &ResetOutcome) -> String {
    let error = o.result.as_ref().err().map(|e| match e.code() {
        Some(code) => code.as_str().to_owned(),
        None => e.to_string(),
    });
    let line = ReportLine {
        user_id: &o.user_id,
        ok: o.is_ok(),
        error,
        request_id: o.request_id.as_deref(),
        attempts: o.attempts,
    };
    serde_json::to_string(&line).expect("a report line always serializes")
}

fn reset_many(
    client: &Client<UreqTransport>,
    input: Option<&Path>,
    skip_done: Option<&Path>,
    options: BulkOptions,
    dry_run: bool,
) -> Result<(), Failure> {
    let ids = read_ids(input)?;
    let done = match skip_done {
        Some(report) => read_done(report)?,
        None => HashSet::new(),
    };
    let (skipped, todo): (Vec<String>, Vec<String>) =
        ids.into_iter().partition(|id| done.contains(id));
    if dry_run {
        for id in &todo {
            println!("{id}");
        }
        eprintln!(
            "slack-sessions: dry run: would reset {} user(s), skip {} already done; nothing was sent",
            todo.len(),
            skipped.len()
        );
        return Ok(());
    }
    let total = todo.len();
    let progress = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut stdout = std::io::stdout().lock();
    let mut failed = Vec::new();
    let mut finished = 0;
    let mut run = client.reset_many(todo, options);
    for outcome in run.by_ref() {
        finished += 1;
        // One line per user, in one write and flushed at once, so a crash loses nothing
        // and a reader never sees half a line from a second write.
        let mut line = outcome_line(&outcome);
        line.push('\n');
        let _ = stdout.write_all(line.as_bytes());
        let _ = stdout.flush();
        if let Err(e) = &outcome.result {
            let code = e.code().map_or("failed", |c| c.as_str());
            failed.push(format!("{} ({code})", outcome.user_id));
        }
        if progress {
            let elapsed = started.elapsed().as_secs_f64().max(0.001);
            let per_second = finished as f64 / elapsed;
            let eta = (total - finished) as f64 / per_second;
            eprint!(
                "\r{finished}/{total} done, {:.0}/min, ETA {eta:.0}s   ",
                per_second * 60.0
            );
        }
    }
    if progress {
        eprintln!();
    }
    let not_attempted = run.remaining().len();
    let ok = finished - failed.len();
    let skipped_note = if skipped.is_empty() {
        String::new()
    } else {
        format!("; skipped {} already done", skipped.len())
    };
    eprintln!(
        "slack-sessions: reset {ok} of {total} user(s) in {:.1}s{skipped_note}",
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        eprintln!(
            "slack-sessions: {} failed: {}",
            failed.len(),
            failed.join(", ")
        );
    }
    if let Some(reason) = run.stopped() {
        eprintln!("slack-sessions: stopped early: {reason}");
        eprintln!(
            "slack-sessions: {not_attempted} user(s) not attempted; fix the cause and rerun with --skip-done <this run's output>"
        );
    }
    if failed.is_empty() && not_attempted == 0 {
        Ok(())
    } else {
        Err(Failure {
            code: 1,
            message: format!("{} user(s) not reset", failed.len() + not_attempted),
        })
    }
}

fn list(client: &Client<UreqTransport>, request: &ListRequest, json: bool) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    if !json {
        let _ = writeln!(
            stdout,
            "{:<12} {:<12} {:>20}  {:<32} RECENT IP",
            "USER", "TEAM", "SESSION_ID", "CREATED ON"
        );
    }
    let mut count = 0;
    for page in client.pages(request) {
        for s in &page?.active_sessions {
            count += 1;
            let line = if json {
                serde_json::json!({
                    "user_id": s.user_id,
                    "team_id": s.team_id,
                    "session_id": s.session_id,
                    "created": s.created.as_ref().map(device_json),
                    "recent": s.recent.as_ref().map(device_json),
                })
                .to_string()
            } else {
                let device = s
                    .created
                    .as_ref()
                    .map(|d| {
                        [
                            d.device_hardware.as_deref(),
                            d.os.as_deref(),
                            d.os_version.as_deref(),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                    })
                    .unwrap_or_default();
                let recent_ip = s
                    .recent
                    .as_ref()
                    .and_then(|r| r.ip.as_deref())
                    .unwrap_or("-");
                format!(
                    "{:<12} {:<12} {:>20}  {:<32} {recent_ip}",
                    s.user_id, s.team_id, s.session_id, device
                )
            };
            let _ = writeln!(stdout, "{line}");
        }
        let _ = stdout.flush();
    }
    if count == 0 {
        eprintln!("slack-sessions: no active sessions");
    } else {
        eprintln!("slack-sessions: {count} active session(s)");
    }
    Ok(())
}

fn device_json(d: &slack_sessions::DeviceInfo) -> serde_json::Value {
    serde_json::json!({
        "device_hardware": d.device_hardware,
        "os": d.os,
        "os_version": d.os_version,
        "slack_client_version": d.slack_client_version,
        "ip": d.ip,
    })
}

fn call<R: SlackMethod>(
    client: &Client<UreqTransport>,
    request: &R,
    dry_run: bool,
    done: impl FnOnce() -> String,
) -> Result<(), Failure> {
    if dry_run {
        let http_request = client.build_request(request)?;
        print_request(&http_request);
        eprintln!("slack-sessions: dry run: nothing was sent");
        return Ok(());
    }
    let answer = client.send_with_meta(request)?;
    print_warnings(answer.meta.warnings());
    let mut line = format!("ok: {}", done());
    if let Some(id) = answer.meta.request_id() {
        line.push_str(&format!(" [request id {id}]"));
    }
    println!("{line}");
    Ok(())
}

/// Prints the request as it would go on the wire, with the token replaced.
fn print_request(request: &HttpRequest) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{} {} HTTP/1.1", request.method(), request.uri());
    for (name, value) in request.headers() {
        let shown = if name == http::header::AUTHORIZATION {
            "Bearer [redacted]".to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        let _ = writeln!(out, "{name}: {shown}");
    }
    let _ = writeln!(out, "content-length: {}", request.body().len());
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", String::from_utf8_lossy(request.body()));
}
