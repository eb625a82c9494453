//! `slack-sessions`: log Slack users out during an incident.
//!
//! A thin shell over the `slack_sessions` library: one file per command, over a small
//! shared core (client setup, output, exit codes). See `slack-sessions --help` and the
//! README's CLI reference. Exit codes: 0 success, 1 Slack refused or the call failed,
//! 2 usage error or input refused before any network call, 3 output could not be written.

mod completions;
mod core;
mod invalidate;
mod list;
mod report;
mod reset;
mod reset_many;
mod settings;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

/// Log Slack users out: reset all their sessions, or end one session.
///
/// Needs a user token (xoxp-...) of an Enterprise Grid org owner or admin, in SLACK_TOKEN
/// (preferred: a --token argument is visible to other local users in the process list),
/// with admin.users:write for the commands that change sessions and admin.users:read for
/// `list`, `settings get`, `reset-many --bulk` and `--all`. Wherever a user id is taken,
/// an email address is too: up to 10 are looked up with users.lookupByEmail (scope
/// users:read.email), more with one walk of admin.users.list (admin.users:read).
#[derive(Parser, Debug)]
#[command(name = "slack-sessions", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every command takes, before or after its name.
#[derive(Args, Debug)]
pub(crate) struct Global {
    /// Slack user token (xoxp-...); scopes: admin.users:write, admin.users:read.
    #[arg(long, global = true, env = "SLACK_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,

    /// Web API base URL (https://, or http:// to a loopback host for testing).
    #[arg(
        long,
        global = true,
        env = "SLACK_API_URL",
        hide_env_values = true,
        default_value = slack_sessions::DEFAULT_API_URL,
        value_name = "URL"
    )]
    pub(crate) api_url: String,

    /// Give up on an attempt after this many seconds (fractions allowed; at most 86400).
    #[arg(long, global = true, value_name = "SECONDS", value_parser = parse_seconds)]
    pub(crate) timeout: Option<Duration>,

    /// Retry a rate-limited (429) or transiently failed call up to N times, waiting as
    /// Slack's Retry-After says (0 turns retries off).
    #[arg(long, global = true, value_name = "N", default_value_t = 3)]
    pub(crate) retries: u32,

    /// Send through this HTTP proxy (http://host:port; HTTPS is tunnelled with CONNECT).
    /// A loopback API URL never goes through a proxy.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) proxy: Option<String>,

    /// Use the proxy named by ALL_PROXY / HTTPS_PROXY / HTTP_PROXY (and NO_PROXY).
    #[arg(long, global = true, conflicts_with = "proxy")]
    pub(crate) proxy_from_env: bool,

    /// Print the HTTP request that would be sent (token redacted) and exit without
    /// any network I/O. Works without a token.
    #[arg(long, global = true)]
    pub(crate) dry_run: bool,

    /// Print one JSON object per result on stdout (for playbooks and SOAR tools).
    #[arg(long, global = true)]
    pub(crate) json: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    Reset(reset::ResetArgs),
    Invalidate(invalidate::InvalidateArgs),
    ResetMany(reset_many::ResetManyArgs),
    List(list::ListArgs),
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    Completions(completions::CompletionsArgs),
}

pub(crate) fn parse_seconds(text: &str) -> Result<Duration, String> {
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Reset(args) => reset::run(args, &cli.global),
        Command::Invalidate(args) => invalidate::run(args, &cli.global),
        Command::ResetMany(args) => reset_many::run(args, &cli.global),
        Command::List(args) => list::run(args, &cli.global),
        Command::Settings(command) => settings::run(command, &cli.global),
        Command::Completions(args) => completions::run(args),
    };
    match result {
        Ok(()) => ExitCode::from(core::exit::OK),
        Err(failure) => {
            core::say(&format!("error: {}", failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// The clap command, for the completions generator.
pub(crate) fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
