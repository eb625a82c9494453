//! What every command shares, below the commands: the global options ([`Global`]), exit
//! codes and failures, the client, output that cannot panic, `--json` objects ([`json`]),
//! and the words for waits and errors.

pub(crate) mod dry_run;
pub(crate) mod guard;
pub(crate) mod json;
mod options;
pub(crate) mod rotating;

pub(crate) use dry_run::Resolved;
pub(crate) use options::{parse_seconds, Global};

use std::error::Error as StdError;
use std::io::{self, Write};
use std::time::Duration;

use slack_sessions::{
    Client, Error, RenewalErrorKind, RetryPolicy, SlackMethod, UreqTransport, Wait,
};

/// Exit codes, as the README's table has them.
pub(crate) mod exit {
    /// Success, or a dry run.
    pub(crate) const OK: u8 = 0;
    /// Slack answered with an error, or the call failed.
    pub(crate) const FAILED: u8 = 1;
    /// Usage error, or input refused before any network call.
    pub(crate) const USAGE: u8 = 2;
    /// Output could not be written (stdout closed, report file unwritable); what was done
    /// is said on stderr.
    pub(crate) const OUTPUT: u8 = 3;
}

/// What went wrong: the exit code, the `--json` error code, and the sentence.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The process exit code ([`exit`]).
    pub(crate) code: u8,
    /// The `--json` error code: Slack's, or one of [`json::code`].
    pub(crate) error: String,
    /// What went wrong, for a person.
    pub(crate) message: String,
    /// The failure was already printed as a `--json` object (so `main` does not again).
    pub(crate) shown: bool,
}

impl Failure {
    fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            error: json::default_code(code).to_owned(),
            message: message.into(),
            shown: false,
        }
    }

    /// Usage error or input refused before any call (exit 2, `invalid_input`).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Failure::new(exit::USAGE, message)
    }

    /// Not everything was done (exit 1, `incomplete`).
    pub(crate) fn failed(message: impl Into<String>) -> Self {
        Failure::new(exit::FAILED, message)
    }

    /// Output could not be written (exit 3, `output_failed`).
    pub(crate) fn output(message: impl Into<String>) -> Self {
        Failure::new(exit::OUTPUT, message)
    }

    /// An output failure after a write Slack accepted: the message says what was done
    /// (`done`, e.g. "ok: reset ... [request id ...]"), so exit 3 never hides the write.
    pub(crate) fn and_done(mut self, done: &str) -> Self {
        self.message = format!(
            "{}; the call itself was made and answered {done}",
            self.message
        );
        self
    }

    /// The same failure under another `--json` error code.
    pub(crate) fn with_error(mut self, code: &str) -> Self {
        code.clone_into(&mut self.error);
        self
    }

    /// Marks the failure as already printed as a `--json` object.
    pub(crate) fn shown(mut self) -> Self {
        self.shown = true;
        self
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match error {
            Error::InvalidRequest(_) | Error::Config(_) => exit::USAGE,
            _ => exit::FAILED,
        };
        let error_code = json::error_code(&error);
        let message = match &error {
            // The library's words end "(nothing was sent)", but the lookups were sent:
            // what matters to the responder is that nobody was reset.
            Error::InvalidRequest(bad) if error_code == json::code::UNKNOWN_EMAIL => {
                format!("email address(es) not found: {}", bad.reason())
            }
            _ => describe(&error),
        };
        Failure::new(code, message).with_error(error_code)
    }
}

/// The error, its sources, Slack's further messages, the request id, the attempts.
pub(crate) fn describe(error: &Error) -> String {
    let mut text = error.to_string();
    if let Error::Decode { target, .. } = error {
        // A person knows the Slack method (named already), not our Rust type.
        text = text.replacen(&format!(" as {target}"), "", 1);
    }
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    if let Error::Api(api) = error {
        // Display shows the first few of Slack's messages; the rest go here, bounded.
        for message in api.messages().iter().skip(3).take(50) {
            text.push_str("\n  slack: ");
            text.push_str(message);
        }
        if api.messages().len() > 53 {
            text.push_str(&format!(
                "\n  ({} more messages not shown)",
                api.messages().len() - 53
            ));
        }
    }
    if let Some(id) = error.request_id() {
        if !text.contains(id) {
            text.push_str(&format!(" [request id {id}]"));
        }
    }
    if error.attempts() > 1 {
        text.push_str(&format!(" (after {} attempts)", error.attempts()));
    }
    if let Error::Renewal(e) = error {
        if e.kind() == RenewalErrorKind::NotStored {
            let not_stored =
                std::error::Error::source(e).and_then(|s| s.downcast_ref::<rotating::NotStored>());
            text = match not_stored {
                Some(n) => not_stored_message(n),
                None => text,
            };
        }
    }
    text
}

