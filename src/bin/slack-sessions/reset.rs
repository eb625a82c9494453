//! `slack-sessions reset`: log one user out.

use clap::Args;
use slack_sessions::ResetRequest;

use crate::core::{self, Failure, Global, Scope};

/// Log a user out: wipe every session on every device (or only web / only mobile).
///
/// Calls admin.users.session.reset (scope admin.users:write, Tier 2).
#[derive(Args, Debug)]
#[command(override_usage = "slack-sessions reset [--mobile-only | --web-only] <USER_ID>")]
pub(crate) struct ResetArgs {
    /// The user's id, e.g. W12345678, or their email address (needs users:read.email).
    user_id: String,
    /// Only expire mobile sessions.
    #[arg(long, conflicts_with = "web_only")]
    mobile_only: bool,
    /// Only expire web sessions.
    #[arg(long)]
    web_only: bool,
}

pub(crate) fn run(args: &ResetArgs, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    let scope = Scope::new(args.mobile_only, args.web_only);
    let resolved = core::resolve(&client, std::slice::from_ref(&args.user_id), global)?;
    let user_id = resolved.ids[0].clone();
    let request = ResetRequest::scoped(user_id.clone(), args.mobile_only, args.web_only);
    core::call_with(
        &client,
        &request,
        &resolved,
        global,
        || format!("reset {} of {user_id}", scope.words()),
        serde_json::json!({"user_id": user_id, "scope": scope.as_str()}),
    )
}
