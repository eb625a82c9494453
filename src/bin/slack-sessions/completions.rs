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
    core::print_listing(&script(args.shell)).map(|_| ())
}

/// The completion script for `shell`, with clap_complete's bash bug worked around.
fn script(shell: Shell) -> String {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::command(), BIN, &mut script);
    let script = String::from_utf8_lossy(&script).trim_end().to_owned();
    match shell {
        Shell::Bash => fix_bash_labels(&script),
        Shell::Fish => add_fish_shells(script),
        _ => script,
    }
}

/// clap_complete's fish script completes no positional argument, so `completions
/// <TAB>` offered files: name the shells (no files) for that argument.
fn add_fish_shells(mut script: String) -> String {
    use clap::ValueEnum;
    let shells: Vec<String> = Shell::value_variants()
        .iter()
        .filter_map(|s| s.to_possible_value().map(|v| v.get_name().to_owned()))
        .collect();
    let using = format!("__fish_{}_using_subcommand", BIN.replace('-', "_"));
    script.push_str(&format!(
        "\ncomplete -c {BIN} -n \"{using} completions\" -f -a \"{}\"",
        shells.join(" ")
    ));
    script
}

const BIN: &str = "slack-sessions";

/// clap_complete (clap-rs/clap#6421) names a subcommand's state after the binary with
/// its `-` turned into `__` (`slack__sessions__subcmd__reset`) where it walks the words,
/// but labels that state's case with the `-` turned into `__subcmd__`
/// (`slack__subcmd__sessions__subcmd__reset)`), so no subcommand ever matched and only
/// the global flags completed. Relabel the cases as the walk names them; once the bug
/// is fixed upstream this replaces nothing.
fn fix_bash_labels(script: &str) -> String {
    let walk = BIN.replace('-', "__");
    let label = BIN.replace('-', "__subcmd__");
    script.replace(&format!("{label}__subcmd__"), &format!("{walk}__subcmd__"))
}
