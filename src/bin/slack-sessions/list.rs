//! `slack-sessions list`: active sessions, every page.

use clap::Args;
use slack_sessions::{DeviceInfo, ListRequest};

use crate::core::{self, json, Failure, Global};

/// List active sessions (every page), as a table or JSON lines.
///
/// Calls admin.users.session.list (scope admin.users:read, Tier 2).
#[derive(Args, Debug)]
#[command(
    override_usage = "slack-sessions list [--user <USER_ID> --team <TEAM_ID>] [--limit <N>] [--json]"
)]
pub(crate) struct ListArgs {
    /// Only this user's sessions; Slack needs --team with it.
    #[arg(long = "user", value_name = "USER_ID", requires = "team_id")]
    user_id: Option<String>,
    /// The workspace of --user; Slack needs --user with it.
    #[arg(long = "team", value_name = "TEAM_ID", requires = "user_id")]
    team_id: Option<String>,
    /// Sessions per page requested from Slack (1 to 1000; Slack's default is 1000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    limit: Option<u32>,
}

pub(crate) fn run(args: &ListArgs, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    let mut request = ListRequest::new();
    match (&args.user_id, &args.team_id) {
        (Some(u), Some(t)) => request = request.user_in_team(u.clone(), t.clone()),
        (None, None) => {}
        _ => {
            return Err(Failure::usage(
                "--user and --team go together (Slack needs both or neither)",
            ))
        }
    }
    if let Some(l) = args.limit {
        request = request.limit(l);
    }
    if global.dry_run {
        return core::call(
            &client,
            &request,
            global,
            String::new,
            serde_json::json!({}),
        );
    }
    let mut count = 0;
    let mut skipped = 0;
    for page in client.pages(&request) {
        let page = page?;
        skipped += page.skipped;
        for s in &page.active_sessions {
            count += 1;
            // The header only above a first row: an empty list prints nothing on stdout.
            if count == 1 && !global.json {
                let header = format!(
                    "{:<12} {:<12} {:>20}  {:<32} RECENT IP",
                    "USER", "TEAM", "SESSION_ID", "CREATED ON"
                );
                if !core::print_listing(&header)? {
                    return Ok(());
                }
            }
            let line = if global.json {
                json::Object::ok()
                    .field("user_id", &s.user_id)
                    .field("team_id", &s.team_id)
                    .field("session_id", s.session_id)
                    .field("created", s.created.as_ref().map(device_json))
                    .field("recent", s.recent.as_ref().map(device_json))
                    .line()
            } else {
                let device = s
                    .created
                    .as_ref()
                    .map(|d| {
                        [
                            d.device_hardware.as_deref(),
                            d.os.as_deref(),
                            d.os_version.as_deref(),
                        ]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ")
                    })
                    .unwrap_or_default();
                let recent_ip = s
                    .recent
                    .as_ref()
                    .and_then(|r| r.ip.as_deref())
                    .unwrap_or("-");
                format!(
                    "{:<12} {:<12} {:>20}  {:<32} {recent_ip}",
                    s.user_id, s.team_id, s.session_id, device
                )
            };
            if !core::print_listing(&line)? {
                return Ok(());
            }
        }
    }
    if skipped > 0 {
        core::say(&format!(
            "{skipped} session record(s) from Slack had no usable session_id or user_id and were skipped (a session without an id cannot be invalidated: `reset <USER>` ends it; a record without a user id names nobody to act on)"
        ));
    }
    if count == 0 {
        core::say("no active sessions");
        if global.json {
            // Zero results are still an outcome a playbook must be able to read: one
            // object that says so, without the session fields a result line has.
            json::Object::ok()
                .field("active_sessions", 0)
                .field("user_id", &args.user_id)
                .field("team_id", &args.team_id)
                .print()?;
        }
    } else {
        core::say(&format!("{count} active session(s)"));
    }
    Ok(())
}

fn device_json(d: &DeviceInfo) -> serde_json::Value {
    serde_json::json!({
        "device_hardware": d.device_hardware,
        "os": d.os,
        "os_version": d.os_version,
        "slack_client_version": d.slack_client_version,
        "ip": d.ip,
    })
}
