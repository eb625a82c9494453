//! `slack-sessions`: log Slack users out during an incident.
//!
//! A thin shell over the `slack_sessions` library: one file per command, over a small
//! shared `core` below them (the global options, client setup, output, `--json` objects,
//! exit codes). See `slack-sessions --help` and the README's CLI reference. Exit codes:
//! 0 success, 1 Slack refused or the call failed, 2 usage error or input refused before
//! any network call, 3 output could not be written.

mod completions;
mod core;
mod csv;
mod find;
mod invalidate;
mod list;
mod prove;
mod report;
mod reset;
mod reset_many;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::core::{json, Global};

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

#[derive(Subcommand, Debug)]
enum Command {
    Reset(reset::ResetArgs),
    Invalidate(invalidate::InvalidateArgs),
    ResetMany(reset_many::ResetManyArgs),
    Find(find::FindArgs),
    List(list::ListArgs),
    #[command(subcommand)]
    Settings(settings::SettingsCommand),
    Completions(completions::CompletionsArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let result = match &cli.command {
        Command::Reset(args) => reset::run(args, &cli.global),
        Command::Invalidate(args) => invalidate::run(args, &cli.global),
        Command::ResetMany(args) => reset_many::run(args, &cli.global),
        Command::Find(args) => find::run(args, &cli.global),
        Command::List(args) => list::run(args, &cli.global),
        Command::Settings(command) => settings::run(command, &cli.global),
        Command::Completions(args) => completions::run(args),
    };
    match result {
        Ok(()) => ExitCode::from(core::exit::OK),
        Err(mut failure) => {
            core::add_hints(&mut failure, &cli.global);
            if cli.global.json && !failure.shown {
                // Nowhere left to say it if stdout is gone: the exit code and stderr say it.
                let _ = json::Object::from_failure(&failure).print();
            }
            core::say(&format!("error: {}", failure.message));
            ExitCode::from(failure.code)
        }
    }
}

/// A command line clap refused (or `--help` / `--version`): clap's own words, and with
/// `--json` an `invalid_input` object on stdout too.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let args: Vec<_> = std::env::args_os().collect();
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if json::asked_for(&args) && !informational {
        // clap's words up to its usage block, on one line.
        let rendered = e.render().to_string();
        let words = rendered.split("\nUsage:").next().unwrap_or_default();
        let words = words.strip_prefix("error: ").unwrap_or(words);
        let message = words.split_whitespace().collect::<Vec<_>>().join(" ");
        let _ = json::Object::failed(json::code::INVALID_INPUT, &message).print();
    }
    e.exit()
}

/// The clap command, for the completions generator.
pub(crate) fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}
