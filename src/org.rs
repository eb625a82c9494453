//! Logging out a whole org in minutes: [`Client::reset_verified`] (resetBulk, verified
//! user by user against `admin.users.session.list`), [`Client::org_targets`] (who
//! "everyone" is), and [`Client::resolve_users`] (emails to ids before any write).

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use crate::bulk::{dooms_the_run, Patient, ResetHow, ResetOutcome};
use crate::client::Client;
use crate::error::{ApiError, Error, ErrorCode, InvalidRequest};
use crate::meta::WithMeta;
use crate::method::{Paginated, SlackMethod};
use crate::methods::admin_users_list::{AdminUser, AdminUsersListRequest};
use crate::methods::auth_test::AuthTestRequest;
use crate::methods::list::{ActiveSession, ListRequest};
use crate::methods::lookup_by_email::{is_email, LookupByEmailRequest};
use crate::methods::reset::ResetRequest;
use crate::methods::reset_bulk::ResetBulkRequest;
use crate::paginate::{follow, DEFAULT_MAX_PAGES};
use crate::transport::Transport;

/// Options of a [`Client::reset_verified`] run.
///
/// ```
/// use std::time::Duration;
/// use slack_sessions::VerifyOptions;
///
/// // Give Slack's bulk job ten minutes before falling back to one reset per user.
/// let options = VerifyOptions::new().deadline(Duration::from_secs(600));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyOptions {
    mobile_only: bool,
    web_only: bool,
    deadline: Duration,
    first_check: Duration,
    max_check_interval: Duration,
    max_rate_limit_waits: u32,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            mobile_only: false,
            web_only: false,
            deadline: Duration::from_secs(600),
            first_check: Duration::from_secs(5),
            max_check_interval: Duration::from_secs(60),
            max_rate_limit_waits: 1000,
        }
    }
}

impl VerifyOptions {
    /// Every session of every user; verify for up to 10 minutes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only mobile sessions (and only they are verified).
    pub fn mobile_only(mut self, yes: bool) -> Self {
        self.mobile_only = yes;
        self
    }

    /// Only web sessions (and only they are verified).
    pub fn web_only(mut self, yes: bool) -> Self {
        self.web_only = yes;
        self
    }

    /// How long, from the end of the enqueue, the bulk job gets to show every user's
    /// sessions gone before the users it has not logged out get a single reset (default
    /// 10 minutes). The same deadline bounds the check after the single resets.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = limit;
        self
    }

    /// The first check waits this long after the enqueue (default 5 s), later checks
    /// twice as long as the one before, up to [`max_check_interval`](Self::max_check_interval).
    pub fn first_check(mut self, wait: Duration) -> Self {
        self.first_check = wait;
        self
    }

    /// The longest wait between two checks (default 60 s).
    pub fn max_check_interval(mut self, wait: Duration) -> Self {
        self.max_check_interval = wait;
        self
    }

    /// How many 429s in a row one call may get before the run stops (default 1000).
    pub fn max_rate_limit_waits(mut self, n: u32) -> Self {
        self.max_rate_limit_waits = n;
        self
    }

    fn kind(&self) -> Option<SessionKind> {
        match (self.mobile_only, self.web_only) {
            (true, _) => Some(SessionKind::Mobile),
            (_, true) => Some(SessionKind::Web),
            _ => None,
        }
    }
}

/// A session's kind, as far as its device fields tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionKind {
    Mobile,
    Web,
}

/// Mobile or web (desktop and browsers), from `recent` then `created`; `None` when the
/// fields do not say.
fn session_kind(s: &ActiveSession) -> Option<SessionKind> {
    for device in [&s.recent, &s.created].into_iter().flatten() {
        let os = device.os.as_deref().unwrap_or("").to_ascii_lowercase();
        let hw = device
            .device_hardware
            .as_deref()
            .unwrap_or("")
            .to_ascii_lowercase();
        let mobile = ["ios", "ipados", "android"].iter().any(|m| os.contains(m))
            || ["iphone", "ipad", "android", "pixel"]
                .iter()
                .any(|m| hw.contains(m));
        if mobile {
            return Some(SessionKind::Mobile);
        }
        let web = ["mac", "os x", "windows", "linux", "chrome os", "cros"]
            .iter()
            .any(|w| os.contains(w));
        if web {
            return Some(SessionKind::Web);
        }
    }
    None
}

