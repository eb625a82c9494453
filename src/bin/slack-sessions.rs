//! `slack-sessions`: log Slack users out during an incident.
//!
//! A thin shell over the `slack_sessions` library; see `slack-sessions --help` and the
//! README's CLI reference. Exit codes: 0 success, 1 Slack refused or the call failed,
//! 2 usage error or input refused before any network call.

use std::error::Error as StdError;
use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use slack_sessions::{
    Client, Error, HttpRequest, InvalidateRequest, ResetRequest, RetryPolicy, SlackMethod,
    UreqTransport,
};

/// Log Slack users out: reset all their sessions, or end one session.
///
/// Needs a user token with the admin.users:write scope on an Enterprise Grid org, in
/// SLACK_TOKEN (preferred: a --token argument is visible to other local users in the
/// process list).
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
    /// Slack user token (xoxp-...) with admin.users:write.
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
    /// End one session, named by its id and its owner.
    Invalidate {
        /// The session's id (an integer, from `admin.users.session.list`).
        #[arg(long = "session", value_name = "SESSION_ID")]
        session_id: u64,
        /// The user the session belongs to (sent as user_id, Slack's preferred form).
        #[arg(
            long = "user",
            value_name = "USER_ID",
            required_unless_present = "team_id",
            conflicts_with = "team_id"
        )]
        user_id: Option<String>,
        /// The workspace the session belongs to (sent as team_id; Slack is retiring this form).
        #[arg(long = "team", value_name = "TEAM_ID")]
        team_id: Option<String>,
    },
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 {
        return Err(format!(
            "{text:?}: the timeout must be a positive number of seconds"
        ));
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
            let req = match (user_id, team_id) {
                (Some(u), None) => InvalidateRequest::for_user(u.clone(), *session_id),
                (None, Some(t)) => InvalidateRequest::for_team(t.clone(), *session_id),
                _ => {
                    return Err(Failure::usage(
                        "name the session's owner with exactly one of --user or --team",
                    ))
                }
            };
            call(&client, &req, g.dry_run, || {
                format!("invalidated session {session_id}")
            })
        }
    }
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
    for warning in answer.meta.warnings() {
        eprintln!("slack-sessions: warning from Slack: {warning}");
    }
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
