//! `slack-sessions invalidate`: end one session.

use clap::Args;
use slack_sessions::InvalidateRequest;

use crate::core::{self, Failure, Global};
use crate::prove;

/// End one session, named by its owner and its id.
///
/// Calls admin.users.session.invalidate (scope admin.users:write, Tier 2). With --verify,
/// the session is looked up first and listed again after the call until it is gone
/// (admin.users.session.list, admin.users.list; scope admin.users:read): exit 0 only then.
#[derive(Args, Debug)]
#[command(
    override_usage = "slack-sessions invalidate --user <USER_ID> [--team <TEAM_ID>] --session <SESSION_ID> [--verify [--verify-deadline SECONDS]]"
)]
pub(crate) struct InvalidateArgs {
    /// The user the session belongs to, by id or email address (an address needs
    /// users:read.email; required).
    #[arg(long = "user", value_name = "USER_ID", required = true)]
    user_id: String,
    /// The workspace the session belongs to, sent alongside --user (optional).
    #[arg(long = "team", value_name = "TEAM_ID")]
    team_id: Option<String>,
    /// The session's id (an integer, from `slack-sessions list`).
    #[arg(long = "session", value_name = "SESSION_ID", required = true, value_parser = parse_session_id)]
    session_id: u64,
    /// Prove it: list the user's sessions (on --team, or every workspace they are in)
    /// until the session is gone or --verify-deadline passes; exit 1 if it is still active.
    #[arg(long)]
    verify: bool,
    /// With --verify: how long the session gets to leave the session list (default 120).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, requires = "verify")]
    verify_deadline: Option<std::time::Duration>,
}

pub(crate) fn run(args: &InvalidateArgs, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    let resolved = core::resolve(&client, std::slice::from_ref(&args.user_id), global)?;
    let user_id = resolved.ids[0].clone();
    let mut request = InvalidateRequest::new(user_id.clone(), args.session_id);
    if let Some(team) = &args.team_id {
        request = request.team(team.clone());
    }
    if args.verify && !global.dry_run {
        let listed = prove::snapshot(&client, &user_id, args.team_id.as_deref())?;
        let mut watched: Vec<_> = listed
            .iter()
            .filter(|s| s.session_id == args.session_id)
            .cloned()
            .collect();
        if watched.is_empty() {
            // Not listed before the call: watch it wherever the user holds sessions (or
            // on --team), so an answer of ok is still checked rather than taken on trust.
            let mut teams: Vec<String> = listed.iter().map(|s| s.team_id.clone()).collect();
            teams.extend(args.team_id.clone());
            teams.sort();
            teams.dedup();
            core::say(&format!(
                "session {} of {user_id} is not in the session list before the call (workspaces checked: {})",
                args.session_id,
                if teams.is_empty() { "none with sessions".to_owned() } else { teams.join(", ") }
            ));
            watched = teams
                .into_iter()
                .map(|t| slack_sessions::SessionRef::new(user_id.clone(), t, args.session_id))
                .collect();
        }
        return prove::call_verified(
            &client,
            &request,
            global,
            || format!("invalidated session {} of {user_id}", args.session_id),
            serde_json::json!({
                "user_id": user_id,
                "team_id": args.team_id,
                "session_id": args.session_id,
            }),
            &watched,
            &crate::find::gone_options(args.verify_deadline),
        );
    }
    core::call_with(
        &client,
        &request,
        &resolved,
        global,
        || format!("invalidated session {} of {user_id}", args.session_id),
        serde_json::json!({
            "user_id": user_id,
            "team_id": args.team_id,
            "session_id": args.session_id,
        }),
    )
}

/// A session id as `list` shows it: a whole number (e.g. 1112275520242).
fn parse_session_id(text: &str) -> Result<u64, String> {
    text.trim().parse().map_err(|_| {
        format!(
            "{text:?} is not a session id: a session id is a whole number such as 1112275520242, as `slack-sessions list` shows it in SESSION_ID"
        )
    })
}
