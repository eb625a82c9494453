//! Find and prove: [`Client::find_sessions`] streams the sessions a [`SessionFilter`]
//! matches, by the cheapest calls; [`Client::await_gone`] watches sessions until Slack no
//! longer lists them.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use crate::bulk::{Patience, Patient};
use crate::client::Client;
use crate::error::{Error, ErrorCode, InvalidRequest};
use crate::filter::SessionFilter;
use crate::method::{Paginated, SlackMethod};
use crate::methods::admin_users_list::AdminUsersListRequest;
use crate::methods::list::{ActiveSession, ListRequest};
use crate::methods::lookup_by_email::is_email;
use crate::paginate::{Walk as WalkGuard, DEFAULT_MAX_PAGES};
use crate::transport::Transport;

/// How [`Client::find_sessions`] reaches the sessions, chosen by what the filter names.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FindStrategy {
    /// One filtered `admin.users.session.list` walk (`user_id` + `team_id`): the user and
    /// workspace were both named. (A user alone is found by the org walk: the user
    /// record's workspaces can omit one where the user holds sessions.)
    UserOnWorkspaces {
        /// The user's id.
        user_id: String,
        /// The workspaces asked about.
        teams: Vec<String>,
    },
    /// One walk of `admin.users.session.list` without filters, 1,000 sessions a page:
    /// every session of the org passes by, and the filter keeps the matches.
    OrgWalk,
}

/// The sessions a [`SessionFilter`] matches, as they are found: from
/// [`Client::find_sessions`].
///
/// The calls, cheapest first:
///
/// - a **user and a workspace** named: one `admin.users.session.list` call with
///   `user_id` + `team_id` per page (one page unless the user holds over 1,000 sessions);
///   an email address is first turned into its id (`users.lookupByEmail`, Tier 3);
/// - a **user** without a workspace: the org walk below, keeping the user's sessions (an
///   email address is first turned into its id by walking `admin.users.list`, Tier 4,
///   100 users a page, until it turns up). The user record's `workspaces` are not used to
///   narrow the search: they can omit a workspace where the user holds sessions. Cost:
///   one call per 1,000 sessions of the org;
/// - otherwise **the org walk**: `admin.users.session.list` without filters, 1,000 a page
///   (Tier 2, about 20 calls a minute): 100 calls, about 5 minutes, for 100,000 sessions.
///   Slack filters by user only together with a workspace, so a workspace alone, an
///   address, an OS or a version can only be matched by reading every session.
///
/// Sessions are yielded page by page: no more than one page of the org is held at a
/// time (and the ids of the matches yielded). Rate limits are waited out (never
/// skipped); a cursor Slack stops honouring mid-walk (`invalid_cursor`: it expired while
/// the list changed) starts that walk over, twice at most, without yielding a match
/// twice; any other error is yielded once as an `Err` and ends the iterator, so a failed
/// walk is never mistaken for a complete one.
#[must_use = "iterators do nothing unless consumed"]
pub struct FindSessions<'a, T> {
    client: &'a Client<T>,
    /// Rate-limit bounds: per call, and for the whole walk (counted from `started`).
    max_wait_per_call: Option<Duration>,
    max_run_time: Option<Duration>,
    started: Option<Instant>,
    filter: SessionFilter,
    planned: bool,
    strategy: Option<FindStrategy>,
    walks: VecDeque<ListRequest>,
    walk: Option<Walk>,
    ready: VecDeque<ActiveSession>,
    calls: BTreeMap<&'static str, u32>,
    totals: Option<HashMap<String, u32>>,
    /// The matches yielded so far (user, session id), so a walk that starts over does
    /// not yield one twice. Matches only: never the whole org.
    yielded: HashSet<(String, u64)>,
    /// Sessions left out only for want of a readable address.
    unreadable: u64,
    /// Matching records that name a user but no usable session id.
    without_id: Vec<ActiveSession>,
    done: bool,
}

/// The walk under way: the next page's request, and the guard that counts its pages
/// and remembers its cursors.
struct Walk {
    first: ListRequest,
    next: ListRequest,
    guard: WalkGuard,
    pages: usize,
    restarts: u32,
}

impl Walk {
    fn new(first: ListRequest) -> Self {
        Walk {
            next: first.clone(),
            first,
            guard: WalkGuard::new(DEFAULT_MAX_PAGES, None),
            pages: 0,
            restarts: 0,
        }
    }
}

/// How many times a walk starts over when Slack stops honouring its cursor.
const MAX_RESTARTS: u32 = 2;

