//! A rotating token for the CLI: the current pair lives in `--token-file FILE`, is renewed
//! when needed, and every new pair is written to FILE (whole or not at all) before its
//! access token is used. When FILE does not exist yet, the first pair comes from
//! `SLACK_TOKEN` and `SLACK_REFRESH_TOKEN` and FILE is created before any call; from then
//! on FILE alone is the source of truth, so a refresh token that was used is never sent
//! again.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use slack_sessions::{RotatingToken, TokenPair};

use super::{say, Failure, Global};

/// The environment variables a rotating token is read from (secrets never on the
/// command line, where other local users can read them).
pub(crate) const REFRESH_VAR: &str = "SLACK_REFRESH_TOKEN";
pub(crate) const CLIENT_ID_VAR: &str = "SLACK_CLIENT_ID";
pub(crate) const CLIENT_SECRET_VAR: &str = "SLACK_CLIENT_SECRET";

/// A rotating token and the file its pairs are kept in.
pub(crate) struct Rotating {
    pub(crate) token: RotatingToken,
    pub(crate) file: PathBuf,
}

/// FILE's content.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    refresh_token: String,
    /// Seconds since the Unix epoch; `null` while unknown (a first pair from the
    /// environment, renewed on the first authentication error).
    expires_at: Option<u64>,
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// What is wrong with `token` as a refresh token, if anything (never the token itself).
fn refresh_problem(token: &str) -> Option<&'static str> {
    if token.trim().is_empty() {
        Some("is empty")
    } else if token.chars().any(|c| c.is_whitespace() || c.is_control()) || !token.is_ascii() {
        Some("contains whitespace or other characters a token never has (a pasted newline?)")
    } else if token.starts_with("xoxe.") {
        Some("is an access token (xoxe.xoxp-...), not a refresh token: were the two swapped?")
    } else if !token.starts_with("xoxe-") {
        Some("is not a refresh token (those start with xoxe-)")
    } else {
        None
    }
}

/// What is wrong with `token` as a rotating access token, if anything.
fn access_problem(token: &str) -> Option<&'static str> {
    if token.trim().is_empty() {
        Some("is empty")
    } else if token.starts_with("xoxe-") {
        Some("is a refresh token (xoxe-), not an access token: were the two swapped?")
    } else if !token.trim().starts_with("xox") {
        Some("is not a Slack token (a rotating user token starts with xoxe.xoxp-)")
    } else {
        None
    }
}

