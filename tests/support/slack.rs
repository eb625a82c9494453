//! A loopback server that behaves like Slack for the `admin.users.session.*` methods:
//! checks the bearer token and content type, knows users and sessions, answers Slack's
//! error codes, enforces a per-method rate limit with 429 + `Retry-After`, and can be
//! told to misbehave for the next requests.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{Received, Reply, TestServer};

pub const TOKEN: &str = "xoxp-test-SECRET-5150";

#[derive(Debug, Clone, Default)]
pub struct User {
    pub team_id: String,
    pub sessions: Vec<u64>,
    pub is_bot: bool,
    pub is_primary_owner: bool,
    /// How many times a reset reached this user (single or bulk).
    pub resets: u32,
    /// How many of those were single `reset` calls.
    pub single_resets: u32,
    /// The user's email address.
    pub email: String,
    /// (desktop_app_browser_quit, duration) when the user has settings of their own.
    pub settings: Option<(Option<bool>, Option<u64>)>,
    /// Workspaces besides `team_id` the user belongs to (admin.users.list `workspaces`).
    pub workspaces: Vec<String>,
}

/// What `list` says of one session, where the defaults will not do.
#[derive(Debug, Clone, Default)]
pub struct SessionDetail {
    /// Its workspace, when not the user's `team_id`.
    pub team_id: Option<String>,
    /// The `created` object's JSON, as sent.
    pub created: Option<String>,
    /// The `recent` object's JSON, as sent.
    pub recent: Option<String>,
    /// Send no `recent` at all.
    pub no_recent: bool,
    /// The `session_id` value's JSON, as sent, when not the id (`null`: an odd record).
    pub session_id_json: Option<String>,
    /// The `user_id` value's JSON, as sent, when not the user's id (`null`).
    pub user_id_json: Option<String>,
}

#[derive(Default)]
pub struct State {
    pub users: BTreeMap<String, User>,
    /// Replies to give, in order, before normal handling resumes.
    pub misbehave: VecDeque<Reply>,
    /// Per method: at most `limit` calls per `window`.
    pub rate_limit: Option<(u32, Duration)>,
    windows: HashMap<String, (Instant, u32)>,
    /// Calls answered 429.
    pub limited: u32,
    /// Every call that got past auth, by method.
    pub calls: HashMap<String, u32>,
    /// Answer this error code to every call of this method (after auth).
    pub fail_with: HashMap<String, String>,
    /// Sessions on a phone (listed with iOS device fields); the rest are desktop.
    pub mobile: std::collections::HashSet<u64>,
    /// Whose token this is, for `auth.test`.
    pub caller: String,
    /// resetBulk is a job: it applies this long after the call (zero: at once).
    pub bulk_delay: Duration,
    /// Users a resetBulk job never logs out (Slack says ok, nothing happens).
    pub bulk_never: std::collections::HashSet<String>,
    /// Users resetBulk answers `failed_for_some_users` for (the rest of the chunk is queued).
    pub bulk_fail: std::collections::HashSet<String>,
    /// Calls of this method after the first N hang (until the client gives up), to
    /// kill a run at a chosen step.
    pub hang: Option<(String, u32)>,
    /// Methods answered `ok` that change nothing (a write Slack accepts but does not apply).
    pub noop: std::collections::HashSet<String>,
    /// Device details and workspaces of particular sessions, by session id.
    pub details: HashMap<u64, SessionDetail>,
    /// Queued jobs: when each applies, the users, mobile_only, web_only.
    jobs: Vec<(Instant, Vec<String>, bool, bool)>,
    /// Token rotation: expiring access tokens and `oauth.v2.access` (instead of `TOKEN`).
    pub rotation: Option<super::rotation::Rotation>,
    /// Slack's real per-method tiers (from tests/data/slack_methods.json: Tier 2 = 20
    /// calls a minute, Tier 3 = 50, Tier 4 = 100), with a minute lasting this long.
    pub tier_minute: Option<Duration>,
    /// Users for whom resetBulk refuses the whole call, with this code (as Slack does
    /// for `user_not_found`, `cannot_reset_bot`, `restricted_action`, ...).
    pub bulk_refuse: HashMap<String, String>,
    /// Sessions no reset ends: the server keeps them whatever it answers.
    pub kept: std::collections::HashSet<u64>,
    /// Calls of this method after the first N are answered with this error code
    /// (`ratelimited`: HTTP 429 with `Retry-After: 30`).
    pub fail_after: Option<(String, u32, String)>,
}