impl<T: Transport> Client<T> {
    /// The sessions `filter` matches, found by the cheapest calls and yielded as the walk
    /// goes; see [`FindSessions`] for which calls and why.
    ///
    /// ```
    /// use slack_sessions::{Client, FakeTransport, SessionFilter};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true,"active_sessions":[
    ///     {"user_id":"W1","team_id":"T1","session_id":11,"created":{"ip":"10.0.0.5"}},
    ///     {"user_id":"W2","team_id":"T1","session_id":21,"created":{"ip":"203.0.113.9"},"recent":{"ip":"10.0.0.7"}}],
    ///     "response_metadata":{"next_cursor":""}}"#);
    /// let client = Client::with_transport("xoxp-test", fake.clone());
    ///
    /// let outside = SessionFilter::new().not_ip("10.0.0.0/8".parse()?);
    /// let found: Vec<u64> = client
    ///     .find_sessions(&outside)
    ///     .map(|s| s.map(|s| s.session_id))
    ///     .collect::<Result<_, _>>()?;
    /// assert_eq!(found, [21]);
    /// assert_eq!(fake.requests()[0].body(), b"limit=1000");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn find_sessions(&self, filter: &SessionFilter) -> FindSessions<'_, T> {
        FindSessions {
            client: self,
            max_wait_per_call: Some(crate::VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL),
            max_run_time: None,
            started: None,
            filter: filter.clone(),
            planned: false,
            strategy: None,
            walks: VecDeque::new(),
            walk: None,
            ready: VecDeque::new(),
            calls: BTreeMap::new(),
            totals: None,
            yielded: HashSet::new(),
            unreadable: 0,
            without_id: Vec::new(),
            done: false,
        }
    }

    /// Watches `sessions` until `admin.users.session.list` no longer lists any of them,
    /// or `options`' deadline passes: the proof that an `invalidate` or a `reset` took.
    ///
    /// Each round asks, for every user and workspace that still has a watched session,
    /// for that user's sessions on that workspace (one filtered call a page): the first
    /// round at once, later ones after [`GoneOptions::first_check`], doubling up to
    /// [`GoneOptions::max_check_interval`]. New sessions (the user logging back in) do
    /// not count against the proof: only the ids watched.
    ///
    /// ```
    /// use slack_sessions::{Client, FakeTransport, GoneOptions, SessionRef};
    ///
    /// let fake = FakeTransport::new();
    /// fake.push_json(200, r#"{"ok":true,"active_sessions":[{"user_id":"W1","team_id":"T1","session_id":99}]}"#);
    /// let client = Client::with_transport("xoxp-test", fake.clone());
    ///
    /// let gone = client.await_gone(&[SessionRef::new("W1", "T1", 11)], &GoneOptions::new())?;
    /// assert!(gone.verified());
    /// assert_eq!(fake.requests()[0].body(), b"team_id=T1&user_id=W1&limit=1000");
    /// # Ok::<(), slack_sessions::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// The error of a check that failed (rate limits are waited out first).
    pub fn await_gone(
        &self,
        sessions: &[SessionRef],
        options: &GoneOptions,
    ) -> Result<Gone, Error> {
        let mut pending: BTreeMap<(String, String), HashSet<u64>> = BTreeMap::new();
        for s in sessions {
            pending
                .entry((s.user_id.clone(), s.team_id.clone()))
                .or_default()
                .insert(s.session_id);
        }
        let started = Instant::now();
        let mut wait = options.first_check;
        let mut gone = Gone::default();
        let mut out_of_time = false;
        loop {
            gone.rounds += 1;
            for ((user, team), ids) in pending.iter_mut() {
                let first = ListRequest::new()
                    .user_in_team(user.as_str(), team.as_str())
                    .limit(ListRequest::MAX_LIMIT);
                let mut listed = HashSet::new();
                let mut calls = 0;
                // No wait past the deadline: a check still rate limited then is not
                // proof, and the sessions it was for stay listed as not seen gone.
                let patience = Patience::waits(options.max_rate_limit_waits)
                    .for_at_most(Some(options.deadline.saturating_sub(started.elapsed())));
                let walked = walk_all(self, first, patience, &mut calls, |page| {
                    listed.extend(page.active_sessions.into_iter().map(|s| s.session_id));
                    // A record without a usable id is listed as session 0: a watched
                    // `SessionRef` of id 0 (one made from such a record) stays until
                    // no record of the user without an id is listed.
                    listed.extend(page.without_id.into_iter().map(|s| s.session_id));
                });
                gone.calls += calls;
                match walked {
                    Ok(true) => {}
                    Ok(false) => {
                        out_of_time = true;
                        break;
                    }
                    Err(e) => return Err(e),
                }
                ids.retain(|id| listed.contains(id));
            }
            pending.retain(|_, ids| !ids.is_empty());
            let left = options.deadline.saturating_sub(started.elapsed());
            if pending.is_empty() || left.is_zero() || out_of_time {
                break;
            }
            self.sleep(wait.min(left));
            wait = (wait * 2).min(options.max_check_interval);
        }
        gone.still_active = pending
            .into_iter()
            .flat_map(|((user, team), ids)| {
                let mut ids: Vec<u64> = ids.into_iter().collect();
                ids.sort_unstable();
                ids.into_iter()
                    .map(move |id| SessionRef::new(user.clone(), team.clone(), id))
            })
            .collect();
        Ok(gone)
    }
}

