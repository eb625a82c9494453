//! `slack-sessions reset`: log one user out.

use clap::Args;
use slack_sessions::ResetRequest;

use crate::core::{self, Failure, Global, Scope};
use crate::prove;

/// Log a user out: wipe every session on every device (or only web / only mobile).
///
/// Calls admin.users.session.reset (scope admin.users:write, Tier 2). With --verify, the
/// user's sessions are listed first (admin.users.session.list, admin.users.list; scope
/// admin.users:read) and again after the reset until they are gone: exit 0 only then.
#[derive(Args, Debug)]
#[command(
    override_usage = "slack-sessions reset [--mobile-only | --web-only] <USER_ID> [--verify [--verify-deadline SECONDS]]"
)]
pub(crate) struct ResetArgs {
    /// The user's id, e.g. W12345678, or their email address (needs users:read.email).
    user_id: String,
    /// Only expire mobile sessions.
    #[arg(long, conflicts_with = "web_only")]
    mobile_only: bool,
    /// Only expire web sessions.
    #[arg(long)]
    web_only: bool,
    /// Prove it: list the user's sessions (on every workspace they are in) before the
    /// reset, then until those it ends are gone or --verify-deadline passes; exit 1
    /// naming the sessions still active. With --mobile-only or --web-only, the sessions
    /// of that kind are watched, and those whose device fields do not tell.
    #[arg(long)]
    verify: bool,
    /// With --verify: how long the sessions get to leave the session list (default 120).
    #[arg(long, value_name = "SECONDS", value_parser = core::parse_seconds, requires = "verify")]
    verify_deadline: Option<std::time::Duration>,
}

pub(crate) fn run(args: &ResetArgs, global: &Global) -> Result<(), Failure> {
    let client = core::simple_client(global)?;
    let scope = Scope::new(args.mobile_only, args.web_only);
    let resolved = core::resolve(&client, std::slice::from_ref(&args.user_id), global)?;
    let user_id = resolved.ids[0].clone();
    let request = ResetRequest::scoped(user_id.clone(), args.mobile_only, args.web_only);
    if args.verify && !global.dry_run {
        let watched = prove::snapshot_of(&client, &user_id, None, scope)?;
        return prove::call_verified(
            &client,
            &request,
            global,
            || format!("reset {} of {user_id}", scope.words()),
            serde_json::json!({"user_id": user_id, "scope": scope.as_str()}),
            &watched,
            None,
            &crate::find::gone_options(args.verify_deadline),
        );
    }
    core::call_with(
        &client,
        &request,
        &resolved,
        global,
        || format!("reset {} of {user_id}", scope.words()),
        serde_json::json!({"user_id": user_id, "scope": scope.as_str()}),
    )
}
