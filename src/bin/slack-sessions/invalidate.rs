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
    #[arg(long = "session", value_name = "SESSION_ID", required = true, allow_hyphen_values = true, value_parser = parse_session_id)]
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
        let mut listed = prove::snapshot(&client, &user_id, args.team_id.as_deref())?;
        let is_it = |s: &slack_sessions::SessionRef| s.session_id == args.session_id;
        if !listed.iter().any(is_it) {
            if let Some(team) = &args.team_id {
                // Not on --team: look on every workspace of the user, so that a session
                // on another workspace is watched where it is (and a call that did not
                // end it is caught) rather than taken as gone.
                listed = prove::snapshot(&client, &user_id, None)?;
                if let Some(s) = listed.iter().find(|s| is_it(s)) {
                    core::say(&format!(
                        "session {} of {user_id} is listed on {}, not on --team {team}",
                        args.session_id, s.team_id
                    ));
                }
            }
        }
        let watched: Vec<_> = listed.into_iter().filter(is_it).collect();
        // A session never seen cannot be seen gone: the call is still made, but the
        // result is never "verified".
        let unseen = watched.is_empty().then(|| {
            format!(
                "cannot verify: session {} was not in {user_id}'s session list before the call (looked on {}); check the session id and --team",
                args.session_id,
                args.team_id
                    .as_deref()
                    .map_or("every workspace of the user".to_owned(), |t| format!(
                        "{t} and every workspace of the user"
                    ))
            )
        });
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
            unseen,
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
