//! The users of a `reset-many` run from a file or stdin: one id or email a line, every
//! line checked before anything is sent.

use std::collections::HashSet;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

use slack_sessions::{ResetRequest, SlackMethod};

use crate::core::{self, Failure};
use crate::csv;

/// Duplicates kept once, in order (an email and an id can name the same user).
pub(super) fn dedup(ids: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.into_iter()
        .filter(|id| seen.insert(id.clone()))
        .collect()
}

/// Reads user ids: one per line, a UTF-8 BOM stripped, `#` starts a comment, blank lines
/// skipped, duplicates kept once. Every line is checked before anything is sent; a line
/// with a comma or a tab (a CSV, a spreadsheet paste) is refused rather than taken whole
/// as one id.
pub(super) fn read_ids(input: Option<&Path>) -> Result<Vec<String>, Failure> {
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
        } else if let Err(why) = check_user(id) {
            bad.push(format!("line {}: {id:?} {why}", n + 1));
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

/// A user as a file names one: a Slack id (capital letters and digits, starting with a
/// letter: `W0123ABC`, `U024BE7LH`; a bot's `B…` id goes on to Slack, which says
/// `cannot_reset_bot`) or an email address. Anything else (`x`, `alice.example.com`,
/// `w5bob`) is refused before any call, rather than sent and refused one by one.
pub(crate) fn check_user(text: &str) -> Result<(), String> {
    if text.contains('@') {
        let (local, domain) = text.rsplit_once('@').unwrap_or(("", ""));
        if local.is_empty() || domain.is_empty() || !domain.contains('.') {
            return Err("is not an email address (like alice@example.com)".to_owned());
        }
        return slack_sessions::LookupByEmailRequest::new(text)
            .validate()
            .map_err(|e| e.reason().to_owned());
    }
    ResetRequest::new(text)
        .validate()
        .map_err(|e| e.reason().to_owned())?;
    let id_like = text.len() >= 2
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if id_like {
        Ok(())
    } else {
        Err(
            "is neither a user id (capital letters and digits, like W0123ABC) nor an email address"
                .to_owned(),
        )
    }
}

/// Reads the ids or email addresses of one CSV column (see [`csv`]). Every row is
/// checked before anything is sent; a bad one is named by row number and column.
pub(super) fn read_column(input: Option<&Path>, column: &str) -> Result<Vec<String>, Failure> {
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
    let check = check_user;
    // With an index, row 1 is a header unless its cell looks like a user id or address.
    let looks_like_a_user = |c: &str| check(c).is_ok();
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