/// The rotating token `global` and the environment ask for, if any.
pub(crate) fn from_env(global: &Global) -> Result<Option<Rotating>, Failure> {
    let refresh = var(REFRESH_VAR);
    let Some(file) = global.token_file.clone() else {
        return match refresh {
            None => Ok(None),
            Some(_) => Err(Failure::usage(format!(
                "{REFRESH_VAR} is set but no --token-file (or SLACK_TOKEN_FILE): a refresh token \
                 works once, so every new pair must be kept in a file to survive this run"
            ))),
        };
    };
    let missing: Vec<&str> = [CLIENT_ID_VAR, CLIENT_SECRET_VAR]
        .into_iter()
        .filter(|v| var(v).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Failure::usage(format!(
            "--token-file needs {} (the app's credentials, from its Basic Information page) \
             to renew the token",
            missing.join(" and ")
        )));
    }
    let (id, secret) = (var(CLIENT_ID_VAR).unwrap(), var(CLIENT_SECRET_VAR).unwrap());
    let shown = file.display();
    check_place(&file).map_err(Failure::usage)?;
    match fs::symlink_metadata(&file) {
        Ok(meta) => {
            let mode = meta.permissions().mode() & 0o777;
            if !meta.is_file() {
                return Err(Failure::usage(format!(
                    "token file {shown} is not a regular file"
                )));
            }
            if mode & 0o077 != 0 {
                return Err(Failure::usage(format!(
                    "token file {shown} is open to other users (mode {mode:03o}); it holds a \
                     refresh token: chmod 600 {shown}"
                )));
            }
            let text = fs::read_to_string(&file)
                .map_err(|e| Failure::usage(format!("could not read token file {shown}: {e}")))?;
            let stored: Stored = serde_json::from_str(&text).map_err(|e| {
                // Only a missing field is named: other messages may quote a value.
                let missing = e.to_string();
                let what = match missing.split(" at line").next() {
                    Some(m) if m.starts_with("missing field") => format!("{m}, "),
                    _ => String::new(),
                };
                Failure::usage(format!(
                    "token file {shown} is not a token pair written by slack-sessions \
                     ({what}line {}, column {}); fix it, or remove it and start again with \
                     the pair in SLACK_TOKEN and {REFRESH_VAR}",
                    e.line(),
                    e.column()
                ))
            })?;
            let recover = format!(
                "fix it, or remove it and start again with the pair in SLACK_TOKEN and \
                 {REFRESH_VAR}"
            );
            if let Some(why) = access_problem(&stored.access_token) {
                return Err(Failure::usage(format!(
                    "token file {shown}: its access_token {why}; {recover}"
                )));
            }
            if let Some(why) = refresh_problem(&stored.refresh_token) {
                return Err(Failure::usage(format!(
                    "token file {shown}: its refresh_token {why}; {recover}"
                )));
            }
            if refresh.is_some() || global.token.is_some() {
                say(&format!(
                    "using the token pair in {shown}; SLACK_TOKEN and {REFRESH_VAR} are read \
                     only when the file does not exist yet"
                ));
            }
            super::check_kind(&stored.access_token)?;
            let mut token =
                RotatingToken::new(stored.access_token, stored.refresh_token, id, secret);
            if let Some(at) = stored.expires_at {
                token = token.expires_at(UNIX_EPOCH + Duration::from_secs(at));
            }
            Ok(Some(Rotating { token, file }))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let (Some(access), Some(refresh)) = (global.token.clone(), refresh) else {
                return Err(Failure::usage(format!(
                    "token file {shown} does not exist yet: give the first pair in \
                     SLACK_TOKEN (xoxe.xoxp-...) and {REFRESH_VAR} (xoxe-...)"
                )));
            };
            // Checked before FILE is created: a bad pair in FILE would be read back
            // (and refused) on every run.
            if let Some(why) = access_problem(&access) {
                return Err(Failure::usage(format!(
                    "SLACK_TOKEN {why}; token file {shown} was not created"
                )));
            }
            if let Some(why) = refresh_problem(&refresh) {
                return Err(Failure::usage(format!(
                    "{REFRESH_VAR} {why}; token file {shown} was not created"
                )));
            }
            super::check_kind(&access)?;
            write(
                &file,
                &Stored {
                    access_token: access.clone(),
                    refresh_token: refresh.clone(),
                    expires_at: None,
                },
            )
            .map_err(|e| Failure::usage(format!("could not create token file {shown}: {e}")))?;
            say(&format!(
                "token file {shown} created from SLACK_TOKEN and {REFRESH_VAR}; from now on \
                 it is the one source of the token pair"
            ));
            Ok(Some(Rotating {
                token: RotatingToken::new(access, refresh, id, secret),
                file,
            }))
        }
        Err(e) => Err(Failure::usage(format!(
            "could not read token file {shown}: {e}"
        ))),
    }
}

/// The pair in `file` now, before a renewal: another run may have renewed since this one
/// read it (then its pair is used instead of spending a refresh token Slack would refuse).
pub(crate) fn load(file: &Path) -> io::Result<Option<TokenPair>> {
    check_place(file).map_err(|m| io::Error::new(io::ErrorKind::PermissionDenied, m))?;
    let text = match fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let stored: Stored = serde_json::from_str(&text).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is not a token pair (line {})", file.display(), e.line()),
        )
    })?;
    let expires_at = stored
        .expires_at
        .map_or(UNIX_EPOCH, |s| UNIX_EPOCH + Duration::from_secs(s));
    Ok(Some(TokenPair::new(
        stored.access_token,
        stored.refresh_token,
        expires_at,
    )))
}

/// The lock file beside `file` (`FILE.lock`): runs sharing FILE renew one at a time.
fn lock_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the lock shared by every run using `file`, held (the returned file) across
/// reading FILE, renewing and writing the new pair: a second run waits here, then reads
/// the pair the first one wrote instead of spending the same refresh token.
pub(crate) fn lock(file: &Path) -> io::Result<File> {
    let path = lock_path(file);
    let shown = path.display();
    if fs::symlink_metadata(&path).is_ok_and(|m| !m.file_type().is_file()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("lock file {shown} is not a regular file (a symlink?): remove it"),
        ));
    }
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io::Error::new(e.kind(), format!("could not open lock file {shown}: {e}")))?;
    match f.try_lock() {
        Ok(()) => return Ok(f),
        Err(std::fs::TryLockError::WouldBlock) => say(&format!(
            "waiting for another run renewing the token in {} (lock {shown})",
            file.display()
        )),
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    f.lock()?;
    Ok(f)
}

/// A renewed pair that could not be written to FILE: where it was put instead, if
/// anywhere. The run stops; the message says how to get the pair back.
#[derive(Debug)]
pub(crate) struct NotStored {
    pub(crate) file: PathBuf,
    pub(crate) rescue: Option<PathBuf>,
    error: io::Error,
}

