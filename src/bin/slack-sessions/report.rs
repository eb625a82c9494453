//! The `reset-many` report: one JSON line per user saying what was done (method, scope)
//! and how it went; and reading one back to resume.
//!
//! A line is trusted as "done" only when it says `"ok": true` and names its method and
//! scope: a line that does not say what was done is reported and ignored, never taken as
//! done. A report file is only ever appended to, one whole line per `write`.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::core::{self, Failure, Scope};

/// The methods a `reset-many` report line can name: one reset, or a resetBulk job.
pub(crate) const METHOD: &str = "admin.users.session.reset";
pub(crate) const BULK_METHOD: &str = "admin.users.session.resetBulk";
/// `find --invalidate` lines name this method, a session and the scope `session`.
pub(crate) const INVALIDATE_METHOD: &str = "admin.users.session.invalidate";
/// A check after the writes (`find`): `"method": "admin.users.session.list"` with
/// `"verifies"` naming the write it proves. Evidence, never taken as a write done.
pub(crate) const VERIFY_METHOD: &str = "admin.users.session.list";

/// One line of the report, fields in this order.
#[derive(Serialize)]
pub(crate) struct Line<'a> {
    pub(crate) user_id: &'a str,
    pub(crate) ok: bool,
    pub(crate) scope: &'static str,
    pub(crate) method: &'static str,
    /// `single` or `bulk`.
    pub(crate) how: &'static str,
    /// Whether the session list showed the user's sessions gone afterwards; `None`
    /// (`null`) when nothing was checked (a run without `--bulk`).
    pub(crate) verified: Option<bool>,
    /// The error code (Slack's, or a local one), when not ok.
    pub(crate) error: Option<String>,
    /// What went wrong, in words, when not ok.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<&'a str>,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) attempts: u32,
}

impl Line<'_> {
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a report line always serializes")
    }
}

/// The line that records a check after a write (`find`): the write it verifies, the
/// user (and session), and the watched sessions still listed (none: verified).
pub(crate) fn verify_line(
    user: &str,
    session: Option<(&str, u64)>,
    verifies: &str,
    scope: Scope,
    still_active: &[u64],
) -> String {
    let mut line = serde_json::json!({
        "user_id": user,
        "ok": still_active.is_empty(),
        "scope": if session.is_some() { "session" } else { scope.as_str() },
        "method": VERIFY_METHOD,
        "verifies": verifies,
        "verified": still_active.is_empty(),
    });
    if let Some((team, id)) = session {
        line["team_id"] = team.into();
        line["session_id"] = id.into();
    }
    if !still_active.is_empty() {
        line["error"] = "not_verified".into();
        line["message"] =
            format!("session(s) {still_active:?} still listed at the deadline").into();
        line["still_active"] = still_active.into();
    }
    line.to_string()
}

/// What an earlier report says.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    /// For each user reset successfully, the scopes that were done, and whether each
    /// was verified.
    done: HashMap<String, Vec<(Scope, bool)>>,
    /// Sessions (user, session id) invalidated successfully.
    sessions_done: std::collections::HashSet<(String, u64)>,
    /// Lines that are report lines.
    pub(crate) report_lines: usize,
    /// JSON lines that do not say what was done (no method or scope): not trusted.
    pub(crate) untrusted: usize,
    /// Lines that are not JSON objects, the torn last line excepted.
    pub(crate) unreadable: usize,
    /// The last line, cut off mid-write by a kill, and the user it names if that can be
    /// read from what is left.
    pub(crate) torn: Option<Option<String>>,
}

impl Earlier {
    pub(crate) fn parse(text: &str) -> Self {
        let mut earlier = Earlier::default();
        let complete = text.ends_with('\n');
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let last = i + 1 == lines.len();
            let Ok(serde_json::Value::Object(v)) = serde_json::from_str::<serde_json::Value>(line)
            else {
                if last && !complete {
                    earlier.torn = Some(torn_user(line));
                } else {
                    earlier.unreadable += 1;
                }
                continue;
            };
            let (Some(user), Some(ok)) = (
                v.get("user_id").and_then(|u| u.as_str()),
                v.get("ok").and_then(|o| o.as_bool()),
            ) else {
                earlier.unreadable += 1;
                continue;
            };
            let scope = v
                .get("scope")
                .and_then(|s| s.as_str())
                .and_then(Scope::parse);
            let method = v.get("method").and_then(|m| m.as_str());
            let session = v.get("session_id").and_then(|s| s.as_u64());
            match (method, v.get("scope").and_then(|s| s.as_str()), session) {
                (Some(INVALIDATE_METHOD), Some("session"), Some(id)) => {
                    earlier.report_lines += 1;
                    if ok {
                        earlier.sessions_done.insert((user.to_owned(), id));
                    }
                    continue;
                }
                (Some(VERIFY_METHOD), _, _) if v.get("verifies").is_some() => {
                    earlier.report_lines += 1;
                    continue;
                }
                _ => {}
            }
            let (Some(scope), Some(METHOD | BULK_METHOD)) = (scope, method) else {
                earlier.untrusted += 1;
                continue;
            };
            earlier.report_lines += 1;
            let verified = v.get("verified").and_then(|b| b.as_bool()) == Some(true);
            // A resetBulk line is done only when verified: the job's "ok" says nothing.
            let done = ok && (verified || method == Some(METHOD));
            if done {
                earlier
                    .done
                    .entry(user.to_owned())
                    .or_default()
                    .push((scope, verified));
            }
        }
        earlier
    }

    /// Whether an earlier `ok` line covers a reset of `scope` for `user`; with
    /// `verified_only`, only a line whose sessions were seen gone counts.
    pub(crate) fn covers(&self, user: &str, scope: Scope, verified_only: bool) -> bool {
        self.done.get(user).is_some_and(|done| {
            done.iter()
                .any(|(d, verified)| d.covers(scope) && (*verified || !verified_only))
        })
    }

    /// Whether an earlier line shows session `id` of `user` invalidated.
    pub(crate) fn covers_session(&self, user: &str, id: u64) -> bool {
        self.sessions_done.contains(&(user.to_owned(), id))
    }

    pub(crate) fn merge(&mut self, other: Earlier) {
        self.sessions_done.extend(other.sessions_done);
        for (user, scopes) in other.done {
            self.done.entry(user).or_default().extend(scopes);
        }
        self.report_lines += other.report_lines;
        self.untrusted += other.untrusted;
        self.unreadable += other.unreadable;
        self.torn = self.torn.take().or(other.torn);
    }

    /// Says on stderr which lines of `path` were not trusted, and why.
    pub(crate) fn warn(&self, path: &Path) {
        let p = path.display();
        if self.untrusted > 0 {
            core::say(&format!(
                "warning: {} line(s) of {p} do not say what was done (no \"method\" and \"scope\"): not trusted, those users are done again",
                self.untrusted
            ));
        }
        if self.unreadable > 0 {
            core::say(&format!(
                "warning: {} line(s) of {p} are not report lines and were ignored",
                self.unreadable
            ));
        }
        if let Some(user) = &self.torn {
            let who = user
                .as_deref()
                .map_or_else(|| "its user".to_owned(), |u| u.to_owned());
            core::say(&format!(
                "warning: the last line of {p} is incomplete (a run was cut off mid-write); it is kept but not trusted, so {who} is done again"
            ));
        }
    }
}

