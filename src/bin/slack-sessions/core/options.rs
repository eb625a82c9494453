//! The options every command takes (`Global`), and the parsers they share.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Options every command takes, before or after its name. Each command's `--help` lists
/// them under their own heading, after the command's own options.
#[derive(Args, Debug)]
#[command(next_help_heading = "Global options")]
pub(crate) struct Global {
    /// Slack user token (xoxp-..., or a rotating xoxe.xoxp-...); scopes: admin.users:write,
    /// admin.users:read.
    #[arg(long, global = true, env = "SLACK_TOKEN", hide_env_values = true)]
    pub(crate) token: Option<String>,

    /// Keep a rotating token's pair in FILE: read it, renew it when needed, write each new
    /// pair before using it (mode 0600; a FILE open to other users is refused). Needs
    /// SLACK_CLIENT_ID and SLACK_CLIENT_SECRET; when FILE does not exist yet, the first
    /// pair comes from SLACK_TOKEN and SLACK_REFRESH_TOKEN (xoxe-...).
    #[arg(
        long,
        global = true,
        env = "SLACK_TOKEN_FILE",
        hide_env_values = true,
        value_name = "FILE",
        verbatim_doc_comment
    )]
    pub(crate) token_file: Option<PathBuf>,

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
    /// Slack's Retry-After says (0 turns retries off; at most 100).
    #[arg(long, global = true, value_name = "N", default_value_t = 3, value_parser = parse_retries)]
    pub(crate) retries: u32,

    /// Send through this HTTP proxy (http://host:port; HTTPS is tunnelled with CONNECT).
    /// A loopback API URL never goes through a proxy.
    #[arg(long, global = true, value_name = "URL", value_parser = parse_proxy)]
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

/// Parses a positive number of seconds (fractions allowed), at most a day.
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

/// `--retries`: a count a run can live with (a million retries of a 429 is a hang).
fn parse_retries(text: &str) -> Result<u32, String> {
    let n: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number of retries (0 to 100)"))?;
    if n > 100 {
        return Err(format!(
            "{n} retries is more than 100: past a few, a failing call is better reported than retried"
        ));
    }
    Ok(n)
}

/// `--proxy`: a URL with a scheme ureq speaks and a host, refused before any call.
fn parse_proxy(text: &str) -> Result<String, String> {
    let schemes = ["http", "https", "socks4", "socks4a", "socks5", "socks5h"];
    let uri: http::Uri = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a proxy URL: write it as http://host:port"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some(scheme), Some(host))
            if schemes.contains(&scheme.to_ascii_lowercase().as_str()) && !host.is_empty() =>
        {
            Ok(text.trim().to_owned())
        }
        _ => Err(format!(
            "{text:?} is not a proxy URL: write it as http://host:port (schemes: {})",
            schemes.join(", ")
        )),
    }
}