/// Walks every page from `first`, handing each to `page`; rate limits waited out within
/// `patience` (`Ok(false)`: a page was still rate limited at its time bound),
/// `no_active_sessions` an empty last page, loops and runaway walks stopped.
fn walk_all<T: Transport, R: Paginated>(
    client: &Client<T>,
    first: R,
    patience: Patience,
    calls: &mut u32,
    mut page: impl FnMut(R::Response),
) -> Result<bool, Error> {
    let mut request = first;
    let mut guard = WalkGuard::new(DEFAULT_MAX_PAGES, None);
    loop {
        let Patient {
            result,
            attempts,
            out_of_time,
            ..
        } = client.send_patiently(&request, patience, || {});
        *calls += attempts;
        if out_of_time {
            return Ok(false);
        }
        let answer = match result {
            Ok(a) => a,
            Err(Error::Api(e)) => match R::empty_page_on(&e) {
                Some(empty) => {
                    page(empty);
                    return Ok(true);
                }
                None => return Err(Error::Api(e)),
            },
            Err(e) => return Err(e),
        };
        let next = guard.follow(&request, &answer)?;
        page(answer.response);
        match next {
            Some(n) => request = n,
            None => return Ok(true),
        }
    }
}

impl<T: Transport> FindSessions<'_, T> {
    /// How long one call (a page, a lookup) may take, attempts and rate-limit waits
    /// included (default
    /// [`VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL`](crate::VerifyOptions::DEFAULT_MAX_WAIT_PER_CALL), 10 minutes;
    /// `None`: only 1,000 waits bound it). A wait that would end past it is not started:
    /// the walk yields the [`Error::RateLimited`] and ends, never taken for complete.
    pub fn max_wait_per_call(mut self, limit: Option<Duration>) -> Self {
        self.max_wait_per_call = limit;
        self
    }

    /// How long the whole walk may take, counted from its first call (default: no
    /// bound): no wait that would end past it is started, and the walk then yields the
    /// [`Error::RateLimited`] and ends.
    pub fn max_run_time(mut self, limit: Option<Duration>) -> Self {
        self.max_run_time = limit;
        self
    }

    /// How the sessions are reached; `None` until the first item is asked for.
    pub fn strategy(&self) -> Option<&FindStrategy> {
        self.strategy.as_ref()
    }

    /// Calls made so far, by Slack method (retries and waited-out 429s included).
    pub fn calls(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        self.calls.iter().map(|(m, n)| (*m, *n))
    }

    /// Also count every session each user holds, matched or not, for
    /// [`sessions_seen`](Self::sessions_seen): one counter per user the walk meets.
    pub fn count_every_session(mut self, yes: bool) -> Self {
        self.totals = yes.then(HashMap::new);
        self
    }

    /// How many sessions of `user` the walk has listed, matched or not (with
    /// [`count_every_session`](Self::count_every_session)); when the walk is over and
    /// this equals the user's matches, all their sessions matched and one
    /// `admin.users.session.reset` would end them all. `None` after a walk started over
    /// (the counts would be wrong).
    pub fn sessions_seen(&self, user: &str) -> Option<u32> {
        self.totals.as_ref()?.get(user).copied()
    }

    /// How many sessions met every condition but the address ones and were left out
    /// because the address chosen was missing or unreadable (`"unknown"`): see
    /// [`SessionFilter::lacks_address`]. A walk that starts over may count one twice.
    pub fn unreadable_addresses(&self) -> u64 {
        self.unreadable
    }

    /// The records that met every condition but name no usable session (Slack listed
    /// them without a `session_id`; theirs is 0 and names nothing): they are not
    /// yielded, since no invalidate can name them, but their user still has something
    /// active, which a reset of the user ends. A walk that starts over may list one twice.
    pub fn without_id(&self) -> &[ActiveSession] {
        &self.without_id
    }

    fn send<R: SlackMethod>(&mut self, request: &R) -> Result<crate::WithMeta<R::Response>, Error> {
        let started = *self.started.get_or_insert_with(Instant::now);
        let patience = Patience::waits(1000)
            .for_at_most(self.max_wait_per_call)
            .for_at_most(
                self.max_run_time
                    .map(|m| m.saturating_sub(started.elapsed())),
            );
        let Patient {
            result, attempts, ..
        } = self.client.send_patiently(request, patience, || {});
        *self.calls.entry(R::NAME).or_default() += attempts;
        result
    }

    fn plan(&mut self) -> Result<(), Error> {
        self.planned = true;
        let strategy = match (self.filter.user_ref(), self.filter.team_ref()) {
            (Some(user), Some(team)) => {
                let user = user.to_owned();
                let id = if is_email(&user) {
                    *self.calls.entry("users.lookupByEmail").or_default() += 1;
                    self.client
                        .resolve_users(std::slice::from_ref(&user))?
                        .remove(0)
                } else {
                    user
                };
                FindStrategy::UserOnWorkspaces {
                    user_id: id,
                    teams: vec![team.to_owned()],
                }
            }
            // A user alone: the org walk, filtered by user. The user record's
            // `workspaces` (admin.users.list) can omit a workspace where the user holds
            // sessions, so it is no proof of where they are: a walk of those workspaces
            // once missed a session and let `reset --verify` claim verified.
            (Some(user), None) if !is_email(user) => FindStrategy::OrgWalk,
            (Some(user), None) => {
                let user = user.to_owned();
                match self.workspaces_of(&user)? {
                    Some((id, _)) => {
                        self.filter = self.filter.with_user(id);
                        FindStrategy::OrgWalk
                    }
                    None if is_email(&user) => {
                        return Err(Error::InvalidRequest(InvalidRequest::new(
                            AdminUsersListRequest::NAME,
                            "email",
                            format!("{user} belongs to no active user of the org"),
                        )))
                    }
                    None => FindStrategy::OrgWalk,
                }
            }
            (None, _) => FindStrategy::OrgWalk,
        };
        match &strategy {
            FindStrategy::UserOnWorkspaces { user_id, teams } => {
                self.filter = self.filter.with_user(user_id.clone());
                for team in teams {
                    self.walks.push_back(
                        ListRequest::new()
                            .user_in_team(user_id.as_str(), team.as_str())
                            .limit(ListRequest::MAX_LIMIT),
                    );
                }
            }
            FindStrategy::OrgWalk => self
                .walks
                .push_back(ListRequest::new().limit(ListRequest::MAX_LIMIT)),
        }
        // Every request is checked before the first call.
        for w in &self.walks {
            w.validate().map_err(Error::InvalidRequest)?;
        }
        self.strategy = Some(strategy);
        Ok(())
    }

    /// The user's id and workspaces from `admin.users.list`, walked until the user (an
    /// id or an email address) turns up; `None` when no active user is that one.
    fn workspaces_of(&mut self, user: &str) -> Result<Option<(String, Vec<String>)>, Error> {
        let mut request = AdminUsersListRequest::new().limit(AdminUsersListRequest::MAX_LIMIT);
        request.validate().map_err(Error::InvalidRequest)?;
        let mut guard = WalkGuard::new(DEFAULT_MAX_PAGES, None);
        loop {
            let answer = self.send(&request)?;
            let found = answer.response.users.iter().find(|u| {
                u.id == user || (!u.email.is_empty() && u.email.eq_ignore_ascii_case(user))
            });
            if let Some(u) = found {
                return Ok(Some((u.id.clone(), u.workspaces.clone())));
            }
            match guard.follow(&request, &answer)? {
                Some(next) => request = next,
                None => return Ok(None),
            }
        }
    }

    /// Fetches the next page of the walk under way (or starts the next walk).
    fn fetch(&mut self) -> Result<(), Error> {
        let mut walk = match self.walk.take() {
            Some(w) => w,
            None => match self.walks.pop_front() {
                Some(first) => Walk::new(first),
                None => {
                    self.done = true;
                    return Ok(());
                }
            },
        };
        walk.pages += 1;
        let answer = match self.send(&walk.next) {
            Ok(a) => a,
            Err(Error::Api(e)) if ListRequest::empty_page_on(&e).is_some() => return Ok(()),
            // The cursor expired while the list changed: start this walk over. Matches
            // already yielded are not yielded again; the per-user totals can no longer be
            // trusted, so they are dropped.
            Err(Error::Api(e))
                if e.code() == &ErrorCode::InvalidCursor
                    && walk.pages > 1
                    && walk.restarts < MAX_RESTARTS =>
            {
                log::info!(
                    target: "slack_sessions",
                    "{} answered invalid_cursor on page {}; starting the walk over",
                    ListRequest::NAME,
                    walk.pages
                );
                self.totals = None;
                let restarts = walk.restarts + 1;
                self.walk = Some(Walk {
                    restarts,
                    ..Walk::new(walk.first)
                });
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let next = walk.guard.follow(&walk.next, &answer)?;
        for s in answer.response.without_id {
            if let Some(t) = &mut self.totals {
                *t.entry(s.user_id.clone()).or_default() += 1;
            }
            if self.filter.matches(&s) {
                self.without_id.push(s);
            }
        }
        for s in answer.response.active_sessions {
            if let Some(t) = &mut self.totals {
                *t.entry(s.user_id.clone()).or_default() += 1;
            }
            if self.filter.matches(&s) {
                if self.yielded.insert((s.user_id.clone(), s.session_id)) {
                    self.ready.push_back(s);
                }
            } else if self.filter.lacks_address(&s) {
                self.unreadable += 1;
            }
        }
        if let Some(next) = next {
            walk.next = next;
            self.walk = Some(walk);
        }
        Ok(())
    }
}

impl<T: Transport> Iterator for FindSessions<'_, T> {
    type Item = Result<ActiveSession, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.ready.pop_front() {
                return Some(Ok(s));
            }
            if self.done {
                return None;
            }
            let step = if self.planned {
                self.fetch()
            } else {
                self.plan()
            };
            if let Err(e) = step {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl<T> fmt::Debug for FindSessions<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindSessions")
            .field("filter", &self.filter)
            .field("strategy", &self.strategy)
            .field("calls", &self.calls)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// One session, named the way `admin.users.session.list` and `invalidate` name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct SessionRef {
    /// Whose session it is.
    pub user_id: String,
    /// Its workspace.
    pub team_id: String,
    /// Its id; 0 for a record Slack listed without a usable id
    /// ([`ListResponse::without_id`](crate::ListResponse::without_id)): to
    /// [`Client::await_gone`], any such record of the user on the workspace.
    pub session_id: u64,
}

impl SessionRef {
    /// Session `session_id` of `user_id` on workspace `team_id`.
    pub fn new(user_id: impl Into<String>, team_id: impl Into<String>, session_id: u64) -> Self {
        SessionRef {
            user_id: user_id.into(),
            team_id: team_id.into(),
            session_id,
        }
    }
}

impl From<&ActiveSession> for SessionRef {
    fn from(s: &ActiveSession) -> Self {
        SessionRef::new(s.user_id.clone(), s.team_id.clone(), s.session_id)
    }
}

/// How long and how often [`Client::await_gone`] checks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GoneOptions {
    deadline: Duration,
    first_check: Duration,
    max_check_interval: Duration,
    max_rate_limit_waits: u32,
}