/// What a user had at the snapshot: the sessions whose going away verifies them.
#[derive(Debug, Default, Clone)]
struct Watched {
    sessions: Vec<u64>,
    /// Sessions of the kind asked for that the fields could not tell the kind of.
    unknown_kind: usize,
    team_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Snapshot,
    Enqueue,
    Verify,
    Fallback,
    FinalVerify,
    Done,
}

/// A [`Client::reset_verified`] run: an iterator of one [`ResetOutcome`] per user, each
/// yielded as that user gets a final answer (verified by the bulk job, reset and
/// verified singly, or failed).
///
/// The steps: **snapshot** (walk `admin.users.session.list` for the whole org, 1,000 a
/// page, and keep each target user's session ids; for a mobile- or web-only run, only
/// sessions of that kind); **enqueue** (`resetBulk` in chunks of 1,000; the users
/// `failed_for_some_users` names go straight to the fallback); **verify** (walk the list
/// again, backing off between walks, until every user's snapshot sessions are gone or
/// the deadline passes; new sessions, people logging back in, do not count against
/// them); **fall back** (a single `reset` for each user not verified, then verify them
/// again). A fatal error (an org- or token-wide code, see
/// [`ErrorCode::class`](crate::ErrorCode::class)) stops the run: [`stopped`](Self::stopped)
/// says why and [`remaining`](Self::remaining) who has no answer yet.
#[must_use = "iterators do nothing unless consumed"]
pub struct ResetVerified<'a, T> {
    client: &'a Client<T>,
    options: VerifyOptions,
    targets: Vec<String>,
    phase: Phase,
    watched: HashMap<String, Watched>,
    /// Users enqueued (or singly reset) and waiting to be verified, with what was
    /// learned of their call so far.
    pending: Vec<String>,
    fallback: VecDeque<String>,
    /// Per user: request id and calls of the reset that reached them.
    calls: HashMap<String, (Option<String>, u32)>,
    ready: VecDeque<ResetOutcome>,
    finished: HashSet<String>,
    stopped: Option<String>,
    /// Calls made, by method, for the run's report.
    calls_by_method: HashMap<&'static str, u32>,
    last_walk_pages: usize,
    /// Where the next sample of pending users starts.
    sample_at: usize,
}

/// How many pending users are asked one by one before a whole walk is made.
const SAMPLE: usize = 3;

