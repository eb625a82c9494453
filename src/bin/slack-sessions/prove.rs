//! `reset --verify` and `invalidate --verify`: the write, then the proof that the
//! sessions it targeted left the session list, in one result.

use slack_sessions::{Client, GoneOptions, SessionFilter, SessionRef, SlackMethod, UreqTransport};

use crate::core::{self, json, Failure, Global, Scope};

/// The user's sessions now (on `team`, or on every workspace of the org: without `team`
/// this is the org walk, one call per 1,000 sessions of the org, since the user record's
/// workspaces can omit one where the user holds sessions): what a write is then proven
/// against. Read calls only.
pub(crate) fn snapshot(
    client: &Client<UreqTransport>,
    user_id: &str,
    team: Option<&str>,
) -> Result<Vec<SessionRef>, Failure> {
    snapshot_of(client, user_id, team, Scope::All)
}

/// [`snapshot`], keeping only the sessions a reset of `scope` ends: for a mobile- or
/// web-only reset, those of that kind and those whose device fields do not tell (they
/// are watched rather than assumed gone), as `reset-many --bulk` does.
pub(crate) fn snapshot_of(
    client: &Client<UreqTransport>,
    user_id: &str,
    team: Option<&str>,
    scope: Scope,
) -> Result<Vec<SessionRef>, Failure> {
    let mut filter = SessionFilter::new().user(user_id);
    if let Some(t) = team {
        filter = filter.team(t);
    }
    let mut refs = Vec::new();
    let ended = |s: &slack_sessions::ActiveSession| match scope {
        Scope::All => true,
        Scope::Mobile => s.is_mobile() != Some(false),
        Scope::Web => s.is_mobile() != Some(true),
    };
    let mut walk = client.find_sessions(&filter);
    for s in walk.by_ref() {
        let s = s?;
        if ended(&s) {
            refs.push(SessionRef::from(&s));
        }
    }
    // A record listed without a usable session id is something of the user's still
    // active: watched as session 0 (any such record of the user on that workspace), so
    // the user is never verified gone while one is listed.
    let mut id_less: Vec<SessionRef> = walk
        .without_id()
        .iter()
        .filter(|s| ended(s))
        .map(SessionRef::from)
        .collect();
    id_less.dedup();
    for r in id_less {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    Ok(refs)
}

/// Sends `request`, then checks `watched` until they are gone or the deadline passes,
/// and prints one result saying both. Exit 1 (`not_verified`) naming the sessions still
/// listed when the proof fails. `unseen` says why the targets cannot be proven gone
/// (they were not seen before the call): the call is still made, the result is never
/// verified.
#[allow(clippy::too_many_arguments)]
pub(crate) fn call_verified<R: SlackMethod>(
    client: &Client<UreqTransport>,
    request: &R,
    global: &Global,
    describe_ok: impl FnOnce() -> String,
    fields: serde_json::Value,
    watched: &[SessionRef],
    unseen: Option<String>,
    options: &GoneOptions,
) -> Result<(), Failure> {
    let answer = match client.send_with_meta(request) {
        Ok(answer) => answer,
        Err(error) => {
            if global.json {
                json::Object::from_error(&error)
                    .field("method", R::NAME)
                    .field("verified", false)
                    .fields(fields)
                    .print()?;
                return Err(Failure::from(error).shown());
            }
            return Err(error.into());
        }
    };
    core::print_warnings(answer.meta.warnings());
    let gone = client.await_gone(watched, options);
    let request_id = answer.meta.request_id();
    let (still, check_error) = match &gone {
        Ok(g) => (
            g.still_active
                .iter()
                .map(|s| match s.session_id {
                    0 => format!(
                        "{}/{}/(a record without a session id)",
                        s.user_id, s.team_id
                    ),
                    id => format!("{}/{}/{id}", s.user_id, s.team_id),
                })
                .collect::<Vec<_>>(),
            None,
        ),
        Err(e) => (Vec::new(), Some(e)),
    };
    let verified = unseen.is_none() && check_error.is_none() && still.is_empty();
    let mut done = format!("ok: {}", describe_ok());
    if let Some(id) = request_id {
        done.push_str(&format!(" [request id {id}]"));
    }
    let why = match (&unseen, check_error) {
        (Some(unseen), _) => unseen.clone(),
        (None, Some(e)) => format!("the check failed: {}", core::describe(e)),
        (None, None) => format!(
            "{} session(s) still active at the deadline: {}",
            still.len(),
            still.join(", ")
        ),
    };
    if global.json {
        let object = if verified {
            json::Object::ok()
        } else {
            json::Object::failed(json::code::NOT_VERIFIED, &why)
        };
        object
            .field("method", R::NAME)
            .field("request_id", request_id)
            .field("attempts", answer.meta.attempts())
            .field(
                "verified",
                if unseen.is_some() {
                    None
                } else {
                    Some(verified)
                },
            )
            .field("watched", watched.len())
            .field("still_active", &still)
            .fields(fields)
            .print()
            .map_err(|f| f.and_done(&done))?;
    } else {
        let mut line = done.clone();
        if verified {
            line.push_str(&format!(
                "; verified: {} session(s) gone from the session list",
                watched.len()
            ));
        } else if unseen.is_some() {
            line.push_str("; NOT verified (the session was never seen to be active)");
        } else {
            line.push_str("; NOT verified");
        }
        core::print(&line).map_err(|f| f.and_done(&done))?;
    }
    if verified {
        Ok(())
    } else {
        let message = if unseen.is_some() {
            why
        } else {
            format!("not verified: {why}")
        };
        let failure = Failure::failed(message).with_error(json::code::NOT_VERIFIED);
        Err(if global.json {
            failure.shown()
        } else {
            failure
        })
    }
}
