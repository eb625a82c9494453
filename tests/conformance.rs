//! The crate against Slack's own method reference: every fact in
//! `tests/data/slack_methods.json` (extracted from `../shared/slack-api-ref/` by
//! `tests/data/extract_slack_methods.py`; source and commit at its top) is checked for all
//! seven `admin.users.session.*` methods and the three a whole-org logout uses
//! (`admin.users.list`, `users.lookupByEmail`, `auth.test`):
//!
//! - name, HTTP method, scopes and tier match the request type's `SlackMethod` constants;
//! - a request with every required argument can be built and carries each one with the
//!   documented name and type; each one missing or empty is refused before any I/O,
//!   naming it; an argument that needs a partner (`list`'s user and team) is refused alone;
//! - every optional argument can be set and lands on the wire with its name and type
//!   (integers as digits, booleans as `true`/`false`, arrays comma-joined, as Slack's
//!   form-encoded methods take them), and nothing else is sent;
//! - every documented range is enforced at its boundaries;
//! - every documented error code decodes to a named `ErrorCode` (never `Other`);
//! - every documented example response decodes;
//! - a rotating token's renewal (`oauth.v2.access`, `grant_type=refresh_token`) sends only
//!   documented arguments, the client id and secret by HTTP Basic as the reference
//!   prefers; every error code of `oauth.v2.access` and `oauth.v2.exchange` is a named
//!   `ErrorCode` and a typed renewal error; the example `success_with_token_rotation`
//!   gives the user token's new pair, and an answer without a refresh token is refused.
//!
//! The checks return their failures instead of panicking, so a second test can prove that
//! changing any one kind of fact in the data makes them fail.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde_json::{json, Value};
use slack_sessions::{
    decode_response, AdminUsersListRequest, AuthTestRequest, ClearSettingsRequest, Client, Error,
    ErrorCode, FakeTransport, GetSettingsRequest, HttpRequest, InvalidateRequest, ListRequest,
    LookupByEmailRequest, RenewalErrorKind, ResetBulkRequest, ResetRequest, RotatingToken,
    SetSettingsRequest, SlackMethod, TokenPair,
};

const DATA: &str = include_str!("data/slack_methods.json");

fn data() -> Value {
    serde_json::from_str(DATA).expect("tests/data/slack_methods.json is JSON")
}

/// What went wrong, one line per broken fact.
type Failures = Vec<String>;

/// Arguments by name, as JSON values.
type Args = BTreeMap<String, Value>;

fn client() -> Client<FakeTransport> {
    Client::with_transport("xoxp-conformance", FakeTransport::new())
}

