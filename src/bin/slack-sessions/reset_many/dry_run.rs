//! `reset-many --dry-run`: the first request and every user it would touch, nothing
//! written.

use slack_sessions::{ListRequest, ResetBulkRequest, ResetRequest, SlackMethod, UreqTransport};

use super::ResetManyArgs;
use crate::core::{self, json, Failure, Global, Resolved, Scope};

/// Why a dry run of `--all` needs a token, and what it does with it.
pub(super) const ALL_DRY_RUN_NEEDS_A_TOKEN: &str = "a dry run of --all needs a real token in SLACK_TOKEN (or --token): it finds who would be logged out with read calls (auth.test, then admin.users.list, 100 users a call), and writes nothing";

/// How admin.users.list is walked to find the org's users.
pub(super) const ALL_READS: &str = "page by page, 100 users a call";

/// The plan: the first request, then every user it would touch, one per line (an
/// address shown with the id it resolved to, or marked unresolved); the calls on stderr.
pub(super) fn dry_run(
    client: &slack_sessions::Client<UreqTransport>,
    args: &ResetManyArgs,
    global: &Global,
    scope: Scope,
    todo: &[String],
    skipped: usize,
    resolved: &Resolved,
) -> Result<(), Failure> {
    resolved.say();
    let method = if args.bulk {
        ResetBulkRequest::NAME
    } else {
        ResetRequest::NAME
    };
    let http_request = match todo.first() {
        None => None,
        Some(_) if args.bulk => Some(client.build_request(&ResetBulkRequest::scoped(
            todo.iter().take(ResetBulkRequest::MAX_USERS).cloned(),
            args.mobile_only,
            args.web_only,
        ))?),
        Some(first) => Some(client.build_request(&ResetRequest::scoped(
            first.clone(),
            args.mobile_only,
            args.web_only,
        ))?),
    };
    let calls = if args.bulk {
        format!(
            "{} {} call(s) of up to 1,000 users (the request shown is the first), after a snapshot walk of {} and before verification walks of it, then one {} for each user the job misses",
            todo.len().div_ceil(ResetBulkRequest::MAX_USERS),
            ResetBulkRequest::NAME,
            ListRequest::NAME,
            ResetRequest::NAME
        )
    } else {
        format!(
            "one {} call each (the request shown is the first; the others differ only in user_id)",
            ResetRequest::NAME
        )
    };
    let unresolved = resolved.unresolved().count();
    if global.json {
        let mut plan = json::Object::ok()
            .field("dry_run", true)
            .field("method", method)
            .field("scope", scope.as_str())
            .field("users", todo.len())
            .field("skipped", skipped)
            .field("unresolved_emails", unresolved)
            .field("calls", &calls);
        if let Some(r) = &http_request {
            plan = plan.field("request", core::dry_run::request_json(r, resolved));
        }
        plan.print()?;
        for id in todo {
            let email = resolved.email_of(id);
            let given = resolved
                .emails
                .iter()
                .find(|(_, r)| r.as_deref() == Some(id.as_str()))
                .map(|(e, _)| e.as_str());
            json::Object::ok()
                .field("dry_run", true)
                .field("user_id", if email.is_some() { None } else { Some(id) })
                .field("email", email.or(given))
                .field("unresolved", email.is_some())
                .field("method", method)
                .field("scope", scope.as_str())
                .print()?;
        }
    } else {
        if let Some(r) = &http_request {
            core::print(&core::dry_run::request_text(r, resolved))?;
            core::print("")?;
        }
        core::print(&format!(
            "# the {} user(s) it would reset, one per line:",
            todo.len()
        ))?;
        for id in todo {
            let line = match resolved.email_of(id) {
                Some(email) => format!("{email}\t(unresolved: looked up first, needs a token)"),
                None => match resolved
                    .emails
                    .iter()
                    .find(|(_, r)| r.as_deref() == Some(id.as_str()))
                {
                    Some((email, _)) => format!("{id}\t({email})"),
                    None => id.clone(),
                },
            };
            core::print(&line)?;
        }
    }
    let who = if args.all {
        " (found with read calls only)"
    } else {
        ""
    };
    let unresolved_note = if unresolved > 0 {
        format!("; {unresolved} email address(es) would be resolved to ids first")
    } else {
        String::new()
    };
    core::say(&format!(
        "dry run: would reset {} of {} user(s){who} with {calls}, and skip {skipped} already done; nothing was written{unresolved_note}",
        scope.words(),
        todo.len(),
    ));
    Ok(())
}
