//! Shell completion, driven through the shells the way a person meets it: bash (source
//! the script, set `COMP_WORDS`/`COMP_CWORD`, call the function, read `COMPREPLY`), zsh
//! (an interactive zsh on a pseudo-terminal, TAB pressed) and fish (`complete -C`).
//!
//! What must complete comes from the binary's own `--help`: every subcommand, and every
//! flag each subcommand's help lists. zsh and fish are skipped when not installed, unless
//! `SLACK_SESSIONS_REQUIRE_SHELLS` is set (`.ci/run` sets it when it installed them).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_slack-sessions");

fn stdout(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(out.status.success(), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The names in the "Commands:" section of `help`, `help` itself left out.
fn commands_in(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

/// Every long flag an options line of `help` names.
fn flags_in(help: &str) -> BTreeSet<String> {
    help.lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with('-'))
        .filter_map(|l| {
            let l = l
                .strip_prefix("-h, ")
                .or(l.strip_prefix("-V, "))
                .unwrap_or(l);
            let flag = l.split([' ', ',']).next()?;
            flag.starts_with("--").then(|| flag.to_owned())
        })
        .collect()
}

/// Every command path (`["settings", "set"]`) with the flags its help lists.
fn command_paths() -> Vec<(Vec<String>, BTreeSet<String>)> {
    let mut paths = Vec::new();
    let mut todo: Vec<Vec<String>> = commands_in(&stdout(&["--help"]))
        .into_iter()
        .map(|c| vec![c])
        .collect();
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = stdout(&args);
        for sub in commands_in(&help) {
            let mut deeper = path.clone();
            deeper.push(sub);
            todo.push(deeper);
        }
        paths.push((path, flags_in(&help)));
    }
    assert!(paths.len() >= 9, "{paths:?}");
    paths
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ss-complete-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// What a shell offers for a command line (the last word is the one being completed).
type Complete = dyn Fn(&str) -> BTreeSet<String>;

fn bash(script: &Path) -> Box<Complete> {
    let script = script.to_owned();
    Box::new(move |line| {
        let mut words: Vec<&str> = line.split_whitespace().collect();
        if line.ends_with(' ') {
            words.push("");
        }
        let program = r#"
            source "$1"; shift
            spec=$(complete -p slack-sessions) || exit 5
            f=${spec##*-F }; f=${f%% *}
            COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
            COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
            "$f" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
            printf '%s\n' "${COMPREPLY[@]}"
        "#;
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c", program, "bash"])
            .arg(&script)
            .args(&words)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out.stdout)
    })
}

fn fish(script: &Path) -> Box<Complete> {
    let script = script.to_owned();
    Box::new(move |line| {
        let out = Command::new("fish")
            .args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
            .arg(&script)
            .arg(line)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&out.stdout)
            .into_iter()
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect()
    })
}

/// An interactive zsh on a pseudo-terminal (zsh's own zpty), with compinit and the
/// script on `fpath`; TAB is pressed after the line, and every match the completion
/// functions add is recorded (a `compadd` wrapper) until the widget returns.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty || exit 3
dir=$1 out=$2 line=$3
rm -f $out $out.done
zpty z zsh -f -i
zpty -w z "bindkey -e; PS1='>'; fpath=($dir \$fpath); autoload -U compinit; compinit -u -D"
zpty -w z "compadd() { local -a m; builtin compadd -O m \"\$@\"; (( \$#m )) && print -rl -- \$m >> $out; builtin compadd \"\$@\" }"
zpty -w z "complete-then-mark() { zle complete-word; print > $out.done }; zle -N complete-then-mark; bindkey '^I' complete-then-mark"
zpty -w -n z "$line"$'\t'
for i in {1..1200}; do [[ -e $out.done ]] && break; sleep 0.05; done
zpty -d z
[[ -e $out.done ]] || { print -u2 "zsh did not finish completing within 60s"; exit 4 }
rm -f $out.done
touch $out
"#;

fn zsh(dir: &Path) -> Box<Complete> {
    let dir = dir.to_owned();
    let driver = dir.join("drive.zsh");
    std::fs::write(&driver, ZSH_DRIVER).unwrap();
    Box::new(move |line| {
        let out_file = dir.join("matches");
        let out = Command::new("zsh")
            .arg("-f")
            .arg(&driver)
            .arg(&dir)
            .arg(&out_file)
            .arg(line)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        lines(&std::fs::read(&out_file).unwrap())
    })
}

fn lines(bytes: &[u8]) -> BTreeSet<String> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn installed(shell: &str) -> bool {
    let found = Command::new(shell)
        .args(["-c", "exit 0"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("SLACK_SESSIONS_REQUIRE_SHELLS").is_none(),
            "{shell} is required here but not installed"
        );
        eprintln!("{shell} is not installed: its completion is not checked");
    }
    found
}

/// Every subcommand and every flag of each completes, through `complete`.
fn completes_everything(shell: &str, complete: &Complete) {
    let paths = command_paths();
    let top = complete("slack-sessions ");
    for (path, _) in paths.iter().filter(|(p, _)| p.len() == 1) {
        assert!(top.contains(&path[0]), "{shell}: {path:?} not in {top:?}");
    }
    for (path, flags) in &paths {
        let line = format!("slack-sessions {} --", path.join(" "));
        let got = complete(&line);
        let missing: Vec<_> = flags.difference(&got).collect();
        assert!(
            missing.is_empty(),
            "{shell}: `{line}<TAB>` does not offer {missing:?} (offered {got:?})"
        );
    }
    // The cases first reported, and a global flag before the subcommand.
    let got = complete("slack-sessions settings s");
    assert!(
        got.contains("set") && !got.contains("get"),
        "{shell}: {got:?}"
    );
    let got = complete("slack-sessions reset-many --b");
    assert_eq!(got, BTreeSet::from(["--bulk".to_owned()]), "{shell}");
    let got = complete("slack-sessions --json invalidate --s");
    assert!(got.contains("--session"), "{shell}: {got:?}");
    let got = complete("slack-sessions re");
    assert!(
        got.contains("reset") && got.contains("reset-many"),
        "{shell}: {got:?}"
    );
    // Values, not files (the working directory holds files a file completion would offer).
    let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let got = complete("slack-sessions find --ip-from ");
    assert_eq!(
        got,
        values(&["created", "recent", "any"]),
        "{shell}: --ip-from"
    );
    let got = complete("slack-sessions completions ");
    assert!(
        ["bash", "zsh", "fish"].iter().all(|s| got.contains(*s))
            && got.iter().all(|s| {
                s.starts_with('-')
                    || ["bash", "zsh", "fish", "elvish", "powershell"].contains(&s.as_str())
            }),
        "{shell}: completions <TAB> offered {got:?}"
    );
}

#[test]
fn bash_completes_every_subcommand_and_flag() {
    let dir = temp_dir("bash");
    let script = dir.join("slack-sessions.bash");
    std::fs::write(&script, stdout(&["completions", "bash"])).unwrap();
    completes_everything("bash", &bash(&script));
}

#[test]
fn zsh_completes_every_subcommand_and_flag() {
    if !installed("zsh") {
        return;
    }
    let dir = temp_dir("zsh");
    std::fs::write(dir.join("_slack-sessions"), stdout(&["completions", "zsh"])).unwrap();
    completes_everything("zsh", &zsh(&dir));
}

#[test]
fn fish_completes_every_subcommand_and_flag() {
    if !installed("fish") {
        return;
    }
    let dir = temp_dir("fish");
    let script = dir.join("slack-sessions.fish");
    std::fs::write(&script, stdout(&["completions", "fish"])).unwrap();
    completes_everything("fish", &fish(&script));
}