/// What a pair Slack issued but FILE could not take means, and what to do: the process
/// stops now, so the pair is where the rescue file is, or lost.
fn not_stored_message(n: &rotating::NotStored) -> String {
    let file = n.file.display();
    let head = format!(
        "Slack issued a new token pair, which spent the refresh token in {file}, but {n} \
         (tried {} times); this run stops before using it",
        rotating::STORE_RETRIES.len() + 1
    );
    match &n.rescue {
        Some(rescue) => format!(
            "{head}. The new pair was saved to {} (mode 0600) instead: once {file} can be \
             written again, move it over the token file (mv {} {file}) and run again",
            rescue.display(),
            rescue.display()
        ),
        None => format!(
            "{head}, and it could not be saved beside it either, so the new pair is lost and \
             the refresh token in the token file no longer works: authorize the app again \
             (reinstall it through OAuth), remove the token file, and run again with the new \
             pair in SLACK_TOKEN and SLACK_REFRESH_TOKEN"
        ),
    }
}

/// A short reason for a report line or a summary: Slack's code, or the whole message.
pub(crate) fn reason(error: &Error) -> String {
    match error.code() {
        Some(code) => code.as_str().to_owned(),
        None => error.to_string(),
    }
}

/// Writes one line to stdout in one `write`, flushed. A closed or full stdout is an
/// error to report (exit 3), never a panic.
pub(crate) fn print(line: &str) -> Result<(), Failure> {
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let mut out = io::stdout().lock();
    out.write_all(buf.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Failure::output(format!("could not write to stdout: {e}")))
}

/// Prints one line of a listing (`list`, `settings get`, a completion script), where
/// nothing is at stake when the reader stops reading (`| head`): `Ok(false)` then,
/// and the command ends quietly, as other Unix tools do. Any other failure is exit 3.
pub(crate) fn print_listing(line: &str) -> Result<bool, Failure> {
    let mut buf = String::with_capacity(line.len() + 1);
    buf.push_str(line);
    buf.push('\n');
    let mut out = io::stdout().lock();
    match out.write_all(buf.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Failure::output(format!("could not write to stdout: {e}"))),
    }
}

/// One line to stderr. If stderr itself is gone there is nowhere left to say so.
pub(crate) fn say(line: &str) {
    let _ = writeln!(io::stderr().lock(), "slack-sessions: {line}");
}

/// What a wait is for, in words, for stderr or the progress line.
pub(crate) fn wait_words(w: &Wait<'_>) -> String {
    let bound = w.gives_up_after.map_or_else(String::new, |left| {
        format!(" (gives up on this call after {} more)", seconds(left))
    });
    format!(
        "{} {}; waiting {} before attempt {}{bound}",
        w.method,
        w.reason,
        seconds(w.delay),
        w.attempt + 1
    )
}

pub(crate) fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.0}s")
    } else {
        format!("{s:.1}s")
    }
}