/// Calls a minute of a Slack rate-limit tier (Tier 1 is 1; auth.test's "special" tier
/// is taken as Tier 4).
fn tier_rate(tier: u64) -> u32 {
    match tier {
        1 => 1,
        2 => 20,
        3 => 50,
        _ => 100,
    }
}

/// Each method's tier, from the project's extract of Slack's reference.
fn tier_of(method: &str) -> u64 {
    static TIERS: std::sync::OnceLock<HashMap<String, u64>> = std::sync::OnceLock::new();
    let tiers = TIERS.get_or_init(|| {
        let data: serde_json::Value =
            serde_json::from_str(include_str!("../data/slack_methods.json")).unwrap();
        data["methods"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| {
                (
                    m["name"].as_str().unwrap().to_owned(),
                    m["tier"].as_u64().unwrap_or(4),
                )
            })
            .collect()
    });
    tiers.get(method).copied().unwrap_or(4)
}

/// The rate-limit budget `calls` of `method` take at Slack's real tier, in minutes.
pub fn budget_minutes(method: &str, calls: u32) -> f64 {
    f64::from(calls) / f64::from(tier_rate(tier_of(method)))
}

pub struct FakeSlack {
    pub server: TestServer,
    pub state: Arc<Mutex<State>>,
}

impl FakeSlack {
    /// A server that knows users `W1`..=`Wn` (each with sessions `n*100+1`, `n*100+2`),
    /// and a bot `B1`.
    pub fn start(users: u32) -> Self {
        Self::start_with(users, 2)
    }

    /// A server that knows users `W1`..=`Wn`, each with `sessions` sessions
    /// (`n*100+1`, `n*100+2`, ...), a bot `B1` and the primary owner `WOWNER`.
    pub fn start_with(users: u32, sessions: u64) -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        {
            let mut s = state.lock().unwrap();
            for n in 1..=users {
                s.users.insert(
                    format!("W{n}"),
                    User {
                        team_id: "T1".into(),
                        sessions: (1..=sessions).map(|k| u64::from(n) * 100 + k).collect(),
                        email: format!("w{n}@example.com"),
                        ..User::default()
                    },
                );
            }
            s.users.insert(
                "B1".into(),
                User {
                    team_id: "T1".into(),
                    is_bot: true,
                    email: String::new(),
                    ..User::default()
                },
            );
            s.caller = "W1".into();
            s.users.insert(
                "WOWNER".into(),
                User {
                    team_id: "T1".into(),
                    is_primary_owner: true,
                    sessions: vec![9],
                    email: "owner@example.com".into(),
                    ..User::default()
                },
            );
        }
        let handler_state = state.clone();
        let request_ids = Arc::new(AtomicU64::new(0));
        let server = TestServer::start(move |r| {
            let id = request_ids.fetch_add(1, Ordering::SeqCst) + 1;
            handle(&handler_state, r).with_header("x-slack-req-id", &format!("req-{id}"))
        });
        FakeSlack { server, state }
    }

    pub fn api_url(&self) -> String {
        self.server.api_url()
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap())
    }

    pub fn misbehave(&self, reply: Reply) {
        self.with(|s| s.misbehave.push_back(reply));
    }

    pub fn resets(&self, user: &str) -> u32 {
        self.with(|s| s.users.get(user).map_or(0, |u| u.resets))
    }

    pub fn single_resets(&self, user: &str) -> u32 {
        self.with(|s| s.users.get(user).map_or(0, |u| u.single_resets))
    }

    pub fn sessions(&self, user: &str) -> Vec<u64> {
        self.with(|s| {
            s.users
                .get(user)
                .map_or_else(Vec::new, |u| u.sessions.clone())
        })
    }

    /// Calls made to `method` (past auth, 429s excluded).
    pub fn calls(&self, method: &str) -> u32 {
        self.with(|s| s.calls.get(method).copied().unwrap_or(0))
    }
}

