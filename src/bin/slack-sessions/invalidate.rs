//! `slack-sessions invalidate`: end one session.

use clap::Args;
use slack_sessions::InvalidateRequest;

use crate::core::{self, Failure, Global};

/// End one session, named by its owner and its id.
///
/// Calls admin.users.session.invalidate (scope admin.users:write, Tier 2).
#[derive(Args, Debug)]
#[command(
    override_usage = "slack-sessions invalidate --user <USER_ID> [--team <TEAM_ID>] --session <SESSION_ID>"
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
    #[arg(long = "session", value_name = "SESSION_ID", required = true)]
    session_id: u64,
}

pub(crate) fn run(args: &InvalidateArgs, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    let resolved = core::resolve(&client, std::slice::from_ref(&args.user_id), global)?;
    let user_id = resolved.ids[0].clone();
    let mut request = InvalidateRequest::new(user_id.clone(), args.session_id);
    if let Some(team) = &args.team_id {
        request = request.team(team.clone());
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