impl Default for GoneOptions {
    fn default() -> Self {
        GoneOptions {
            deadline: Duration::from_secs(120),
            first_check: Duration::from_secs(2),
            max_check_interval: Duration::from_secs(30),
            max_rate_limit_waits: 1000,
        }
    }
}

impl GoneOptions {
    /// Check at once, then after 2 s, doubling up to 30 s, for up to 2 minutes.
    pub fn new() -> Self {
        Self::default()
    }

    /// Give up (with the sessions still listed) this long after the first check.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = limit;
        self
    }

    /// The wait before the second check (later ones double).
    pub fn first_check(mut self, wait: Duration) -> Self {
        self.first_check = wait;
        self
    }

    /// The longest wait between two checks.
    pub fn max_check_interval(mut self, wait: Duration) -> Self {
        self.max_check_interval = wait;
        self
    }

    /// How many 429s in a row one check may get before it fails (default 1000).
    pub fn max_rate_limit_waits(mut self, n: u32) -> Self {
        self.max_rate_limit_waits = n;
        self
    }
}

/// What [`Client::await_gone`] saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gone {
    /// The watched sessions still listed at the deadline (empty: all gone).
    pub still_active: Vec<SessionRef>,
    /// Rounds of checks made.
    pub rounds: u32,
    /// `admin.users.session.list` calls made.
    pub calls: u32,
}

impl Gone {
    /// Whether every watched session is gone.
    pub fn verified(&self) -> bool {
        self.still_active.is_empty()
    }
}
