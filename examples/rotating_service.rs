//! A long-running service with a rotating Slack token: one client, shared by worker
//! threads, renewing its token as it goes and keeping each new pair in a 0600 file
//! before using it.
//!
//! ```text
//! # pair.json: {"access_token":"xoxe.xoxp-…","refresh_token":"xoxe-…","expires_at":1767225600}
//! SLACK_TOKEN_FILE=pair.json SLACK_CLIENT_ID=… SLACK_CLIENT_SECRET=… \
//!     cargo run --example rotating_service -- --seconds 60 W12345678 W23456789
//! ```
//!
//! It resets the given users' sessions over and over (each worker in turn) for the time
//! given, then prints what it did. `tests/rotating_service.rs` runs `run` against the
//! loopback Slack server for several token lifetimes (seconds there, 12 hours at Slack).

use std::error::Error as StdError;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use slack_sessions::{Client, ResetRequest, RotatingToken, TokenPair};

/// What the service is told.
pub struct Config {
    /// `None`: Slack itself.
    pub api_url: Option<String>,
    /// The token pair, read at start and rewritten on every renewal.
    pub token_file: PathBuf,
    pub client_id: String,
    pub client_secret: String,
    pub users: Vec<String>,
    pub workers: usize,
    pub run_for: Duration,
    /// Pause between one worker's calls.
    pub every: Duration,
}

/// What the service did.
#[derive(Debug, Default)]
pub struct Summary {
    pub calls: u64,
    pub renewals: u64,
    pub failures: Vec<String>,
}

/// The service's state: the client is named without a type parameter (the built-in
/// transport) and cloned into every worker.
struct App {
    client: Client,
}

pub fn run(config: &Config) -> Result<Summary, Box<dyn StdError + Send + Sync>> {
    let (access, refresh, expires_at) = read_pair(&config.token_file)?;
    let mut token = RotatingToken::new(
        access,
        refresh,
        config.client_id.as_str(),
        config.client_secret.as_str(),
    );
    if let Some(at) = expires_at {
        token = token.expires_at(at);
    }
    let renewals = Arc::new(AtomicU64::new(0));
    let (file, counted) = (config.token_file.clone(), renewals.clone());
    let mut builder = Client::builder(token).on_renewal(move |pair| {
        // Stored before the client uses the new access token: a refresh token works once.
        write_pair(&file, pair)?;
        counted.fetch_add(1, Ordering::SeqCst);
        Ok::<(), std::io::Error>(())
    });
    if let Some(url) = &config.api_url {
        builder = builder.api_url(url.clone());
    }
    let app = App {
        client: builder.build()?,
    };

    let summary = Mutex::new(Summary::default());
    let deadline = Instant::now() + config.run_for;
    std::thread::scope(|scope| {
        for worker in 0..config.workers {
            let client = app.client.clone(); // a handle: same connections, same token
            let summary = &summary;
            let users = &config.users;
            scope.spawn(move || {
                let mut n = worker;
                while Instant::now() < deadline {
                    let user = &users[n % users.len()];
                    let result = client.send(&ResetRequest::new(user.as_str()));
                    let mut s = summary.lock().unwrap();
                    s.calls += 1;
                    if let Err(e) = result {
                        s.failures.push(format!("worker {worker}, {user}: {e}"));
                    }
                    drop(s);
                    n += config.workers;
                    std::thread::sleep(config.every);
                }
            });
        }
    });
    let mut summary = summary.into_inner().unwrap();
    summary.renewals = renewals.load(Ordering::SeqCst);
    Ok(summary)
}

/// The pair file: `{"access_token", "refresh_token", "expires_at" (Unix seconds or null)}`.
fn read_pair(
    file: &Path,
) -> Result<(String, String, Option<SystemTime>), Box<dyn StdError + Send + Sync>> {
    let value: serde_json::Value = serde_json::from_str(&fs::read_to_string(file)?)?;
    let text = |k: &str| {
        value[k]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{}: no {k}", file.display()))
    };
    let at = value["expires_at"]
        .as_u64()
        .map(|s| UNIX_EPOCH + Duration::from_secs(s));
    Ok((text("access_token")?, text("refresh_token")?, at))
}

/// Writes the pair whole or not at all: a 0600 temporary file, fsync, rename.
fn write_pair(file: &Path, pair: &TokenPair) -> std::io::Result<()> {
    let expires_at = pair
        .expires_at
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let text = serde_json::json!({
        "access_token": pair.access_token.secret(),
        "refresh_token": pair.refresh_token.secret(),
        "expires_at": expires_at,
    })
    .to_string();
    let tmp = file.with_extension("tmp");
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    fs::rename(&tmp, file)
}

fn main() -> Result<(), Box<dyn StdError + Send + Sync>> {
    let var = |k: &str| std::env::var(k).map_err(|_| format!("set {k}"));
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut seconds = 60;
    if let Some(i) = args.iter().position(|a| a == "--seconds") {
        seconds = args.get(i + 1).ok_or("--seconds needs a number")?.parse()?;
        args.drain(i..=i + 1);
    }
    if args.is_empty() {
        return Err("give the user ids to reset".into());
    }
    let config = Config {
        api_url: std::env::var("SLACK_API_URL").ok(),
        token_file: var("SLACK_TOKEN_FILE")?.into(),
        client_id: var("SLACK_CLIENT_ID")?,
        client_secret: var("SLACK_CLIENT_SECRET")?,
        users: args,
        workers: 4,
        run_for: Duration::from_secs(seconds),
        every: Duration::from_secs(1),
    };
    let summary = run(&config)?;
    println!(
        "{} calls, {} renewals, {} failures",
        summary.calls,
        summary.renewals,
        summary.failures.len()
    );
    for failure in &summary.failures {
        eprintln!("{failure}");
    }
    Ok(())
}
