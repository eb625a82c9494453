//! `slack-sessions completions`: shell completion scripts.

use clap::Args;
use clap_complete::Shell;

use crate::core::{self, Failure};

/// Print a completion script for your shell (bash, zsh, fish, elvish, powershell).
///
/// bash: `slack-sessions completions bash > ~/.local/share/bash-completion/completions/slack-sessions`;
/// zsh: `slack-sessions completions zsh > ~/.zfunc/_slack-sessions`;
/// fish: `slack-sessions completions fish > ~/.config/fish/completions/slack-sessions.fish`.
#[derive(Args, Debug)]
pub(crate) struct CompletionsArgs {
    /// The shell.
    shell: Shell,
}

pub(crate) fn run(args: &CompletionsArgs) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(
        args.shell,
        &mut crate::command(),
        "slack-sessions",
        &mut script,
    );
    core::print(String::from_utf8_lossy(&script).trim_end())
}