/// The client for `global`'s settings; `on_wait` hears of every wait between attempts.
pub(crate) fn client(
    global: &Global,
    on_wait: impl Fn(&Wait<'_>) + Send + Sync + 'static,
) -> Result<Client<UreqTransport>, Failure> {
    let rotating = if global.dry_run {
        None // a dry run sends nothing: no renewal, no token file
    } else {
        rotating::from_env(global)?
    };
    let mut file = None;
    let credentials: slack_sessions::Credentials = match rotating {
        Some(r) => {
            file = Some(r.file);
            r.token.into()
        }
        None => {
            let token = match (&global.token, global.dry_run) {
                (Some(t), _) if !t.is_empty() => t.clone(),
                // A dry run never sends; any well-formed placeholder lets the request be built.
                (_, true) => "xoxp-dry-run".to_owned(),
                (Some(_), false) => return Err(Failure::usage(
                    "the token is empty: SLACK_TOKEN (or --token) is set to nothing; set it to your user token (xoxp-...)",
                )
                .with_error(json::code::NO_TOKEN)),
                (None, false) => return Err(Failure::usage(
                    "no token: set SLACK_TOKEN (or pass --token); try --dry-run to see the request first",
                )
                .with_error(json::code::NO_TOKEN)),
            };
            check_token(&token)?;
            if !global.dry_run {
                check_kind(&token)?;
            }
            token.into()
        }
    };
    let mut builder = Client::builder(credentials)
        .api_url(global.api_url.clone())
        .user_agent(concat!("slack-sessions-cli/", env!("CARGO_PKG_VERSION")))
        .retry(RetryPolicy::default().max_retries(global.retries))
        .proxy_from_env(global.proxy_from_env)
        .on_wait(on_wait);
    if let Some(t) = global.timeout {
        builder = builder.timeout(t);
    }
    if let Some(p) = &global.proxy {
        builder = builder.proxy(p.clone());
    }
    if let Some(file) = file {
        let (stored, locked) = (file.clone(), file.clone());
        builder = builder
            .renewal_lock(move || rotating::lock(&locked))
            .on_renewal(move |pair| rotating::store(&file, pair))
            .load_stored(move || rotating::load(&stored));
    }
    Ok(builder.build()?)
}

/// Adds what a person most likely has to change to a failure's message: an `--api-url`
/// without Slack's `/api/` path answers 404 to every method.
pub(crate) fn add_hints(failure: &mut Failure, global: &Global) {
    let no_api_path = !global.api_url.trim_end_matches('/').ends_with("/api");
    if failure.error == json::code::HTTP_ERROR
        && failure.message.contains("HTTP 404")
        && no_api_path
        && !failure.message.contains("has no /api/ path")
    {
        failure.message.push_str(&format!(
            "; --api-url {} has no /api/ path: Slack's methods live under it (e.g. {})",
            global.api_url,
            slack_sessions::DEFAULT_API_URL
        ));
    }
}

/// Refuses, before any call, a token pasted with what does not belong to it, saying
/// what that is (never the token).
fn check_token(token: &str) -> Result<(), Failure> {
    let trimmed = token.trim();
    let refuse = |why: String| Err(Failure::usage(why));
    if trimmed.is_empty() {
        return Err(Failure::usage(
            "the token is only whitespace: set SLACK_TOKEN (or --token) to your user token (xoxp-...)",
        )
        .with_error(json::code::NO_TOKEN));
    }
    if trimmed.len() > 7 && trimmed[..7].eq_ignore_ascii_case("bearer ") {
        return refuse(
            "the token starts with \"Bearer \": give the token alone (xoxp-...); the Authorization header is added for you".to_owned(),
        );
    }
    if trimmed != token {
        let place = match (
            token.starts_with(char::is_whitespace),
            token.ends_with(char::is_whitespace),
        ) {
            (true, true) => "leading and trailing",
            (true, false) => "leading",
            _ => "trailing",
        };
        return refuse(format!(
            "the token has {place} whitespace (a pasted space or newline?); remove it: a token starts with xox and has no spaces"
        ));
    }
    Ok(())
}

/// Refuses a refresh token given as the token; warns about a token that is not a user
/// token. A rotating user token (`xoxe.xoxp-`) is a user token.
pub(crate) fn check_kind(token: &str) -> Result<(), Failure> {
    check_token(token)?;
    if token.starts_with("xoxe-") {
        return Err(Failure::usage(format!(
            "the token is a refresh token (xoxe-), not an access token: put it in {} and \
             the access token (xoxe.xoxp-...) in SLACK_TOKEN, with {}, {} and --token-file \
             FILE",
            rotating::REFRESH_VAR,
            rotating::CLIENT_ID_VAR,
            rotating::CLIENT_SECRET_VAR
        )));
    }
    let bare = token.strip_prefix("xoxe.").unwrap_or(token);
    if !bare.starts_with("xoxp-") {
        let kind = match bare.get(..5) {
            Some("xoxb-") => "a bot token (xoxb-)",
            Some("xapp-") => "an app-level token (xapp-)",
            _ => "not a user token (xoxp-)",
        };
        say(&format!(
            "warning: the token is {kind}; the admin.users.session.* methods need a user token (xoxp-, or xoxe.xoxp- when rotating) of an org owner or admin, and Slack will likely refuse this one"
        ));
    }
    if let Some(why) = slack_sessions::Token::from(token).implausible() {
        say(&format!("warning: {why}"));
    }
    Ok(())
}

/// The client for a single call: waits are said on stderr as they begin.
pub(crate) fn simple_client(global: &Global) -> Result<Client<UreqTransport>, Failure> {
    client(global, |w| say(&wait_words(w)))
}

/// Ids as given, with any email address turned into its user's id (before anything is
/// written). A dry run looks addresses up only when a token is given.
pub(crate) fn resolve(
    client: &Client<UreqTransport>,
    inputs: &[String],
    global: &Global,
) -> Result<Resolved, Failure> {
    Resolved::new(client, inputs, global)
}

pub(crate) fn print_warnings(warnings: &[String]) {
    for warning in warnings {
        say(&format!("warning from Slack: {warning}"));
    }
}

/// One call, printed as a line or a JSON object. `describe_ok` says what was done;
/// `fields` are the JSON object's own fields besides `ok`, `method`, `request_id`.
pub(crate) fn call<R: SlackMethod>(
    client: &Client<UreqTransport>,
    request: &R,
    global: &Global,
    describe_ok: impl FnOnce() -> String,
    fields: serde_json::Value,
) -> Result<(), Failure> {
    call_with(
        client,
        request,
        &Resolved::default(),
        global,
        describe_ok,
        fields,
    )
}

/// [`call`] for a request whose user ids came through [`resolve`]: a dry run shows
/// which were looked up and which will be.
pub(crate) fn call_with<R: SlackMethod>(
    client: &Client<UreqTransport>,
    request: &R,
    resolved: &Resolved,
    global: &Global,
    describe_ok: impl FnOnce() -> String,
    fields: serde_json::Value,
) -> Result<(), Failure> {
    if global.dry_run {
        return dry_run::show_call(client, request, resolved, global, fields);
    }
    match client.send_with_meta(request) {
        Ok(answer) => {
            print_warnings(answer.meta.warnings());
            let mut done = format!("ok: {}", describe_ok());
            if let Some(id) = answer.meta.request_id() {
                done.push_str(&format!(" [request id {id}]"));
            }
            let printed = if global.json {
                json::Object::ok()
                    .field("method", R::NAME)
                    .field("request_id", answer.meta.request_id())
                    .field("attempts", answer.meta.attempts())
                    .field("warnings", answer.meta.warnings())
                    .fields(fields)
                    .print()
            } else {
                print(&done)
            };
            // The write happened even when its result cannot be printed: say so.
            printed.map_err(|f| f.and_done(&done))
        }
        Err(error) => {
            if global.json {
                let object = json::Object::from_error(&error);
                // A renewal that failed failed in oauth.v2.access, before R was sent.
                let method = match &error {
                    Error::Renewal(_) => "oauth.v2.access",
                    _ => R::NAME,
                };
                let mut failure = Failure::from(error);
                add_hints(&mut failure, global);
                object
                    .message(&failure.message)
                    .field("method", method)
                    .fields(fields)
                    .print()?;
                return Err(failure.shown());
            }
            Err(error.into())
        }
    }
}

/// Which sessions a reset ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    All,
    Web,
    Mobile,
}

impl Scope {
    pub(crate) fn new(mobile_only: bool, web_only: bool) -> Self {
        match (mobile_only, web_only) {
            (true, _) => Scope::Mobile,
            (_, true) => Scope::Web,
            _ => Scope::All,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Scope::All => "all",
            Scope::Web => "web",
            Scope::Mobile => "mobile",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "all" => Some(Scope::All),
            "web" => Some(Scope::Web),
            "mobile" => Some(Scope::Mobile),
            _ => None,
        }
    }

    /// Whether a reset of this scope also did what a reset of `other` does: every
    /// session covers web and mobile; web covers only web, mobile only mobile.
    pub(crate) fn covers(self, other: Scope) -> bool {
        self == Scope::All || self == other
    }

    pub(crate) fn words(self) -> &'static str {
        match self {
            Scope::All => "sessions on every device",
            Scope::Web => "web sessions",
            Scope::Mobile => "mobile sessions",
        }
    }
}