/// The user id at the start of a torn line, if that much of it was written.
fn torn_user(line: &str) -> Option<String> {
    let rest = line.strip_prefix(r#"{"user_id":""#)?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// Reads an earlier report given to `--skip-done`: it must exist and hold report lines.
pub(crate) fn read(path: &Path) -> Result<Earlier, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read the report {}: {e}", path.display())))?;
    let earlier = Earlier::parse(&text);
    if earlier.report_lines == 0 {
        return Err(Failure::usage(format!(
            "{} holds no report line (a JSON line naming user_id, ok, method and scope): it is not a slack-sessions report",
            path.display()
        )));
    }
    Ok(earlier)
}

/// A report file, opened for appending.
pub(crate) struct ReportFile {
    file: File,
    pub(crate) path: PathBuf,
}

impl ReportFile {
    /// Opens (or creates) `path` for appending and reads what it already says. A file
    /// with content but no report line is refused: it is not a report, and appending to
    /// it (or trusting it) would be wrong either way.
    pub(crate) fn open(path: &Path) -> Result<(Self, Earlier), Failure> {
        let cannot = |e: std::io::Error| {
            Failure::usage(format!("cannot open the report {}: {e}", path.display()))
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(cannot)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(cannot)?;
        let text = String::from_utf8(bytes).map_err(|_| {
            Failure::usage(format!(
                "{} is not a slack-sessions report (not UTF-8 text); refusing to append to it",
                path.display()
            ))
        })?;
        let earlier = Earlier::parse(&text);
        if !text.trim().is_empty() && earlier.report_lines == 0 {
            return Err(Failure::usage(format!(
                "{} is not a slack-sessions report: none of its lines is a report line; refusing to append to it (name a new file, or an earlier run's report)",
                path.display()
            )));
        }
        let mut report = ReportFile {
            file,
            path: path.to_owned(),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            // Keep the torn line as evidence, and start the next one on a line of its own.
            report.append("").map_err(|e| {
                Failure::output(format!("cannot write the report {}: {e}", path.display()))
            })?;
        }
        Ok((report, earlier))
    }

    /// Appends `line` and a newline in one `write` (the file is opened for appending, so
    /// the kernel places it at the end whole).
    pub(crate) fn append(&mut self, line: &str) -> std::io::Result<()> {
        let mut buf = String::with_capacity(line.len() + 1);
        buf.push_str(line);
        buf.push('\n');
        self.file.write_all(buf.as_bytes())?;
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_that_say_what_was_done_are_trusted() {
        let text = concat!(
            r#"{"user_id":"W1","ok":true,"scope":"web","method":"admin.users.session.reset","error":null}"#,
            "\n",
            r#"{"user_id":"W2","ok":true,"error":null}"#,
            "\n",
            "not json\n",
            r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.reset"}"#,
            "\n",
            r#"{"user_id":"W4","ok":true,"sco"#,
        );
        let e = Earlier::parse(text);
        assert_eq!((e.report_lines, e.untrusted, e.unreadable), (2, 1, 1));
        assert_eq!(e.torn, Some(Some("W4".to_owned())));
        assert!(e.covers("W1", Scope::Web, false));
        assert!(!e.covers("W1", Scope::All, false), "web does not cover all");
        assert!(!e.covers("W1", Scope::Mobile, false));
        assert!(e.covers("W3", Scope::Web, false) && e.covers("W3", Scope::Mobile, false));
        assert!(
            !e.covers("W3", Scope::All, true),
            "a single reset is not verified"
        );
        assert!(
            !e.covers("W2", Scope::All, false),
            "a line without scope is not trusted"
        );
        assert!(!e.covers("W4", Scope::All, false));
        let bulk = Earlier::parse(concat!(
            r#"{"user_id":"W5","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":false}"#,
            "\n",
            r#"{"user_id":"W6","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":true}"#,
            "\n",
        ));
        assert!(
            !bulk.covers("W5", Scope::All, false),
            "an unverified bulk line is never trusted"
        );
        assert!(bulk.covers("W6", Scope::All, true));
    }
}