impl<T: Transport> Client<T> {
    /// Logs these users out with `admin.users.session.resetBulk` (1,000 a call) and
    /// verifies each one against `admin.users.session.list`, falling back to a single
    /// `reset` for anyone the bulk job does not log out by the deadline; see
    /// [`ResetVerified`]. Nobody is left without a final answer.
    ///
    /// For 10,000 users that is 10 `resetBulk` calls and a few walks of the session list,
    /// where [`reset_many`](Client::reset_many) needs 10,000 Tier-2 calls (over 8 hours).
    pub fn reset_verified<I, S>(&self, user_ids: I, options: VerifyOptions) -> ResetVerified<'_, T>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut seen = HashSet::new();
        let targets = user_ids
            .into_iter()
            .map(Into::into)
            .filter(|id: &String| seen.insert(id.clone()))
            .collect();
        ResetVerified {
            client: self,
            options,
            targets,
            phase: Phase::Snapshot,
            watched: HashMap::new(),
            pending: Vec::new(),
            fallback: VecDeque::new(),
            calls: HashMap::new(),
            ready: VecDeque::new(),
            finished: HashSet::new(),
            stopped: None,
            calls_by_method: HashMap::new(),
            last_walk_pages: 1,
            sample_at: 0,
        }
    }

    /// Everyone a whole-org logout targets: the org's active users from
    /// `admin.users.list` (100 a page), minus bots, the primary owner (whom Slack refuses
    /// to reset) and, unless `include_self`, the token's own user (from `auth.test`), so
    /// that the responder keeps a working console.
    ///
    /// # Errors
    ///
    /// The first error of a call that failed (after waiting out rate limits).
    pub fn org_targets(&self, include_self: bool) -> Result<OrgTargets, Error> {
        let caller = patient(self, &AuthTestRequest::new())?.response.user_id;
        let mut targets = OrgTargets {
            caller: Some(caller.clone()).filter(|c| !c.is_empty()),
            ..OrgTargets::default()
        };
        for user in all_users(self)? {
            if user.is_bot {
                targets.bots.push(user.id);
            } else if user.is_primary_owner {
                targets.primary_owners.push(user.id);
            } else if user.id == caller && !include_self {
                targets.skipped_self = true;
            } else {
                targets.users.push(user.id);
            }
        }
        Ok(targets)
    }

    /// Turns every email address among `inputs` into the id of its user, before anything
    /// is written; ids pass through, in order. A few addresses (up to 10) are looked up
    /// one by one with `users.lookupByEmail` (Tier 3); more, with one walk of
    /// `admin.users.list` (Tier 4, 100 users a call).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] naming every address that belongs to nobody (nothing
    /// else is lost: no write was made), or the error of a call that failed.
    pub fn resolve_users(&self, inputs: &[String]) -> Result<Vec<String>, Error> {
        let emails: Vec<&String> = inputs.iter().filter(|i| is_email(i)).collect();
        if emails.is_empty() {
            return Ok(inputs.to_vec());
        }
        let mut found: HashMap<String, String> = HashMap::new();
        let mut unknown = Vec::new();
        if emails.len() <= 10 {
            for email in &emails {
                match patient(self, &LookupByEmailRequest::new(email.as_str())) {
                    Ok(answer) => {
                        found.insert(email.to_ascii_lowercase(), answer.response.user.id);
                    }
                    Err(Error::Api(e)) if e.code() == &ErrorCode::UsersNotFound => {
                        unknown.push(email.as_str())
                    }
                    Err(e) => return Err(e),
                }
            }
        } else {
            for user in all_users(self)? {
                if !user.email.is_empty() {
                    found.insert(user.email.to_ascii_lowercase(), user.id);
                }
            }
            unknown = emails
                .iter()
                .filter(|e| !found.contains_key(&e.to_ascii_lowercase()))
                .map(|e| e.as_str())
                .collect();
        }
        if !unknown.is_empty() {
            return Err(Error::InvalidRequest(InvalidRequest::new(
                LookupByEmailRequest::NAME,
                "email",
                format!(
                    "{} belong(s) to no user of the org: {}; nothing was reset",
                    unknown.len(),
                    unknown.join(", ")
                ),
            )));
        }
        Ok(inputs
            .iter()
            .map(|i| match found.get(&i.to_ascii_lowercase()) {
                Some(id) if is_email(i) => id.clone(),
                _ => i.clone(),
            })
            .collect())
    }
}

/// Who a whole-org logout targets, from [`Client::org_targets`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OrgTargets {
    /// The users to log out.
    pub users: Vec<String>,
    /// Bots, left out (they have no sessions to reset).
    pub bots: Vec<String>,
    /// The primary owner(s), left out (Slack refuses to reset them).
    pub primary_owners: Vec<String>,
    /// The token's own user.
    pub caller: Option<String>,
    /// Whether the caller was left out.
    pub skipped_self: bool,
}

/// Every active user of the org, 100 a page, riding out rate limits.
fn all_users<T: Transport>(client: &Client<T>) -> Result<Vec<AdminUser>, Error> {
    let first = AdminUsersListRequest::new().limit(AdminUsersListRequest::MAX_LIMIT);
    let pages = every_page(first, |r| patient(client, r))?;
    Ok(pages.into_iter().flat_map(|p| p.users).collect())
}

/// Every page of a walk that starts at `first`, each fetched by `fetch` (which waits out
/// rate limits, unlike [`Client::pages`]): an answer the method calls "nothing to list"
/// ends it ([`Paginated::empty_page_on`]); a loop or a runaway walk is stopped as
/// [`Pages`](crate::Pages) stops it.
fn every_page<R: Paginated>(
    first: R,
    mut fetch: impl FnMut(&R) -> Result<WithMeta<R::Response>, Error>,
) -> Result<Vec<R::Response>, Error> {
    let mut pages = Vec::new();
    let mut request = first;
    let mut seen = HashSet::new();
    loop {
        let answer = match fetch(&request) {
            Ok(answer) => answer,
            Err(Error::Api(e)) => match R::empty_page_on(&e) {
                Some(empty) => {
                    pages.push(empty);
                    return Ok(pages);
                }
                None => return Err(Error::Api(e)),
            },
            Err(e) => return Err(e),
        };
        let next = follow(
            &request,
            &answer,
            &mut seen,
            pages.len() + 1,
            DEFAULT_MAX_PAGES,
        )?;
        pages.push(answer.response);
        match next {
            Some(next) => request = next,
            None => return Ok(pages),
        }
    }
}

