//! What a `reset-many` run will do, shown before it is done (see `core::guard`).

use slack_sessions::{ListRequest, ResetBulkRequest, ResetRequest, SlackMethod};

use super::who::{Run, Who};
use super::{Extra, ResetManyArgs};
use crate::core::{guard, Scope};

/// What the run will do, for the guard rail and the dry run.
pub(super) fn plan(
    args: &ResetManyArgs,
    scope: Scope,
    who: &Who,
    run: &Run<'_>,
    extra: &Extra,
) -> guard::Plan {
    // A whole-org run knows its users once its snapshot is taken.
    let org = run.org_users();
    let todo: &[String] = org.unwrap_or(&who.todo);
    let skipped = who.skipped;
    let (mut methods, calls) = if args.bulk {
        (
            vec![
                ListRequest::NAME,
                ResetBulkRequest::NAME,
                ResetRequest::NAME,
            ],
            // The enqueue, a snapshot walk and a verification walk at the least.
            todo.len().div_ceil(ResetBulkRequest::MAX_USERS) + 2,
        )
    } else {
        (vec![ResetRequest::NAME], todo.len())
    };
    let mut notes = Vec::new();
    if skipped > 0 {
        notes.push(format!(
            "{skipped} user(s) skipped: an earlier report shows them done"
        ));
    }
    if args.bulk {
        notes.push("every user is verified against the session list; anyone the bulk job misses gets one reset".into());
    }
    if org.is_some() {
        notes.push(
            "--all --bulk: the users with an active session (a user without one has nothing to log out)"
                .into(),
        );
    }
    notes.extend(extra.notes.iter().cloned());
    if extra.watch.is_some() && !args.bulk {
        methods.push(ListRequest::NAME);
    }
    guard::Plan {
        action: format!(
            "log out {} user(s): {}{}",
            todo.len(),
            scope.words(),
            if args.all {
                " (--all: the whole org)"
            } else {
                ""
            }
        ),
        users: todo.len(),
        sessions: extra.sessions,
        ids: todo.to_vec(),
        methods,
        calls,
        notes,
        always_ask: args.all,
    }
}