impl std::fmt::Display for NotStored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not write the new pair to {}: {}",
            self.file.display(),
            self.error
        )
    }
}

impl std::error::Error for NotStored {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// How long to wait before each further try at writing FILE: a full disk or a busy
/// network file system often passes.
pub(crate) const STORE_RETRIES: [Duration; 3] = [
    Duration::from_millis(100),
    Duration::from_millis(500),
    Duration::from_secs(2),
];

/// Stores a renewed pair in `file`, whole or not at all, trying again a few times. When
/// FILE still cannot be written, the pair goes to `FILE.rescue-PID` beside it (mode
/// 0600) so that it is not lost with the process; the error says where it is.
pub(crate) fn store(file: &Path, pair: &TokenPair) -> Result<(), NotStored> {
    let expires_at = pair
        .expires_at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let stored = Stored {
        access_token: pair.access_token.secret().to_owned(),
        refresh_token: pair.refresh_token.secret().to_owned(),
        expires_at: Some(expires_at),
    };
    let mut result = write(file, &stored);
    for wait in STORE_RETRIES {
        let Err(e) = &result else { break };
        say(&format!(
            "could not write the new pair to {} ({e}); trying again in {}ms",
            file.display(),
            wait.as_millis()
        ));
        std::thread::sleep(wait);
        result = write(file, &stored);
    }
    if let Err(error) = result {
        let mut name = file.as_os_str().to_owned();
        name.push(format!(".rescue-{}", std::process::id()));
        let rescue = PathBuf::from(name);
        let rescued = rescue_write(&rescue, &stored).is_ok();
        return Err(NotStored {
            file: file.to_owned(),
            rescue: rescued.then_some(rescue),
            error,
        });
    }
    say(&format!(
        "token renewed; the new pair is in {} (expires in {}s)",
        file.display(),
        pair.expires_at
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            .as_secs()
    ));
    Ok(())
}

/// Writes the pair to a new file `path` (never one that exists, never through a link),
/// mode 0600, flushed.
fn rescue_write(path: &Path, stored: &Stored) -> io::Result<()> {
    let mut text = serde_json::to_string_pretty(stored).map_err(io::Error::other)?;
    text.push('\n');
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.set_permissions(fs::Permissions::from_mode(0o600))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

/// The directory `file` is in (`.` for a bare name).
fn dir_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Refuses a token file that another local user could swap or read: FILE a symlink (its
/// target is wherever the link says), or FILE in a directory others may write to without
/// the sticky bit (they could replace FILE, or plant links where the new pair is written).
pub(crate) fn check_place(file: &Path) -> Result<(), String> {
    let shown = file.display();
    if fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(format!(
            "token file {shown} is a symlink; it holds a refresh token, so give the path \
             of the regular file itself (a link could send the pair elsewhere)"
        ));
    }
    let dir = dir_of(file);
    let meta = fs::metadata(&dir)
        .map_err(|e| format!("could not read the directory of token file {shown}: {e}"))?;
    let mode = meta.permissions().mode();
    if mode & 0o022 != 0 && mode & 0o1000 == 0 {
        return Err(format!(
            "token file {shown} is in directory {} that other users may write to (mode \
             {:03o}, no sticky bit): they could replace the file or catch the new pair; keep \
             it in a directory only you can write to (chmod go-w {})",
            dir.display(),
            mode & 0o777,
            dir.display()
        ));
    }
    Ok(())
}

/// A name for a temporary file beside `name` no other user can guess ahead of time.
fn temp_name(name: &std::ffi::OsStr, attempt: u32) -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.write_u32(attempt);
    format!(".{}.{:016x}.tmp", name.to_string_lossy(), h.finish())
}

/// Writes `stored` to a new temporary file next to `file` (an unguessable name, created
/// with `O_EXCL`, which never follows a link or opens what exists, and mode 0600 from
/// the start), flushes it to disk, renames it over `file` and flushes the directory: a
/// crash leaves the old file or the new one, never half of either.
fn write(file: &Path, stored: &Stored) -> io::Result<()> {
    check_place(file).map_err(|m| io::Error::new(io::ErrorKind::PermissionDenied, m))?;
    let dir = dir_of(file);
    let name = file
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let mut text = serde_json::to_string_pretty(stored).map_err(io::Error::other)?;
    text.push('\n');
    let mut attempt = 0;
    let (tmp, mut f) = loop {
        let tmp = dir.join(temp_name(name, attempt));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 8 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        // The umask may have taken bits away, never added any; say 0600 outright.
        f.set_permissions(fs::Permissions::from_mode(0o600))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        fs::rename(&tmp, file)?;
        File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