fn ok(extra: &str) -> Reply {
    if extra.is_empty() {
        Reply::json(200, r#"{"ok":true}"#)
    } else {
        Reply::json(200, &format!(r#"{{"ok":true,{extra}}}"#))
    }
}

pub fn slack_error(code: &str) -> Reply {
    Reply::json(200, &format!(r#"{{"ok":false,"error":"{code}"}}"#))
}

fn form(body: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for pair in String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        map.insert(decode(k), decode(v));
    }
    map
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn handle(state: &Mutex<State>, r: &Received) -> Reply {
    let mut s = state.lock().unwrap();
    apply_due_jobs(&mut s);
    if let Some(reply) = s.misbehave.pop_front() {
        return reply;
    }
    let Some(method) = r.target.strip_prefix("/api/") else {
        return Reply::json(404, "<html>no such page</html>");
    };
    let method = method.to_owned();
    if r.method != "POST" {
        return slack_error("invalid_post_type");
    }
    if let Some(rotation) = s.rotation.as_mut() {
        if method == "oauth.v2.access" {
            *s.calls.entry(method).or_default() += 1;
            let f = form(&r.body);
            return s.rotation.as_mut().unwrap().access(r, &f);
        }
        if let Some(refused) = rotation.check(r) {
            return refused;
        }
    } else {
        match r.header("authorization") {
            None => return slack_error("not_authed"),
            Some(a) if a != format!("Bearer {TOKEN}") => return slack_error("invalid_auth"),
            Some(_) => {}
        }
    }
    let mut warning = "";
    match r.header("content-type") {
        None => return slack_error("missing_post_type"),
        Some("application/x-www-form-urlencoded") => {}
        Some(ct) if ct.starts_with("application/x-www-form-urlencoded;") => {
            warning = "superfluous_charset"
        }
        Some(_) => return slack_error("invalid_post_type"),
    }
    let limit = match s.tier_minute {
        Some(minute) => Some((tier_rate(tier_of(&method)), minute)),
        None => s.rate_limit,
    };
    if let Some((limit, window)) = limit {
        let now = Instant::now();
        let entry = s.windows.entry(method.clone()).or_insert((now, 0));
        if now.duration_since(entry.0) >= window {
            *entry = (now, 0);
        }
        if entry.1 >= limit {
            let left = window.saturating_sub(now.duration_since(entry.0));
            let secs = left.as_secs_f64().ceil().max(1.0) as u64;
            s.limited += 1;
            return Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                .with_header("Retry-After", &secs.to_string());
        }
        entry.1 += 1;
    }
    *s.calls.entry(method.clone()).or_default() += 1;
    if let Some((m, after)) = &s.hang {
        if *m == method && s.calls[&method] > *after {
            return Reply::Hang(Duration::from_secs(30));
        }
    }
    if let Some((m, after, code)) = &s.fail_after {
        if *m == method && s.calls[&method] > *after {
            if code == "ratelimited" {
                s.limited += 1;
                return Reply::json(429, r#"{"ok":false,"error":"ratelimited"}"#)
                    .with_header("Retry-After", "30");
            }
            return slack_error(&code.clone());
        }
    }
    if let Some(code) = s.fail_with.get(&method) {
        return slack_error(&code.clone());
    }
    if s.noop.contains(&method) {
        return ok("");
    }
    let f = form(&r.body);
    let reply = match method.as_str() {
        "admin.users.session.reset" => reset(&mut s, &f),
        "admin.users.session.invalidate" => invalidate(&mut s, &f),
        "admin.users.session.list" => list(&s, &f),
        "admin.users.session.resetBulk" => reset_bulk(&mut s, &f),
        "admin.users.session.getSettings" => get_settings(&s, &f),
        "admin.users.session.setSettings" => set_settings(&mut s, &f),
        "admin.users.session.clearSettings" => clear_settings(&mut s, &f),
        "admin.users.list" => admin_users_list(&s, &f),
        "users.lookupByEmail" => lookup_by_email(&s, &f),
        "auth.test" => ok(&format!(
            r#""user_id":"{}","team_id":"T1","user":"admin","team":"Test Org","url":"https://test.example/""#,
            s.caller
        )),
        _ => slack_error("unknown_method"),
    };
    if warning.is_empty() {
        reply
    } else {
        match reply {
            Reply::Respond {
                status,
                headers,
                body,
            } => {
                let text = String::from_utf8(body).unwrap();
                let text = text.replacen('{', &format!(r#"{{"warning":"{warning}","#), 1);
                Reply::Respond {
                    status,
                    headers,
                    body: text.into_bytes(),
                }
            }
            other => other,
        }
    }
}

fn reset(s: &mut State, f: &HashMap<String, String>) -> Reply {
    let Some(user_id) = f.get("user_id") else {
        return slack_error("invalid_arguments");
    };
    let Some(user) = s.users.get_mut(user_id) else {
        return slack_error("user_not_found");
    };
    if user.is_bot {
        return slack_error("cannot_reset_bot");
    }
    if user.is_primary_owner {
        return slack_error("cannot_reset_primary_owner");
    }
    user.resets += 1;
    user.single_resets += 1;
    let (mobile_only, web_only) = flags(f);
    clear(user, &s.mobile, &s.kept, mobile_only, web_only);
    ok("")
}

fn flags(f: &HashMap<String, String>) -> (bool, bool) {
    let yes = |k: &str| f.get(k).is_some_and(|v| v == "true");
    (yes("mobile_only"), yes("web_only"))
}

/// Ends the user's sessions of the kind asked for (but never a kept one).
fn clear(
    user: &mut User,
    mobile: &std::collections::HashSet<u64>,
    kept: &std::collections::HashSet<u64>,
    mobile_only: bool,
    web_only: bool,
) {
    user.sessions.retain(|id| {
        kept.contains(id)
            || match (mobile_only, web_only) {
                (true, _) => !mobile.contains(id),
                (_, true) => mobile.contains(id),
                _ => false,
            }
    });
}

fn apply_due_jobs(s: &mut State) {
    let now = Instant::now();
    let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut s.jobs)
        .into_iter()
        .partition(|j| j.0 <= now);
    s.jobs = later;
    for (_, users, mobile_only, web_only) in due {
        let State {
            users: known,
            mobile,
            kept,
            bulk_never,
            ..
        } = &mut *s;
        for id in users {
            if bulk_never.contains(&id) {
                continue;
            }
            if let Some(u) = known.get_mut(&id) {
                u.resets += 1;
                clear(u, mobile, kept, mobile_only, web_only);
            }
        }
    }
}

/// `admin.users.list`: active users, `limit` 1 to 100 (default 100), cursor `page:N`.
fn admin_users_list(s: &State, f: &HashMap<String, String>) -> Reply {
    let limit = match f.get("limit").map(|l| l.parse::<usize>()) {
        None => 100,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return slack_error("invalid_arguments"),
    };
    use std::ops::Bound;
    let from = match f.get("cursor") {
        None => Bound::Unbounded,
        Some(c) => match c.strip_prefix("after:") {
            Some(id) => Bound::Excluded(id.to_owned()),
            None => return slack_error("invalid_cursor"),
        },
    };
    // include_owners: owners only (here, the primary owner).
    let owners_only = f.get("include_owners").is_some_and(|v| v == "true");
    let mut all = s
        .users
        .range((from, Bound::Unbounded))
        .filter(|(_, u)| !owners_only || u.is_primary_owner);
    let page: Vec<(&String, &User)> = all.by_ref().take(limit).collect();
    let more = all.next().is_some();
    let users: Vec<String> = page
        .iter()
        .map(|(id, u)| {
            let workspaces: Vec<String> = std::iter::once(&u.team_id)
                .chain(&u.workspaces)
                .map(|t| format!(r#""{t}""#))
                .collect();
            format!(
                r#"{{"id":"{id}","email":"{}","is_admin":false,"is_owner":{},"is_primary_owner":{},"is_restricted":false,"is_ultra_restricted":false,"is_bot":{},"is_active":true,"workspaces":[{}]}}"#,
                u.email, u.is_primary_owner, u.is_primary_owner, u.is_bot, workspaces.join(",")
            )
        })
        .collect();
    let next = match page.last() {
        Some((id, _)) if more => format!("after:{id}"),
        _ => String::new(),
    };
    ok(&format!(
        r#""users":[{}],"response_metadata":{{"next_cursor":"{next}"}}"#,
        users.join(",")
    ))
}

fn lookup_by_email(s: &State, f: &HashMap<String, String>) -> Reply {
    let Some(email) = f.get("email") else {
        return slack_error("invalid_arguments");
    };
    match s
        .users
        .iter()
        .find(|(_, u)| !u.email.is_empty() && u.email.eq_ignore_ascii_case(email))
    {
        Some((id, u)) => ok(&format!(
            r#""user":{{"id":"{id}","team_id":"{}","deleted":false,"is_bot":{},"profile":{{"email":"{}"}}}}"#,
            u.team_id, u.is_bot, u.email
        )),
        None => slack_error("users_not_found"),
    }
}

/// As `admin.users.session.invalidate.json` says: `user_id` and `session_id` required,
/// `team_id` optional and, when sent, the workspace of the session.
fn invalidate(s: &mut State, f: &HashMap<String, String>) -> Reply {
    let (Some(user_id), Some(session_id)) = (
        f.get("user_id"),
        f.get("session_id").and_then(|v| v.parse::<u64>().ok()),
    ) else {
        return slack_error("invalid_arguments");
    };
    let team = s.details.get(&session_id).and_then(|d| d.team_id.clone());
    let Some(user) = s.users.get_mut(user_id) else {
        return slack_error("user_not_found");
    };
    if f.get("team_id")
        .is_some_and(|t| *t != *team.as_ref().unwrap_or(&user.team_id))
    {
        return slack_error("session_not_found");
    }
    let Some(pos) = user.sessions.iter().position(|&x| x == session_id) else {
        return slack_error("session_not_found");
    };
    if user.is_primary_owner {
        return slack_error("cannot_invalidate_primary_owner");
    }
    user.sessions.remove(pos);
    ok("")
}

/// As `admin.users.session.list.json` says: `user_id` and `team_id` together or not at
/// all (`missing_team` / `missing_user`), `limit` 1 to 1000 (default 1000),
/// `no_active_sessions` when nothing matches. Sessions are (user, session id) in a stable
/// order, each on its user's workspace unless `details` says otherwise; the cursor
/// is the last (user, session) sent, and a page is read straight off the ordered store,
/// so that a walk of 300,000 sessions stays cheap.
fn list(s: &State, f: &HashMap<String, String>) -> Reply {
    use std::ops::Bound;
    let (user, team) = (f.get("user_id"), f.get("team_id"));
    let team_of = |u: &User, sid: u64| -> String {
        s.details
            .get(&sid)
            .and_then(|d| d.team_id.clone())
            .unwrap_or_else(|| u.team_id.clone())
    };
    match (user, team) {
        (Some(_), None) => return slack_error("missing_team"),
        (None, Some(_)) => return slack_error("missing_user"),
        (Some(u), Some(t)) => {
            if !s
                .users
                .values()
                .any(|x| x.team_id == *t || x.workspaces.contains(t))
                && !s.details.values().any(|d| d.team_id.as_ref() == Some(t))
            {
                return slack_error("team_not_found");
            }
            if !s.users.contains_key(u) {
                return slack_error("user_not_found");
            }
        }
        (None, None) => {}
    }
    let limit = match f.get("limit").map(|l| l.parse::<usize>()) {
        None => 1000,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => return slack_error("invalid_arguments"),
    };
    // A keyset cursor, as real ones behave: the page after the last session sent, so a
    // walk survives sessions ending while it runs.
    let after: Option<(String, u64)> = match f.get("cursor") {
        None => None,
        Some(c) => match c
            .strip_prefix("after:")
            .and_then(|k| k.rsplit_once(':'))
            .and_then(|(u, sid)| Some((u.to_owned(), sid.parse::<u64>().ok()?)))
        {
            Some(key) => Some(key),
            None => return slack_error("invalid_cursor"),
        },
    };
    let from = match (&user, &after) {
        (Some(u), _) => Bound::Included((*u).clone()),
        (None, Some((u, _))) => Bound::Included(u.clone()),
        (None, None) => Bound::Unbounded,
    };
    let mut page: Vec<(&String, String, u64)> = Vec::new();
    let mut more = false;
    'users: for (id, u) in s.users.range((from, Bound::Unbounded)) {
        if user.is_some_and(|w| w != id) {
            break;
        }
        let mut sids = u.sessions.clone();
        sids.sort_unstable();
        for sid in sids {
            if after
                .as_ref()
                .is_some_and(|(au, asid)| (id.as_str(), sid) <= (au.as_str(), *asid))
            {
                continue;
            }
            let t = team_of(u, sid);
            if team.is_some_and(|w| *w != t) {
                continue;
            }
            if page.len() == limit {
                more = true;
                break 'users;
            }
            page.push((id, t, sid));
        }
    }
    if page.is_empty() && after.is_none() {
        return slack_error("no_active_sessions");
    }
    let sessions: Vec<String> = page
        .iter()
        .enumerate()
        .map(|(i, (u, t, sid))| {
            // Alternate the id's JSON type, as Slack's SDKs disagree on it.
            let mut id = if i % 2 == 0 {
                sid.to_string()
            } else {
                format!("\"{sid}\"")
            };
            let odd = s.details.get(sid);
            if let Some(j) = odd.and_then(|d| d.session_id_json.clone()) {
                id = j;
            }
            let u = match odd.and_then(|d| d.user_id_json.clone()) {
                Some(j) => j,
                None => format!("\"{u}\""),
            };
            let (hw, os) = if s.mobile.contains(sid) {
                ("iPhone", "iOS")
            } else {
                ("Macbook Pro", "Mac OS")
            };
            let detail = s.details.get(sid).cloned().unwrap_or_default();
            let created = detail.created.unwrap_or_else(|| {
                format!(r#"{{"device_hardware":"{hw}","os":"{os}","ip":"10.0.0.{i}"}}"#)
            });
            let recent = match (detail.no_recent, detail.recent) {
                (true, _) => String::new(),
                (false, Some(r)) => format!(r#","recent":{r}"#),
                (false, None) => format!(r#","recent":{{"ip":"10.1.0.{i}"}}"#),
            };
            format!(
                r#"{{"user_id":{u},"team_id":"{t}","session_id":{id},"created":{created}{recent}}}"#
            )
        })
        .collect();
    let next = match page.last() {
        Some((u, _, sid)) if more => format!("after:{u}:{sid}"),
        _ => String::new(),
    };
    ok(&format!(
        r#""active_sessions":[{}],"response_metadata":{{"next_cursor":"{next}"}}"#,
        sessions.join(",")
    ))
}

fn ids(f: &HashMap<String, String>) -> Vec<String> {
    f.get("user_ids")
        .map(|v| v.split(',').map(str::to_owned).collect())
        .unwrap_or_default()
}

/// resetBulk as Slack documents it: a job. Known, non-bot users are queued to be logged
/// out after `bulk_delay` (at once when zero); `bulk_fail` users are answered
/// `failed_for_some_users`, named in `response_metadata.messages`; `bulk_never` users are
/// accepted and never logged out.
fn reset_bulk(s: &mut State, f: &HashMap<String, String>) -> Reply {
    let ids = ids(f);
    if ids.is_empty() || ids.len() > 1000 {
        return slack_error("invalid_arguments");
    }
    for id in &ids {
        match s.users.get(id) {
            None => return slack_error("user_not_found"),
            Some(u) if u.is_bot => return slack_error("cannot_reset_bot"),
            Some(u) if u.is_primary_owner => return slack_error("cannot_reset_primary_owner"),
            Some(_) => {}
        }
        if let Some(code) = s.bulk_refuse.get(id) {
            return slack_error(&code.clone());
        }
    }
    let (mobile_only, web_only) = flags(f);
    let failed: Vec<&String> = ids.iter().filter(|id| s.bulk_fail.contains(*id)).collect();
    let queued: Vec<String> = ids
        .iter()
        .filter(|id| !s.bulk_fail.contains(*id))
        .cloned()
        .collect();
    let messages: Vec<String> = failed
        .iter()
        .map(|id| format!(r#""[ERROR] could not reset the sessions of user {id}""#))
        .collect();
    let at = Instant::now() + s.bulk_delay;
    s.jobs.push((at, queued, mobile_only, web_only));
    if s.bulk_delay.is_zero() {
        apply_due_jobs(s);
    }
    if messages.is_empty() {
        ok("")
    } else {
        Reply::json(
            200,
            &format!(
                r#"{{"ok":false,"error":"failed_for_some_users","response_metadata":{{"messages":[{}]}}}}"#,
                messages.join(",")
            ),
        )
    }
}

fn get_settings(s: &State, f: &HashMap<String, String>) -> Reply {
    let mut with = Vec::new();
    let mut without = Vec::new();
    for id in ids(f) {
        match s.users.get(&id).and_then(|u| u.settings) {
            Some((quit, duration)) => {
                let mut fields = vec![format!(r#""user_id":"{id}""#)];
                if let Some(q) = quit {
                    fields.push(format!(r#""desktop_app_browser_quit":{q}"#));
                }
                if let Some(d) = duration {
                    fields.push(format!(r#""duration":{d}"#));
                }
                with.push(format!("{{{}}}", fields.join(",")));
            }
            None => without.push(format!(r#""{id}""#)),
        }
    }
    ok(&format!(
        r#""session_settings":[{}],"no_settings_applied":[{}]"#,
        with.join(","),
        without.join(",")
    ))
}

fn set_settings(s: &mut State, f: &HashMap<String, String>) -> Reply {
    let quit = f.get("desktop_app_browser_quit").map(|v| v == "true");
    let duration = f.get("duration").and_then(|v| v.parse().ok());
    if quit.is_none() && duration.is_none() {
        return slack_error("at_least_one_session_setting_required");
    }
    for id in ids(f) {
        match s.users.get_mut(&id) {
            Some(u) if u.is_bot => return slack_error("bots_not_allowed"),
            Some(u) => u.settings = Some((quit, duration)),
            None => return slack_error("user_not_found"),
        }
    }
    ok("")
}

fn clear_settings(s: &mut State, f: &HashMap<String, String>) -> Reply {
    for id in ids(f) {
        if let Some(u) = s.users.get_mut(&id) {
            u.settings = None;
        }
    }
    ok("")
}