/// Sends `request` as a run does: rate limits waited out past the client's retries.
fn patient<T: Transport, R: SlackMethod>(
    client: &Client<T>,
    request: &R,
) -> Result<WithMeta<R::Response>, Error> {
    client.send_patiently(request, 1000, || {}).result
}

impl<'a, T: Transport> ResetVerified<'a, T> {
    /// Why the run stopped early, if it did.
    pub fn stopped(&self) -> Option<&str> {
        self.stopped.as_deref()
    }

    /// The users with no final answer yet (all of them left after an early stop).
    pub fn remaining(&self) -> impl Iterator<Item = &str> + '_ {
        self.targets
            .iter()
            .filter(|u| !self.finished.contains(*u))
            .map(String::as_str)
    }

    /// Calls made so far, by Slack method.
    pub fn calls(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.calls_by_method.iter().map(|(m, n)| (*m, *n))
    }

    fn send<R: SlackMethod>(&mut self, request: &R) -> Result<WithMeta<R::Response>, Error> {
        let Patient { result, attempts } =
            self.client
                .send_patiently(request, self.options.max_rate_limit_waits, || {});
        *self.calls_by_method.entry(R::NAME).or_default() += attempts;
        result
    }

    fn stop(&mut self, why: String) {
        self.stopped = Some(why);
        self.phase = Phase::Done;
    }

    fn finish(
        &mut self,
        user: &str,
        result: Result<(), Error>,
        how: ResetHow,
        verified: bool,
        detail: Option<String>,
    ) {
        if !self.finished.insert(user.to_owned()) {
            return;
        }
        let (request_id, attempts) = self.calls.get(user).cloned().unwrap_or((None, 0));
        self.ready.push_back(ResetOutcome {
            user_id: user.to_owned(),
            result,
            request_id,
            attempts,
            how,
            verified,
            detail,
        });
    }

    /// Every active session of the org now. A cursor that Slack stops honouring mid-walk
    /// (`invalid_cursor`: it expired while the list changed) restarts the walk, twice at
    /// most.
    fn walk(&mut self) -> Result<Vec<ActiveSession>, Error> {
        let mut restarts = 0;
        loop {
            match self.walk_once() {
                Err(Error::Api(e)) if e.code() == &ErrorCode::InvalidCursor && restarts < 2 => {
                    restarts += 1;
                }
                other => return other,
            }
        }
    }

    fn walk_once(&mut self) -> Result<Vec<ActiveSession>, Error> {
        let first = ListRequest::new().limit(ListRequest::MAX_LIMIT);
        let pages = every_page(first, |r| self.send(r))?;
        self.last_walk_pages = pages.len();
        Ok(pages.into_iter().flat_map(|p| p.active_sessions).collect())
    }

    /// The sessions of one user now, by a filtered list call.
    fn sessions_of(&mut self, user: &str, team: &str) -> Result<Vec<ActiveSession>, Error> {
        let first = ListRequest::new()
            .user_in_team(user, team)
            .limit(ListRequest::MAX_LIMIT);
        let pages = every_page(first, |r| self.send(r))?;
        Ok(pages.into_iter().flat_map(|p| p.active_sessions).collect())
    }

    fn snapshot(&mut self) {
        let kind = self.options.kind();
        let sessions = match self.walk() {
            Ok(s) => s,
            Err(e) => return self.stop(format!("the snapshot of active sessions failed: {e}")),
        };
        let targets: HashSet<&String> = self.targets.iter().collect();
        let mut watched: HashMap<String, Watched> = self
            .targets
            .iter()
            .map(|u| (u.clone(), Watched::default()))
            .collect();
        for s in sessions {
            if !targets.contains(&s.user_id) {
                continue;
            }
            let w = watched.get_mut(&s.user_id).expect("a target");
            w.team_id.get_or_insert_with(|| s.team_id.clone());
            match (kind, session_kind(&s)) {
                (None, _) => w.sessions.push(s.session_id),
                (Some(want), Some(got)) if want == got => w.sessions.push(s.session_id),
                (Some(_), Some(_)) => {}
                (Some(_), None) => {
                    w.unknown_kind += 1;
                    w.sessions.push(s.session_id);
                }
            }
        }
        self.watched = watched;
        self.phase = Phase::Enqueue;
    }

    fn enqueue(&mut self) {
        let chunks: Vec<Vec<String>> = self
            .targets
            .chunks(ResetBulkRequest::MAX_USERS)
            .map(<[String]>::to_vec)
            .collect();
        for chunk in chunks {
            let request = ResetBulkRequest::scoped(
                chunk.iter().cloned(),
                self.options.mobile_only,
                self.options.web_only,
            );
            let (failed, result): (HashSet<String>, Result<Option<String>, Error>) =
                match self.send(&request) {
                    Ok(answer) => (
                        HashSet::new(),
                        Ok(answer.meta.request_id().map(str::to_owned)),
                    ),
                    Err(Error::Api(e)) if e.code() == &ErrorCode::FailedForSomeUsers => (
                        named_users(&e, &chunk),
                        Ok(e.meta().request_id().map(str::to_owned)),
                    ),
                    Err(e) => (chunk.iter().cloned().collect(), Err(e)),
                };
            if let Err(e) = &result {
                if dooms_the_run(e) {
                    return self.stop(format!(
                        "resetBulk failed with an error every later call would share: {e}"
                    ));
                }
            }
            let request_id = result.ok().flatten();
            for user in chunk {
                self.calls.insert(user.clone(), (request_id.clone(), 1));
                if failed.contains(&user) {
                    self.fallback.push_back(user);
                } else {
                    self.pending.push(user);
                }
            }
        }
        // Users with nothing to watch are verified by the enqueue alone.
        let pending = std::mem::take(&mut self.pending);
        for user in pending {
            let w = self.watched.get(&user).cloned().unwrap_or_default();
            if w.sessions.is_empty() {
                self.finish(
                    &user,
                    Ok(()),
                    ResetHow::Bulk,
                    true,
                    Some("no active session at the snapshot".into()),
                );
            } else {
                self.pending.push(user);
            }
        }
        self.phase = Phase::Verify;
    }

    /// Checks the pending users until all are verified or the deadline passes; the rest
    /// are returned.
    fn verify(&mut self, how: ResetHow) -> Vec<String> {
        let started = Instant::now();
        let mut wait = self.options.first_check;
        while !self.pending.is_empty() {
            let left = self.options.deadline.saturating_sub(started.elapsed());
            if left.is_zero() {
                break;
            }
            self.client.sleep(wait.min(left));
            wait = (wait * 2).min(self.options.max_check_interval);
            let still = match self.still_active() {
                Ok(s) => s,
                Err(e) => {
                    self.stop(format!("checking the sessions failed: {e}"));
                    return Vec::new();
                }
            };
            let pending = std::mem::take(&mut self.pending);
            for user in pending {
                if still.contains(&user) {
                    self.pending.push(user);
                } else {
                    let detail = self.unknown_detail(&user);
                    self.finish(&user, Ok(()), how, true, detail);
                }
            }
        }
        std::mem::take(&mut self.pending)
    }

    /// The pending users some of whose watched sessions are still active: by a walk of
    /// the whole list, or by one filtered call per user when that is fewer calls.
    fn still_active(&mut self) -> Result<HashSet<String>, Error> {
        if self.pending.len() < self.last_walk_pages || self.pending.len() <= SAMPLE {
            let mut still = HashSet::new();
            for user in self.pending.clone() {
                if self.still_active_alone(&user)? {
                    still.insert(user);
                }
            }
            return Ok(still);
        }
        // A whole walk costs as many calls as the list has pages; first ask a few users
        // (a different few each round) whether the job has started to apply. While none
        // of them is logged out, the walk would find nothing and is skipped.
        let sample: Vec<String> = (0..SAMPLE)
            .map(|k| self.pending[(self.sample_at + k) % self.pending.len()].clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        self.sample_at = (self.sample_at + SAMPLE) % self.pending.len().max(1);
        let mut progress = false;
        for user in &sample {
            progress |= !self.still_active_alone(user)?;
        }
        if !progress {
            return Ok(self.pending.iter().cloned().collect());
        }
        let active: HashSet<(String, u64)> = self
            .walk()?
            .into_iter()
            .map(|s| (s.user_id, s.session_id))
            .collect();
        Ok(self
            .pending
            .iter()
            .filter(|user| {
                self.watched.get(*user).is_some_and(|w| {
                    w.sessions
                        .iter()
                        .any(|id| active.contains(&((*user).clone(), *id)))
                })
            })
            .cloned()
            .collect())
    }

    /// Whether some of `user`'s watched sessions are still active, by one filtered call.
    fn still_active_alone(&mut self, user: &str) -> Result<bool, Error> {
        let (team, ids) = match self.watched.get(user) {
            Some(w) => (
                w.team_id.clone().unwrap_or_default(),
                w.sessions.iter().copied().collect::<HashSet<u64>>(),
            ),
            None => return Ok(false),
        };
        Ok(self
            .sessions_of(user, &team)?
            .iter()
            .any(|s| ids.contains(&s.session_id)))
    }

    fn unknown_detail(&self, user: &str) -> Option<String> {
        let n = self.watched.get(user)?.unknown_kind;
        (n > 0).then(|| {
            format!("{n} session(s) whose kind the device fields do not tell were watched too")
        })
    }

    fn fall_back(&mut self) {
        while let Some(user) = self.fallback.pop_front() {
            let request = ResetRequest::scoped(
                user.as_str(),
                self.options.mobile_only,
                self.options.web_only,
            );
            let result = self.send(&request);
            let (request_id, calls) = match &result {
                Ok(a) => (a.meta.request_id().map(str::to_owned), a.meta.attempts()),
                Err(e) => (e.request_id().map(str::to_owned), e.attempts()),
            };
            let before = self.calls.get(&user).map_or(0, |c| c.1);
            self.calls
                .insert(user.clone(), (request_id, before + calls));
            match result {
                Ok(_) => self.pending.push(user),
                Err(e) => {
                    let fatal = dooms_the_run(&e);
                    let why =
                        format!("{user} failed with an error every later call would share: {e}");
                    self.finish(&user, Err(e), ResetHow::Single, false, None);
                    if fatal {
                        self.fallback.clear();
                        return self.stop(why);
                    }
                }
            }
        }
        self.phase = Phase::FinalVerify;
    }

    fn step(&mut self) {
        match self.phase {
            Phase::Snapshot => self.snapshot(),
            Phase::Enqueue => self.enqueue(),
            Phase::Verify => {
                let unverified = self.verify(ResetHow::Bulk);
                if self.phase == Phase::Done {
                    return;
                }
                self.fallback.extend(unverified);
                self.phase = Phase::Fallback;
            }
            Phase::Fallback => self.fall_back(),
            Phase::FinalVerify => {
                let unverified = self.verify(ResetHow::Single);
                for user in unverified {
                    let sessions = self
                        .watched
                        .get(&user)
                        .map(|w| w.sessions.clone())
                        .unwrap_or_default();
                    let detail = format!(
                        "reset answered ok, but session(s) {sessions:?} were still listed at the deadline"
                    );
                    self.finish(&user, Ok(()), ResetHow::Single, false, Some(detail));
                }
                if self.phase != Phase::Done {
                    self.phase = Phase::Done;
                }
            }
            Phase::Done => {}
        }
    }
}

/// The users of `chunk` that Slack's messages name (`failed_for_some_users`).
fn named_users(error: &ApiError, chunk: &[String]) -> HashSet<String> {
    let named: HashSet<String> = chunk
        .iter()
        .filter(|u| {
            error.messages().iter().any(|m| {
                m.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|word| word == u.as_str())
            })
        })
        .cloned()
        .collect();
    // Slack said some failed but named none we know: trust none of the chunk.
    if named.is_empty() {
        chunk.iter().cloned().collect()
    } else {
        named
    }
}

impl<T: Transport> Iterator for ResetVerified<'_, T> {
    type Item = ResetOutcome;

    fn next(&mut self) -> Option<ResetOutcome> {
        loop {
            if let Some(outcome) = self.ready.pop_front() {
                return Some(outcome);
            }
            if self.phase == Phase::Done {
                return None;
            }
            self.step();
        }
    }
}

impl<T> fmt::Debug for ResetVerified<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResetVerified")
            .field("phase", &self.phase)
            .field("targets", &self.targets.len())
            .field("finished", &self.finished.len())
            .field("stopped", &self.stopped)
            .finish_non_exhaustive()
    }
}
