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

use serde::{Deserialize, Serialize};

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
    /// The error code (Slack's, or a local one), when not ok; absent on an ok line
    /// (an ok line with an `error` key, even `null`, is read back as a contradiction).
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// The largest report read back: 256 MiB (a line is about 200 bytes: over a million
/// users). A bigger file is refused, never read whole into memory.
pub(crate) const MAX_REPORT_BYTES: u64 = 256 << 20;

/// Why a line that looks like a report line is not trusted as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Distrust {
    /// No `method` or `scope`: it does not say what was done.
    Unsaid,
    /// A key given twice (`"ok":false,"ok":true`): which one is meant cannot be known.
    DuplicateKey,
    /// `"ok": true` with an `"error"`, or `"ok": false` without one.
    OkAndError,
    /// A `how` that contradicts its `method` (a bulk job named as a single reset, …).
    HowAndMethod,
    /// An ok line that names no request id: nothing shows Slack answered it.
    VerifiedWithoutRequest,
    /// A line whose check failed (`"verified": false`): not done, whatever its `ok`.
    CheckFailed,
}

impl Distrust {
    fn words(self) -> &'static str {
        match self {
            Distrust::Unsaid => "do not say what was done (no \"method\" and \"scope\")",
            Distrust::DuplicateKey => "give a key twice",
            Distrust::OkAndError => {
                "say \"ok\": true with an \"error\", or \"ok\": false without one"
            }
            Distrust::HowAndMethod => "name a \"how\" that contradicts their \"method\"",
            Distrust::VerifiedWithoutRequest => {
                "say \"ok\": true without a request id (nothing shows Slack answered)"
            }
            Distrust::CheckFailed => "say \"verified\": false (the check after the write failed)",
        }
    }

    const ALL: [Distrust; 6] = [
        Distrust::Unsaid,
        Distrust::DuplicateKey,
        Distrust::OkAndError,
        Distrust::HowAndMethod,
        Distrust::VerifiedWithoutRequest,
        Distrust::CheckFailed,
    ];
}

/// A report line as read back: every field optional, so that what is missing can be
/// told apart from what is wrong; serde refuses a known key given twice.
#[derive(Deserialize)]
struct ReadLine {
    user_id: Option<String>,
    ok: Option<bool>,
    scope: Option<String>,
    method: Option<String>,
    how: Option<String>,
    verified: Option<bool>,
    /// `None`: no `error` key; `Some(None)`: `"error": null`.
    #[serde(default, deserialize_with = "present")]
    error: Option<Option<String>>,
    request_id: Option<String>,
    /// `find --invalidate` lines: the session invalidated.
    session_id: Option<u64>,
    /// `find --invalidate` lines: the session's workspace.
    team_id: Option<String>,
    /// `find`'s check lines: the write they verify (any value: only its presence counts).
    verifies: Option<serde_json::Value>,
}

/// A key that is there, even as `null`: `Some(None)`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// What an earlier report says.
#[derive(Debug, Default)]
pub(crate) struct Earlier {
    /// For each user reset successfully, the scopes that were done, and whether each
    /// was verified.
    done: HashMap<String, Vec<(Scope, bool)>>,
    /// Sessions (user, session id) invalidated successfully.
    sessions_done: std::collections::HashSet<(String, u64)>,
    /// Of those, the ones a check line shows gone.
    sessions_verified: std::collections::HashSet<(String, u64)>,
    /// The workspace each invalidated session was on, as its line says.
    session_teams: HashMap<(String, u64), String>,
    /// Lines that are report lines.
    pub(crate) report_lines: usize,
    /// Lines not trusted as done, and why: line numbers (1-based).
    pub(crate) untrusted: Vec<(usize, Distrust)>,
    /// Lines that are not report lines at all (not a JSON object, not UTF-8, fields of
    /// the wrong type), the torn last line excepted: line numbers.
    pub(crate) unreadable: Vec<usize>,
    /// The last line, cut off mid-write by a kill (whatever its bytes, a UTF-8 character
    /// split in two included), and the user it names if that can be read from what is
    /// left.
    pub(crate) torn: Option<Option<String>>,
}