fn text(args: &Args, name: &str) -> String {
    args.get(name)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn ids(args: &Args, name: &str) -> Vec<String> {
    args.get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn flag(v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("{v}: the crate takes a boolean here"))
}

fn int(v: &Value) -> Result<u64, String> {
    v.as_u64()
        .ok_or_else(|| format!("{v}: the crate takes a non-negative integer here"))
}

/// Builds method `name`'s request from `args` through the crate's public builders, the
/// way a user would; a required argument absent from `args` is passed empty (`""`, `0`,
/// `[]`). An argument the crate has no way to set is a failure.
fn build(name: &str, args: &Args) -> Result<Result<HttpRequest, Error>, String> {
    let c = client();
    let unknown = |arg: &str| Err(format!("{name}: the crate has no way to set `{arg}`"));
    let mut handled = vec![];
    macro_rules! optional {
        ($req:ident, { $($arg:literal => |$v:ident| $set:expr,)* }) => {
            for (arg, _value) in args {
                match arg.as_str() {
                    $( $arg => { let $v = _value; $req = $set; } )*
                    other if handled.contains(&other) => {}
                    other => return unknown(other),
                }
            }
        };
    }
    Ok(match name {
        "admin.users.session.reset" => {
            handled.push("user_id");
            let mut r = ResetRequest::new(text(args, "user_id"));
            optional!(r, {
                "mobile_only" => |v| r.mobile_only(flag(v)?),
                "web_only" => |v| r.web_only(flag(v)?),
            });
            c.build_request(&r)
        }
        "admin.users.session.invalidate" => {
            handled.extend(["user_id", "session_id"]);
            let session = args.get("session_id").map_or(Ok(0), int)?;
            let mut r = InvalidateRequest::new(text(args, "user_id"), session);
            optional!(r, { "team_id" => |v| r.team(v.as_str().unwrap()), });
            c.build_request(&r)
        }
        "admin.users.session.list" => {
            let mut r = ListRequest::new();
            // Slack takes user and team as a pair; the crate has one setter for both.
            if args.contains_key("user_id") || args.contains_key("team_id") {
                handled.extend(["user_id", "team_id"]);
                r = r.user_in_team(text(args, "user_id"), text(args, "team_id"));
            }
            optional!(r, {
                "limit" => |v| r.limit(u32::try_from(int(v)?).unwrap_or(u32::MAX)),
                "cursor" => |v| r.cursor(v.as_str().unwrap()),
            });
            c.build_request(&r)
        }
        "admin.users.session.resetBulk" => {
            handled.push("user_ids");
            let mut r = ResetBulkRequest::new(ids(args, "user_ids"));
            optional!(r, {
                "mobile_only" => |v| r.mobile_only(flag(v)?),
                "web_only" => |v| r.web_only(flag(v)?),
            });
            c.build_request(&r)
        }
        "admin.users.session.getSettings" => {
            handled.push("user_ids");
            let r = GetSettingsRequest::new(ids(args, "user_ids"));
            #[allow(unused_mut)]
            let mut r = r;
            optional!(r, {});
            c.build_request(&r)
        }
        "admin.users.session.setSettings" => {
            handled.push("user_ids");
            let mut r = SetSettingsRequest::new(ids(args, "user_ids"));
            optional!(r, {
                "duration" => |v| r.duration(Duration::from_secs(int(v)?)),
                "desktop_app_browser_quit" => |v| r.desktop_app_browser_quit(flag(v)?),
            });
            c.build_request(&r)
        }
        "admin.users.session.clearSettings" => {
            handled.push("user_ids");
            #[allow(unused_mut)]
            let mut r = ClearSettingsRequest::new(ids(args, "user_ids"));
            optional!(r, {});
            c.build_request(&r)
        }
        "admin.users.list" => {
            let mut r = AdminUsersListRequest::new();
            optional!(r, {
                "team_id" => |v| r.team(v.as_str().unwrap()),
                "cursor" => |v| r.cursor(v.as_str().unwrap()),
                "is_active" => |v| r.is_active(flag(v)?),
                "include_deactivated_user_workspaces" => |v| r.include_deactivated_user_workspaces(flag(v)?),
                "only_guests" => |v| r.only_guests(flag(v)?),
                "include_admins" => |v| r.include_admins(flag(v)?),
                "include_owners" => |v| r.include_owners(flag(v)?),
                "limit" => |v| r.limit(u32::try_from(int(v)?).unwrap_or(u32::MAX)),
            });
            c.build_request(&r)
        }
        "users.lookupByEmail" => {
            handled.push("email");
            #[allow(unused_mut)]
            let mut r = LookupByEmailRequest::new(text(args, "email"));
            optional!(r, {});
            c.build_request(&r)
        }
        "auth.test" => {
            #[allow(unused_mut)]
            let mut r = AuthTestRequest::new();
            optional!(r, {});
            c.build_request(&r)
        }
        other => return Err(format!("{other}: the crate has no request type for it")),
    })
}

/// Runs `$body` with `R` bound to method `$name`'s request type.
macro_rules! with_method {
    ($name:expr, $failures:ident, |$r:ident| $body:expr) => {
        match $name {
            "admin.users.session.reset" => {
                type $r = ResetRequest;
                $body
            }
            "admin.users.session.invalidate" => {
                type $r = InvalidateRequest;
                $body
            }
            "admin.users.session.list" => {
                type $r = ListRequest;
                $body
            }
            "admin.users.session.resetBulk" => {
                type $r = ResetBulkRequest;
                $body
            }
            "admin.users.session.getSettings" => {
                type $r = GetSettingsRequest;
                $body
            }
            "admin.users.session.setSettings" => {
                type $r = SetSettingsRequest;
                $body
            }
            "admin.users.session.clearSettings" => {
                type $r = ClearSettingsRequest;
                $body
            }
            "admin.users.list" => {
                type $r = AdminUsersListRequest;
                $body
            }
            "users.lookupByEmail" => {
                type $r = LookupByEmailRequest;
                $body
            }
            "auth.test" => {
                type $r = AuthTestRequest;
                $body
            }
            other => $failures.push(format!("{other}: no request type")),
        }
    };
}

/// The lower bound the crate is meant to enforce. Where Slack's text and schema disagree
/// (setSettings `duration`: 28800 in the text, 180 in the schema) the text wins; see
/// `SetSettingsRequest::MIN_DURATION` for why.
fn minimum(spec: &Value) -> Option<u64> {
    spec.get("minimum_in_text")
        .or_else(|| spec.get("minimum"))
        .and_then(Value::as_u64)
}

/// A value of the documented type, inside every documented range.
fn sample(arg: &str, spec: &Value) -> Value {
    match spec["type"].as_str().unwrap() {
        "string" if arg == "email" => json!("someone@example.com"),
        "string" if arg.starts_with("team") => json!("T1"),
        "string" if arg.starts_with("user") => json!("W1"),
        "string" => json!("c1"),
        "boolean" => json!(true),
        "integer" => json!(minimum(spec).unwrap_or(1).max(1)),
        "array" => json!(["W1", "W2"]),
        other => panic!("{arg}: no sample for type {other}"),
    }
}

/// The documented arguments of `method`: (name, spec).
fn arg_specs(method: &Value) -> Vec<(String, Value)> {
    method["args"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn names(method: &Value, key: &str) -> Vec<String> {
    method[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// The smallest valid request: the required arguments, each argument's partner, and, for
/// a method that documents `at_least_one_session_setting_required`, its first optional
/// argument.
fn baseline(method: &Value) -> Args {
    let specs: BTreeMap<_, _> = arg_specs(method).into_iter().collect();
    let mut args: Args = names(method, "required")
        .into_iter()
        .map(|a| {
            let v = sample(&a, &specs[&a]);
            (a, v)
        })
        .collect();
    if names(method, "errors")
        .iter()
        .any(|e| e == "at_least_one_session_setting_required")
    {
        let first = &names(method, "optional")[0];
        args.insert(first.clone(), sample(first, &specs[first]));
    }
    args
}

/// The partner an argument must come with (`requires`), added with its sample.
fn with_partners(method: &Value, mut args: Args) -> Args {
    let specs: BTreeMap<_, _> = arg_specs(method).into_iter().collect();
    let names: Vec<String> = args.keys().cloned().collect();
    for a in names {
        if let Some(p) = specs[&a].get("requires").and_then(Value::as_str) {
            args.entry(p.to_owned())
                .or_insert_with(|| sample(p, &specs[p]));
        }
    }
    args
}

/// The form fields of a built request.
fn form(request: &HttpRequest) -> BTreeMap<String, String> {
    form_urlencoded_pairs(request.body())
}

fn form_urlencoded_pairs(body: &[u8]) -> BTreeMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap()
        .into_iter()
        .collect()
}

/// How a value of the documented type must look on the wire.
fn wire(spec: &Value, value: &Value) -> String {
    match spec["type"].as_str().unwrap() {
        "integer" => value.to_string(),
        "boolean" => value.to_string(),
        "array" => value
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(","),
        _ => value.as_str().unwrap().to_owned(),
    }
}

/// Builds and expects a request carrying exactly `args`, each as its type says.
fn expect_sent(method: &Value, args: &Args, what: &str, failures: &mut Failures) {
    let name = method["name"].as_str().unwrap();
    let specs: BTreeMap<_, _> = arg_specs(method).into_iter().collect();
    match build(name, args) {
        Err(no_setter) => failures.push(no_setter),
        Ok(Err(e)) => failures.push(format!("{name}: {what} was refused: {e}")),
        Ok(Ok(request)) => {
            let sent = form(&request);
            for (arg, value) in args {
                let want = wire(&specs[arg], value);
                match sent.get(arg) {
                    Some(got) if *got == want => {}
                    got => failures.push(format!(
                        "{name}: {what}: `{arg}` should go on the wire as {want:?}, got {got:?}"
                    )),
                }
            }
            for extra in sent.keys().filter(|k| !args.contains_key(*k)) {
                failures.push(format!("{name}: {what}: `{extra}` was sent but never set"));
            }
            // Every method is POSTed with a form body. The reference names GET for
            // users.lookupByEmail; Slack's Web API takes a POSTed form for every method,
            // and POST keeps the email address out of URLs (and so out of proxy and
            // server logs). Any verb other than POST or GET would be a new fact.
            let verb = method["http_method"].as_str().unwrap();
            if request.method() != "POST" || !matches!(verb, "POST" | "GET") {
                failures.push(format!(
                    "{name}: sent as {}, the reference says {verb}",
                    request.method()
                ));
            }
            if !request.uri().path().ends_with(name) {
                failures.push(format!("{name}: sent to {}", request.uri()));
            }
        }
    }
}

/// Builds and expects a refusal naming `field`, before any I/O.
fn expect_refused(method: &Value, args: &Args, field: &str, what: &str, failures: &mut Failures) {
    let name = method["name"].as_str().unwrap();
    match build(name, args) {
        Err(no_setter) => failures.push(no_setter),
        Ok(Ok(_)) => failures.push(format!("{name}: {what} was accepted")),
        Ok(Err(Error::InvalidRequest(e))) if e.field() == field => {}
        Ok(Err(e)) => failures.push(format!(
            "{name}: {what}: refused, but not naming `{field}`: {e}"
        )),
    }
}

fn check_constants(method: &Value, failures: &mut Failures) {
    let name = method["name"].as_str().unwrap();
    let scopes = names(method, "scopes");
    let tier = method["tier"].as_u64().map(|t| t as u8);
    with_method!(name, failures, |R| {
        if R::NAME != name {
            failures.push(format!("{name}: NAME is {}", R::NAME));
        }
        if R::SCOPES != scopes.iter().map(String::as_str).collect::<Vec<_>>() {
            failures.push(format!(
                "{name}: SCOPES {:?}, the reference says {scopes:?}",
                R::SCOPES
            ));
        }
        if R::TIER != tier {
            failures.push(format!(
                "{name}: TIER {:?}, the reference says {tier:?}",
                R::TIER
            ));
        }
    });
}

fn check_arguments(method: &Value, failures: &mut Failures) {
    let specs: BTreeMap<_, _> = arg_specs(method).into_iter().collect();
    let base = baseline(method);
    expect_sent(method, &base, "the required arguments", failures);

    for required in names(method, "required") {
        let mut args = base.clone();
        args.remove(&required);
        expect_refused(
            method,
            &args,
            &required,
            &format!("a request without `{required}`"),
            failures,
        );
    }

    for optional in names(method, "optional") {
        let mut args = base.clone();
        args.insert(optional.clone(), sample(&optional, &specs[&optional]));
        let args = with_partners(method, args);
        expect_sent(method, &args, &format!("optional `{optional}`"), failures);
        if let Some(partner) = specs[&optional].get("requires").and_then(Value::as_str) {
            let mut alone = args.clone();
            alone.remove(partner);
            expect_refused(
                method,
                &alone,
                partner,
                &format!("`{optional}` without `{partner}`"),
                failures,
            );
        }
    }

    for (arg, spec) in &specs {
        let with = |value: Value| {
            let mut args = base.clone();
            args.insert(arg.clone(), value);
            with_partners(method, args)
        };
        let items = |n: u64| json!((0..n).map(|i| format!("W{i}")).collect::<Vec<_>>());
        if let Some(min) = minimum(spec) {
            expect_sent(
                method,
                &with(json!(min)),
                &format!("`{arg}` = {min}"),
                failures,
            );
            if min > 0 {
                expect_refused(
                    method,
                    &with(json!(min - 1)),
                    arg,
                    &format!("`{arg}` = {}", min - 1),
                    failures,
                );
            }
        }
        if let Some(max) = spec.get("maximum").and_then(Value::as_u64) {
            expect_sent(
                method,
                &with(json!(max)),
                &format!("`{arg}` = {max}"),
                failures,
            );
            expect_refused(
                method,
                &with(json!(max + 1)),
                arg,
                &format!("`{arg}` = {}", max + 1),
                failures,
            );
        }
        if let Some(min) = spec.get("minItems").and_then(Value::as_u64) {
            expect_sent(
                method,
                &with(items(min)),
                &format!("`{arg}` with {min} items"),
                failures,
            );
            if min > 0 {
                expect_refused(
                    method,
                    &with(items(min - 1)),
                    arg,
                    &format!("`{arg}` with {} items", min - 1),
                    failures,
                );
            }
        }
        if let Some(max) = spec.get("maxItems").and_then(Value::as_u64) {
            expect_sent(
                method,
                &with(items(max)),
                &format!("`{arg}` with {max} items"),
                failures,
            );
            expect_refused(
                method,
                &with(items(max + 1)),
                arg,
                &format!("`{arg}` with {} items", max + 1),
                failures,
            );
        }
    }
}

fn answer(body: &Value) -> http::Response<Vec<u8>> {
    http::Response::builder()
        .status(200)
        .body(serde_json::to_vec(body).unwrap())
        .unwrap()
}

fn check_errors_and_examples(method: &Value, failures: &mut Failures) {
    let name = method["name"].as_str().unwrap();
    for code in names(method, "errors") {
        let known = ErrorCode::from_wire(&code);
        if matches!(known, ErrorCode::Other(_)) {
            failures.push(format!("{name}: error `{code}` has no ErrorCode variant"));
        }
        if known.as_str() != code {
            failures.push(format!(
                "{name}: `{code}` does not round-trip ({})",
                known.as_str()
            ));
        }
        let body = json!({"ok": false, "error": code});
        with_method!(
            name,
            failures,
            |R| match decode_response::<R>(&answer(&body)) {
                Err(Error::Api(e)) if e.code() == &known => {}
                Err(Error::RateLimited { .. }) if code == "ratelimited" => {}
                other => failures.push(format!("{name}: `{code}` decoded as {other:?}")),
            }
        );
    }
    for (example, body) in method["examples"].as_object().unwrap() {
        let what = format!("{name}: example `{example}`");
        with_method!(name, failures, |R| match (
            body["ok"].as_bool(),
            decode_response::<R>(&answer(body))
        ) {
            (Some(true), Ok(_)) => {}
            (Some(false), Err(Error::Api(e)))
                if Some(e.code().as_str()) == body["error"].as_str()
                    && !matches!(e.code(), ErrorCode::Other(_)) => {}
            (_, other) => failures.push(format!("{what} decoded as {other:?}")),
        });
    }
}

fn check(data: &Value) -> Failures {
    let mut failures = Failures::new();
    for method in data["methods"].as_array().unwrap() {
        check_constants(method, &mut failures);
        check_arguments(method, &mut failures);
        check_errors_and_examples(method, &mut failures);
    }
    check_renewal(data, &mut failures);
    failures
}

/// One renewal by a client whose rotating token is due, Slack answering `body`: the
/// request sent, what came of it, and the pairs handed to `on_renewal`.
fn renew_once(body: &Value) -> (HttpRequest, Result<(), Error>, Vec<TokenPair>) {
    let fake = FakeTransport::new();
    fake.push_response(answer(body))
        .push_json(200, r#"{"ok":true}"#);
    let stored = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let store = stored.clone();
    let token = RotatingToken::new(
        "xoxe.xoxp-1-conformance",
        "xoxe-1-conformance",
        "2141029472.691202649728",
        "conformance-client-secret",
    )
    .expires_at(SystemTime::now());
    let client = Client::builder(token)
        .retry(slack_sessions::RetryPolicy::none())
        .on_renewal(move |pair| {
            store.lock().unwrap().push(pair.clone());
            Ok::<(), std::io::Error>(())
        })
        .transport(fake.clone())
        .build()
        .unwrap();
    let result = client.send(&ResetRequest::new("W1")).map(drop);
    let request = fake.requests().remove(0);
    let pairs = stored.lock().unwrap().clone();
    (request, result, pairs)
}

fn check_renewal(data: &Value, failures: &mut Failures) {
    let oauth = data["oauth"].as_array().unwrap();
    let find = |name: &str| oauth.iter().find(|m| m["name"] == name);
    let Some(access) = find("oauth.v2.access") else {
        failures.push("oauth.v2.access is not in the data".into());
        return;
    };
    let rotation_example = &access["examples"]["success_with_token_rotation"];
    let (request, result, pairs) = renew_once(rotation_example);

    // The request: documented method, URL, arguments; id and secret by Basic auth.
    if Some(request.method().as_str()) != access["http_method"].as_str() {
        failures.push(format!("oauth.v2.access: sent with {}", request.method()));
    }
    if request.uri().path() != "/api/oauth.v2.access" {
        failures.push(format!("oauth.v2.access: sent to {}", request.uri()));
    }
    let documented: Vec<String> = names(access, "optional")
        .into_iter()
        .chain(names(access, "required"))
        .collect();
    let sent = form(&request);
    for name in sent.keys() {
        if !documented.contains(name) {
            failures.push(format!(
                "oauth.v2.access: `{name}` is not a documented argument"
            ));
        }
    }
    if sent.get("grant_type").map(String::as_str) != Some("refresh_token")
        || sent.get("refresh_token").map(String::as_str) != Some("xoxe-1-conformance")
    {
        failures.push(format!("oauth.v2.access: the form is {sent:?}"));
    }
    if sent.contains_key("client_secret") {
        failures.push("oauth.v2.access: the client secret went in the form".into());
    }
    match request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap())
    {
        Some(a) if a.starts_with("Basic ") => {}
        other => failures.push(format!(
            "oauth.v2.access: authorization {other:?}, not Basic"
        )),
    }

    // The example with rotation: the user token's pair, stored, then used.
    let user = &rotation_example["authed_user"];
    match (&result, pairs.first()) {
        (Ok(()), Some(pair))
            if Some(pair.access_token.secret()) == user["access_token"].as_str()
                && Some(pair.refresh_token.secret()) == user["refresh_token"].as_str()
                && Some(pair.expires_in.as_secs()) == user["expires_in"].as_u64() => {}
        other => failures.push(format!(
            "oauth.v2.access: example `success_with_token_rotation` gave {other:?}"
        )),
    }
    // The examples without rotation carry no refresh token: no pair to use.
    for (example, body) in access["examples"].as_object().unwrap() {
        let ok = body["ok"].as_bool() == Some(true);
        let rotating =
            body["authed_user"]["refresh_token"].is_string() || body["refresh_token"].is_string();
        if example == "success_with_token_rotation" || (ok && rotating) {
            continue;
        }
        let (_, result, pairs) = renew_once(body);
        let want = if ok {
            RenewalErrorKind::Failed
        } else {
            RenewalErrorKind::Refused
        };
        match result {
            Err(Error::Renewal(e)) if e.kind() == want && pairs.is_empty() => {}
            other => failures.push(format!(
                "oauth.v2.access: example `{example}` gave {other:?}, stored {}",
                pairs.len()
            )),
        }
    }

    // Every documented error of both methods: a named code, and a typed renewal error.
    for method in oauth {
        let name = method["name"].as_str().unwrap();
        for code in names(method, "errors") {
            let known = ErrorCode::from_wire(&code);
            if matches!(known, ErrorCode::Other(_)) {
                failures.push(format!("{name}: error `{code}` has no ErrorCode variant"));
                continue;
            }
            let (_, result, pairs) = renew_once(&json!({"ok": false, "error": code}));
            let typed = match &result {
                Err(Error::Renewal(e)) if known.is_transient() => {
                    e.kind() == RenewalErrorKind::Failed
                }
                Err(Error::Renewal(e)) => {
                    e.kind() == RenewalErrorKind::Refused && e.code() == Some(&known)
                }
                _ => false,
            };
            if !typed || !pairs.is_empty() {
                failures.push(format!("{name}: `{code}` on renewal gave {result:?}"));
            }
        }
    }
}

#[test]
fn the_crate_speaks_slacks_reference() {
    let data = data();
    let methods: Vec<&str> = data["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(methods.len(), 10, "{methods:?}");
    let failures = check(&data);
    assert!(
        failures.is_empty(),
        "{} broken fact(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn list_examples_decode_to_their_sessions() {
    let data = data();
    let list = data["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "admin.users.session.list")
        .unwrap();
    let body = &list["examples"]["success"];
    let page = decode_response::<ListRequest>(&answer(body))
        .unwrap()
        .response;
    let want = body["active_sessions"].as_array().unwrap();
    assert_eq!(page.active_sessions.len(), want.len());
    for (got, want) in page.active_sessions.iter().zip(want) {
        assert_eq!(got.session_id, want["session_id"].as_u64().unwrap());
        assert_eq!(got.user_id, want["user_id"].as_str().unwrap());
        assert_eq!(
            got.recent.as_ref().and_then(|r| r.ip.as_deref()),
            want["recent"]["ip"].as_str()
        );
    }
}

/// Where Slack disagrees with itself, the data keeps both figures and the crate follows
/// the text: 28800 s (8 hours) is the shortest `duration`, not the schema's 180.
#[test]
fn set_settings_duration_follows_the_text_not_the_schema() {
    let data = data();
    let set = data["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "admin.users.session.setSettings")
        .unwrap();
    let duration = &set["args"]["duration"];
    assert_eq!(duration["minimum"], 180);
    assert_eq!(duration["minimum_in_text"], 28800);
    assert_eq!(
        SetSettingsRequest::MIN_DURATION,
        Duration::from_secs(28_800)
    );
    let c = client();
    for (secs, ok) in [(180, false), (28_799, false), (28_800, true)] {
        let r = SetSettingsRequest::new(["W1"]).duration(Duration::from_secs(secs));
        assert_eq!(c.build_request(&r).is_ok(), ok, "{secs}");
    }
}

/// The checks are not vacuous: changing any one kind of fact in the data makes them fail.
#[test]
fn changing_any_fact_breaks_the_check() {
    type Mutation = (&'static str, fn(&mut Value));
    let mutations: &[Mutation] = &[
        ("a scope", |d| {
            d["methods"][0]["scopes"][0] = json!("admin.users:read")
        }),
        ("a tier", |d| d["methods"][4]["tier"] = json!(3)),
        ("a required argument added", |d| {
            let m = &mut d["methods"][0];
            m["required"]
                .as_array_mut()
                .unwrap()
                .push(json!("mobile_only"));
            m["optional"] = json!(["web_only"]);
        }),
        ("an optional argument made required", |d| {
            let m = &mut d["methods"][1];
            m["required"].as_array_mut().unwrap().push(json!("team_id"));
            m["optional"] = json!([]);
        }),
        ("a new optional argument", |d| {
            let m = &mut d["methods"][0];
            m["optional"]
                .as_array_mut()
                .unwrap()
                .push(json!("desktop_only"));
            m["args"]["desktop_only"] = json!({"type": "boolean"});
        }),
        ("an argument renamed", |d| {
            let m = &mut d["methods"][2];
            m["optional"][2] = json!("page_size");
            let spec = m["args"]["limit"].take();
            m["args"]["page_size"] = spec;
            m["args"].as_object_mut().unwrap().remove("limit");
        }),
        ("an argument's type", |d| {
            d["methods"][1]["args"]["session_id"]["type"] = json!("string")
        }),
        ("a maximum lowered", |d| {
            d["methods"][2]["args"]["limit"]["maximum"] = json!(999)
        }),
        ("a maximum raised", |d| {
            d["methods"][2]["args"]["limit"]["maximum"] = json!(1001)
        }),
        ("a minimum raised", |d| {
            d["methods"][5]["args"]["duration"]["minimum_in_text"] = json!(28801)
        }),
        ("maxItems lowered", |d| {
            d["methods"][3]["args"]["user_ids"]["maxItems"] = json!(999)
        }),
        ("a pairing dropped", |d| {
            let args = &mut d["methods"][2]["args"];
            args["user_id"].as_object_mut().unwrap().remove("requires");
            args["team_id"].as_object_mut().unwrap().remove("requires");
        }),
        ("an error code", |d| {
            d["methods"][2]["errors"][0] = json!("no_such_code_yet")
        }),
        ("an example's error", |d| {
            d["methods"][3]["examples"]["error"]["error"] = json!("not_authed_at_all")
        }),
        ("an oauth error code", |d| {
            d["oauth"][1]["errors"][0] = json!("no_such_oauth_code")
        }),
        ("the rotation example's expiry field renamed", |d| {
            let user = &mut d["oauth"][0]["examples"]["success_with_token_rotation"]["authed_user"];
            let secs = user["expires_in"].take();
            user["expires_after"] = secs;
            user.as_object_mut().unwrap().remove("expires_in");
        }),
        ("an oauth argument dropped", |d| {
            let m = &mut d["oauth"][0];
            let optional: Vec<Value> = m["optional"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| *a != "grant_type")
                .cloned()
                .collect();
            m["optional"] = json!(optional);
        }),
        ("a method name", |d| {
            d["methods"][6]["name"] = json!("admin.users.session.clear")
        }),
    ];
    let original = data();
    assert!(check(&original).is_empty());
    for (what, mutate) in mutations {
        let mut changed = original.clone();
        mutate(&mut changed);
        assert_ne!(changed, original, "{what}: the mutation changed nothing");
        assert!(
            !check(&changed).is_empty(),
            "changing {what} went unnoticed"
        );
    }
}

/// The targeting fields of `admin.users.list` decode from Slack's own example, with the
/// example's values; the ones it leaves out (`last_active_ts`, `roles`) stay `None`.
#[test]
fn admin_users_list_example_decodes_to_its_targeting_fields() {
    let data = data();
    let method = data["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "admin.users.list")
        .unwrap();
    let body = &method["examples"]["success"];
    let page = decode_response::<AdminUsersListRequest>(&answer(body))
        .unwrap()
        .response;
    let (got, want) = (&page.users[0], &body["users"][0]);
    assert_eq!(got.has_2fa, want["has_2fa"].as_bool());
    assert_eq!(got.has_sso, want["has_sso"].as_bool());
    assert_eq!(got.deactivated_ts, want["deactivated_ts"].as_i64());
    assert_eq!(got.expiration_ts, want["expiration_ts"].as_i64());
    assert_eq!(got.expiration_ts, Some(0));
    assert!(want.get("last_active_ts").is_none() && got.last_active_ts.is_none());
    assert!(want.get("roles").is_none() && got.roles.is_none());
    assert_eq!(got.workspaces, ["T123"]);
}