impl Earlier {
    pub(crate) fn parse(bytes: &[u8]) -> Self {
        let mut earlier = Earlier::default();
        let complete = bytes.ends_with(b"\n");
        let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
        if body.is_empty() {
            return earlier;
        }
        // One line at a time, never a list of them: a report of 256 MiB of blank lines
        // made a list of 16-byte slices per line (GBs).
        let mut lines = body.split(|&b| b == b'\n').enumerate().peekable();
        while let Some((i, raw)) = lines.next() {
            let number = i + 1;
            let last = lines.peek().is_none();
            let Some(line) = std::str::from_utf8(raw).ok().map(str::trim) else {
                if last && !complete {
                    earlier.torn = Some(torn_user(&String::from_utf8_lossy(raw)));
                } else {
                    earlier.unreadable.push(number);
                }
                continue;
            };
            if line.is_empty() {
                continue;
            }
            let parsed = if line.starts_with('{') {
                serde_json::from_str::<ReadLine>(line)
            } else {
                serde_json::from_str::<ReadLine>("not an object")
            };
            let v = match parsed {
                Ok(v) => v,
                Err(_) if last && !complete => {
                    earlier.torn = Some(torn_user(line));
                    continue;
                }
                Err(e) if e.to_string().starts_with("duplicate field") => {
                    earlier.untrusted.push((number, Distrust::DuplicateKey));
                    continue;
                }
                Err(_) => {
                    earlier.unreadable.push(number);
                    continue;
                }
            };
            let (Some(user), Some(ok)) = (v.user_id.as_deref(), v.ok) else {
                earlier.unreadable.push(number);
                continue;
            };
            // Not ok needs an error code; ok needs no `error` key at all (not even
            // `""` or `null`): either contradiction is not trusted.
            let has_error = match &v.error {
                None => false,
                Some(e) => ok || e.as_deref().is_some_and(|e| !e.is_empty()),
            };
            let has_request = v.request_id.as_deref().is_some_and(|r| !r.is_empty());
            match (v.method.as_deref(), v.scope.as_deref(), v.session_id) {
                (Some(INVALIDATE_METHOD), Some("session"), Some(id)) => {
                    earlier.report_lines += 1;
                    if ok == has_error {
                        earlier.untrusted.push((number, Distrust::OkAndError));
                    } else if ok && !has_request {
                        earlier
                            .untrusted
                            .push((number, Distrust::VerifiedWithoutRequest));
                    } else if ok {
                        earlier.sessions_done.insert((user.to_owned(), id));
                        if let Some(team) = v.team_id.as_deref().filter(|t| !t.is_empty()) {
                            earlier
                                .session_teams
                                .insert((user.to_owned(), id), team.to_owned());
                        }
                    }
                    continue;
                }
                (Some(VERIFY_METHOD), _, _) if v.verifies.is_some() => {
                    earlier.report_lines += 1;
                    let of_invalidate =
                        v.verifies.as_ref().and_then(|x| x.as_str()) == Some(INVALIDATE_METHOD);
                    if let (true, Some(true), Some(id)) = (of_invalidate, v.verified, v.session_id)
                    {
                        earlier.sessions_verified.insert((user.to_owned(), id));
                    }
                    continue;
                }
                _ => {}
            }
            let scope = v.scope.as_deref().and_then(Scope::parse);
            let method = match v.method.as_deref() {
                Some(METHOD) => Some(METHOD),
                Some(BULK_METHOD) => Some(BULK_METHOD),
                // A bulk run's user with no session at the snapshot: the snapshot is
                // the evidence (`"how": "no_session"`, its request id).
                Some(VERIFY_METHOD) => Some(VERIFY_METHOD),
                _ => None,
            };
            let (Some(scope), Some(method)) = (scope, method) else {
                earlier.untrusted.push((number, Distrust::Unsaid));
                continue;
            };
            earlier.report_lines += 1;
            let verified = v.verified == Some(true);
            let distrust = if ok == has_error {
                Some(Distrust::OkAndError)
            } else if matches!(
                (method, v.how.as_deref()),
                (METHOD, Some("bulk" | "no_session"))
                    | (BULK_METHOD, Some("single" | "no_session"))
            ) || (method == VERIFY_METHOD && v.how.as_deref() != Some("no_session"))
                || v.how
                    .as_deref()
                    .is_some_and(|h| h != "bulk" && h != "single" && h != "no_session")
            {
                Some(Distrust::HowAndMethod)
            } else if ok && !has_request {
                Some(Distrust::VerifiedWithoutRequest)
            } else if ok && v.verified == Some(false) && method == METHOD {
                Some(Distrust::CheckFailed)
            } else {
                None
            };
            if let Some(why) = distrust {
                earlier.untrusted.push((number, why));
                continue;
            }
            // A resetBulk line is done only when verified: the job's "ok" says nothing;
            // nor does a snapshot line that is not.
            let done = ok && (verified || method == METHOD);
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

    /// Sessions an earlier run invalidated (with the workspace its line names) that no
    /// check line shows gone: a run killed between its writes and its check. A resumed
    /// run checks them rather than leave the report with unproven writes.
    pub(crate) fn sessions_unverified(&self) -> Vec<(String, String, u64)> {
        let mut left: Vec<(String, String, u64)> = self
            .sessions_done
            .iter()
            .filter(|k| !self.sessions_verified.contains(*k))
            .filter_map(|(u, id)| {
                let team = self.session_teams.get(&(u.clone(), *id))?;
                Some((u.clone(), team.clone(), *id))
            })
            .collect();
        left.sort();
        left
    }

    /// Every user an earlier `ok` line covers for `scope` (with `verified_only`, only
    /// lines whose sessions were seen gone count).
    pub(crate) fn covered(
        &self,
        scope: Scope,
        verified_only: bool,
    ) -> impl Iterator<Item = String> + '_ {
        self.done
            .keys()
            .filter(move |u| self.covers(u, scope, verified_only))
            .cloned()
    }

    pub(crate) fn merge(&mut self, other: Earlier) {
        self.sessions_done.extend(other.sessions_done);
        self.sessions_verified.extend(other.sessions_verified);
        self.session_teams.extend(other.session_teams);
        for (user, scopes) in other.done {
            self.done.entry(user).or_default().extend(scopes);
        }
        self.report_lines += other.report_lines;
        self.untrusted.extend(other.untrusted);
        self.unreadable.extend(other.unreadable);
        self.torn = self.torn.take().or(other.torn);
    }

    /// Says on stderr which lines of `path` were not trusted, and why, by line number.
    pub(crate) fn warn(&self, path: &Path) {
        let p = path.display();
        for why in Distrust::ALL {
            let lines: Vec<usize> = self
                .untrusted
                .iter()
                .filter(|(_, w)| *w == why)
                .map(|(n, _)| *n)
                .collect();
            if !lines.is_empty() {
                core::say(&format!(
                    "warning: {} of {p} {}: not trusted, those users are done again",
                    line_numbers(&lines),
                    why.words()
                ));
            }
        }
        if !self.unreadable.is_empty() {
            core::say(&format!(
                "warning: {} of {p} are not report lines and were ignored",
                line_numbers(&self.unreadable)
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

/// `line 3` or `lines 3, 7, 9` (the first 20, then how many more).
fn line_numbers(lines: &[usize]) -> String {
    let shown: Vec<String> = lines.iter().take(20).map(usize::to_string).collect();
    let more = lines.len().saturating_sub(20);
    let word = if lines.len() == 1 { "line" } else { "lines" };
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!("{word} {}{more}", shown.join(", "))
}

/// The user id at the start of a torn line, if that much of it was written.
fn torn_user(line: &str) -> Option<String> {
    let rest = line.strip_prefix(r#"{"user_id":""#)?;
    let end = rest.find('"')?;
    Some(rest[..end].to_owned())
}

/// Refuses a report path that exists and is not a regular file (a device such as
/// `/dev/zero`, a FIFO, a directory), before anything opens or reads it.
fn must_be_a_file(path: &Path) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Failure::usage(format!(
            "{} is not a regular file (a device, a FIFO or a directory?); a report must be a file",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Reads an open report whole, refusing one over [`MAX_REPORT_BYTES`] or one that is
/// not a regular file after all.
fn read_bounded(file: &mut File, path: &Path) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::usage(format!("cannot read the report {}: {e}", path.display()))
    };
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(Failure::usage(format!(
            "{} is not a regular file; a report must be a file",
            path.display()
        )));
    }
    let mut bytes = Vec::new();
    file.take(MAX_REPORT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_REPORT_BYTES {
        return Err(Failure::usage(format!(
            "the report {} is over {} MiB: not read (name a new report, and --skip-done this one split in parts)",
            path.display(),
            MAX_REPORT_BYTES >> 20
        )));
    }
    Ok(bytes)
}

/// Reads an earlier report given to `--skip-done`: it must be a regular file, exist,
/// hold report lines and not be in use by another run (its lock).
pub(crate) fn read(path: &Path) -> Result<Earlier, Failure> {
    must_be_a_file(path)?;
    let mut file = File::open(path)
        .map_err(|e| Failure::usage(format!("cannot read the report {}: {e}", path.display())))?;
    // A report another run is writing is not done yet: what it shows done now says
    // nothing of the users it is about to reset, so both runs would reset them. Refused,
    // as a second `--report` run is; the lock is held while reading.
    if let Err(std::fs::TryLockError::WouldBlock) = file.try_lock_shared() {
        return Err(in_use(path));
    }
    let bytes = read_bounded(&mut file, path)?;
    let earlier = Earlier::parse(&bytes);
    if earlier.report_lines == 0 {
        return Err(Failure::usage(format!(
            "{} holds no report line (a JSON line naming user_id, ok, method and scope): it is not a slack-sessions report",
            path.display()
        )));
    }
    Ok(earlier)
}

/// A report file, opened for appending, locked against a second run for as long as it
/// is open.
pub(crate) struct ReportFile {
    file: File,
    pub(crate) path: PathBuf,
    /// `FILE.lock`, saying who holds the lock; removed when the run ends.
    holder: Option<PathBuf>,
}

impl ReportFile {
    /// Opens (or creates) `path` for appending, locks it (an advisory `flock`: a second
    /// run on the same report is refused, told who holds it), and reads what it already
    /// says. A file with content but no report line is refused: it is not a report, and
    /// appending to it (or trusting it) would be wrong either way.
    pub(crate) fn open(path: &Path) -> Result<(Self, Earlier), Failure> {
        must_be_a_file(path)?;
        let cannot = |e: std::io::Error| {
            Failure::usage(format!("cannot open the report {}: {e}", path.display()))
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(cannot)?;
        let holder = lock(&file, path)?;
        let mut report = ReportFile {
            file,
            path: path.to_owned(),
            holder,
        };
        let bytes = read_bounded(&mut report.file, path)?;
        let earlier = Earlier::parse(&bytes);
        if !bytes.trim_ascii().is_empty() && earlier.report_lines == 0 {
            return Err(Failure::usage(format!(
                "{} is not a slack-sessions report: none of its lines is a report line; refusing to append to it (name a new file, or an earlier run's report)",
                path.display()
            )));
        }
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
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

impl Drop for ReportFile {
    fn drop(&mut self) {
        // The lock goes with the file; the note saying who held it goes too, if it is
        // still ours.
        if let Some(holder) = &self.holder {
            // Never a link (one planted after the note was written): only our own note.
            let ours = std::fs::symlink_metadata(holder).is_ok_and(|m| m.is_file())
                && std::fs::read_to_string(holder)
                    .is_ok_and(|t| t.starts_with(&format!("pid {} ", std::process::id())));
            if ours {
                let _ = std::fs::remove_file(holder);
            }
        }
    }
}

/// `FILE.lock`, next to the report.
fn holder_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the report's advisory lock, or says who holds it. The lock is the kernel's
/// (`flock`, released when the process ends however it ends); `FILE.lock` only says who
/// took it (pid, host, start time), for the message a second run gets.
fn lock(file: &File, path: &Path) -> Result<Option<PathBuf>, Failure> {
    let note = holder_path(path);
    match file.try_lock() {
        Ok(()) => {
            let text = format!(
                "pid {} on {}, started {} (slack-sessions {})\n",
                std::process::id(),
                hostname(),
                utc_now(),
                command()
            );
            // Best effort: without the note the lock still holds; only the message of a
            // second run is poorer.
            Ok(write_note(&note, &text).then_some(note))
        }
        Err(std::fs::TryLockError::WouldBlock) => Err(in_use(path)),
        Err(std::fs::TryLockError::Error(e)) => {
            core::say(&format!(
                "warning: cannot lock the report {} ({e}); make sure no other run uses it",
                path.display()
            ));
            Ok(None)
        }
    }
}

/// Whether `path` is a symbolic link (not followed).
fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Writes `FILE.lock` without ever following a link planted there: a symlink is left
/// alone (warned about, no note); the text goes to a new file (`create_new`: never an
/// existing file or a link's target) renamed over the note (a rename replaces the name,
/// never writes through it).
fn write_note(note: &Path, text: &str) -> bool {
    if is_symlink(note) {
        core::say(&format!(
            "warning: {} is a symbolic link; it is left alone and no lock note is written",
            note.display()
        ));
        return false;
    }
    let mut temp = note.as_os_str().to_owned();
    temp.push(format!(".{}.tmp", std::process::id()));
    let temp = PathBuf::from(temp);
    let written = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut f| f.write_all(text.as_bytes()));
    if written.is_err() {
        if !is_symlink(&temp) {
            let _ = std::fs::remove_file(&temp);
        }
        return false;
    }
    if is_symlink(note) || std::fs::rename(&temp, note).is_err() {
        let _ = std::fs::remove_file(&temp);
        return false;
    }
    true
}

/// The report is locked by another run: who holds it, from `FILE.lock`.
fn in_use(path: &Path) -> Failure {
    let note = holder_path(path);
    let who = (!is_symlink(&note))
        .then(|| std::fs::read_to_string(&note).ok())
        .flatten()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| format!("{} not written yet", note.display()));
    Failure::usage(format!(
        "the report {} is in use by another run ({who}); two runs on one report would write the same users or sessions twice. Wait for it to end, or name another report",
        path.display()
    ))
}

/// Says, before any call, that the report is locked by another run (the lock itself is
/// taken when the report is opened; this spares a walk of the org that would be lost).
pub(crate) fn check_not_in_use(path: &Path) -> Result<(), Failure> {
    let Ok(file) = File::open(path) else {
        return Ok(());
    };
    match file.try_lock() {
        Err(std::fs::TryLockError::WouldBlock) => Err(in_use(path)),
        // Released when `file` is dropped, at once.
        _ => Ok(()),
    }
}

/// The command this run is (`find`, `reset-many`), for the lock's note.
fn command() -> &'static str {
    const COMMANDS: [&str; 3] = ["reset-many", "find", "reset"];
    std::env::args()
        .skip(1)
        .find_map(|a| COMMANDS.into_iter().find(|c| *c == a))
        .unwrap_or("reset-many")
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "this host".to_owned())
}

/// Now as `2026-12-02T10:40:00Z`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lines_that_say_what_was_done_are_trusted() {
        let text = concat!(
            r#"{"user_id":"W1","ok":true,"scope":"web","method":"admin.users.session.reset","request_id":"r1"}"#,
            "\n",
            r#"{"user_id":"W2","ok":true,"request_id":"r2"}"#,
            "\n",
            "not json\n",
            r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.reset","request_id":"r3"}"#,
            "\n",
            r#"{"user_id":"W4","ok":true,"sco"#,
        );
        let e = Earlier::parse(text.as_bytes());
        assert_eq!(e.report_lines, 2);
        assert_eq!(e.untrusted, [(2, Distrust::Unsaid)]);
        assert_eq!(e.unreadable, [3]);
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
        let bulk = Earlier::parse(
            concat!(
                r#"{"user_id":"W5","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":false}"#,
                "\n",
                r#"{"user_id":"W6","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":true,"request_id":"r6"}"#,
                "\n",
            )
            .as_bytes(),
        );
        assert!(
            !bulk.covers("W5", Scope::All, false),
            "an unverified bulk line is never trusted"
        );
        assert!(bulk.covers("W6", Scope::All, true));
    }

    #[test]
    fn a_snapshot_that_named_no_session_is_evidence_only_with_its_request_id() {
        let text = concat!(
            r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.list","how":"no_session","verified":true,"request_id":"r1"}"#,
            "\n",
            r#"{"user_id":"W2","ok":true,"scope":"all","method":"admin.users.session.list","how":"no_session","verified":true,"request_id":null}"#,
            "\n",
            r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.list","how":"bulk","verified":true,"request_id":"r3"}"#,
            "\n",
            r#"{"user_id":"W4","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"no_session","verified":true,"request_id":"r4"}"#,
            "\n",
            r#"{"user_id":"W5","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":true}"#,
            "\n",
            r#"{"user_id":"W6","ok":true,"scope":"all","method":"admin.users.session.list","how":"no_session","verified":false,"request_id":"r6"}"#,
            "\n",
        );
        let e = Earlier::parse(text.as_bytes());
        assert_eq!(
            e.untrusted,
            [
                (2, Distrust::VerifiedWithoutRequest),
                (3, Distrust::HowAndMethod),
                (4, Distrust::HowAndMethod),
                (5, Distrust::VerifiedWithoutRequest),
            ]
        );
        assert!(e.covers("W1", Scope::All, true));
        assert!(e.covers("W1", Scope::Mobile, true));
        for user in ["W2", "W3", "W4", "W5", "W6"] {
            assert!(!e.covers(user, Scope::All, false), "{user}");
        }
    }

    #[test]
    fn contradictory_lines_are_not_trusted_and_named_by_line() {
        let text = concat!(
            r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","error":"user_not_found"}"#,
            "\n",
            r#"{"user_id":"W2","ok":false,"ok":true,"scope":"all","method":"admin.users.session.reset","error":null}"#,
            "\n",
            r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.resetBulk","how":"bulk","verified":true,"request_id":null}"#,
            "\n",
            r#"{"user_id":"W4","ok":true,"scope":"all","method":"admin.users.session.reset","how":"bulk"}"#,
            "\n",
            r#"{"user_id":"W5","ok":false,"scope":"all","method":"admin.users.session.reset"}"#,
            "\n",
            r#"{"user_id":"W6","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","request_id":"r"}"#,
            "\n",
        );
        let e = Earlier::parse(text.as_bytes());
        assert_eq!(
            e.untrusted,
            [
                (1, Distrust::OkAndError),
                (2, Distrust::DuplicateKey),
                (3, Distrust::VerifiedWithoutRequest),
                (4, Distrust::HowAndMethod),
                (5, Distrust::OkAndError),
            ]
        );
        for user in ["W1", "W2", "W3", "W4", "W5"] {
            assert!(!e.covers(user, Scope::All, false), "{user}");
        }
        assert!(e.covers("W6", Scope::All, false));
        assert_eq!(line_numbers(&[2, 3]), "lines 2, 3");
        assert_eq!(line_numbers(&[7]), "line 7");
    }

    /// Issue 15 item 11: forged or contradictory lines are not taken as done.
    #[test]
    fn done_needs_a_request_id_a_check_not_failed_and_no_error_key() {
        let text = concat!(
            // (a) a single reset, verified, without a request id.
            r#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":true}"#,
            "\n",
            // (b) a plain reset whose check failed.
            r#"{"user_id":"W2","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":false,"detail":"sessions still listed","request_id":"r2"}"#,
            "\n",
            // (c) ok with an error key, empty or null.
            r#"{"user_id":"W3","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"error":"","request_id":"r3"}"#,
            "\n",
            r#"{"user_id":"W4","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"error":null,"request_id":"r4"}"#,
            "\n",
            // an invalidate line without a request id.
            r#"{"user_id":"W5","team_id":"T1","session_id":5,"ok":true,"scope":"session","method":"admin.users.session.invalidate","verified":null,"request_id":null}"#,
            "\n",
            // Honest: a plain reset not checked, with its request id.
            r#"{"user_id":"W6","ok":true,"scope":"all","method":"admin.users.session.reset","how":"single","verified":null,"request_id":"r6"}"#,
            "\n",
        );
        let e = Earlier::parse(text.as_bytes());
        assert_eq!(
            e.untrusted,
            [
                (1, Distrust::VerifiedWithoutRequest),
                (2, Distrust::CheckFailed),
                (3, Distrust::OkAndError),
                (4, Distrust::OkAndError),
                (5, Distrust::VerifiedWithoutRequest),
            ]
        );
        for user in ["W1", "W2", "W3", "W4"] {
            assert!(!e.covers(user, Scope::All, false), "{user}");
        }
        assert!(!e.covers_session("W5", 5));
        assert!(e.covers("W6", Scope::All, false));
    }

    /// Peak memory of this process (VmHWM), in KiB.
    fn peak_kib() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    /// Issue 15 (LOW): blank lines cost no memory per line.
    #[test]
    fn blank_lines_are_not_kept() {
        let mut bytes = vec![b'\n'; 32 << 20];
        bytes.extend_from_slice(
            br#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","request_id":"r1"}"#,
        );
        bytes.push(b'\n');
        let before = peak_kib();
        let e = Earlier::parse(&bytes);
        let grew = peak_kib() - before;
        assert!(e.covers("W1", Scope::All, false));
        // A list of the 32 Mi lines would be 512 MiB; the input itself is 32 MiB.
        assert!(grew < 128 << 10, "peak grew by {grew} KiB");
    }

    #[test]
    fn a_torn_last_line_is_torn_whatever_its_bytes() {
        let mut bytes =
            br#"{"user_id":"W1","ok":true,"scope":"all","method":"admin.users.session.reset","request_id":"r1"}"#
                .to_vec();
        bytes.extend_from_slice(b"\n{\"user_id\":\"W\xc3");
        let e = Earlier::parse(&bytes);
        assert_eq!(e.report_lines, 1);
        assert!(e.torn.is_some() && e.unreadable.is_empty(), "{e:?}");
        // Once a later run ended it with a newline, it is one unreadable line among others.
        bytes.extend_from_slice(b"\n");
        let e = Earlier::parse(&bytes);
        assert_eq!((e.report_lines, e.unreadable.as_slice()), (1, &[2][..]));
        assert!(e.covers("W1", Scope::All, false));
    }
}
