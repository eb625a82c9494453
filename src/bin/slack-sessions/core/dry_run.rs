//! Dry runs: what would be sent, with nothing written. A dry run makes no request at all,
//! except the read calls that resolve email addresses, which it makes only when a token
//! is given (without one, an address is shown as "to be resolved", never as if it were
//! the id that would be sent).

use serde_json::Value;
use slack_sessions::{Client, HttpRequest, LookupByEmailRequest, SlackMethod, UreqTransport};

use super::{json, print, say, Failure, Global};

/// User ids as a command will send them, and what became of each email address given.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    /// The ids, in the order given; an address a dry run did not look up stands here as a
    /// placeholder (see [`Resolved::shown`]).
    pub(crate) ids: Vec<String>,
    /// Each address given, and the id it resolved to (`None`: not looked up, no token).
    pub(crate) emails: Vec<(String, Option<String>)>,
}

/// Whether a usable token was given (a dry run needs one for any read call).
pub(crate) fn has_token(global: &Global) -> bool {
    global
        .token
        .as_deref()
        .is_some_and(|t| !t.trim().is_empty())
}

const PLACEHOLDER: &str = "UNRESOLVED";

impl Resolved {
    /// Ids as given, with every email address turned into its user's id before anything
    /// is written. A dry run without a token looks nothing up and holds a placeholder.
    pub(crate) fn new(
        client: &Client<UreqTransport>,
        inputs: &[String],
        global: &Global,
    ) -> Result<Self, Failure> {
        let is_email = |i: &String| i.contains('@');
        if !inputs.iter().any(is_email) {
            return Ok(Resolved {
                ids: inputs.to_vec(),
                emails: Vec::new(),
            });
        }
        if global.dry_run && !has_token(global) {
            let mut resolved = Resolved::default();
            for input in inputs {
                if is_email(input) {
                    resolved.emails.push((input.clone(), None));
                    resolved
                        .ids
                        .push(format!("{PLACEHOLDER}{}", resolved.emails.len()));
                } else {
                    resolved.ids.push(input.clone());
                }
            }
            return Ok(resolved);
        }
        let ids = client.resolve_users(inputs)?;
        let emails = inputs
            .iter()
            .zip(&ids)
            .filter(|(input, _)| is_email(input))
            .map(|(input, id)| (input.clone(), Some(id.clone())))
            .collect();
        Ok(Resolved { ids, emails })
    }

    /// The addresses left unresolved (a dry run without a token).
    pub(crate) fn unresolved(&self) -> impl Iterator<Item = &str> {
        self.emails
            .iter()
            .filter(|(_, id)| id.is_none())
            .map(|(e, _)| e.as_str())
    }

    /// The placeholder's email, if `id` is one.
    pub(crate) fn email_of(&self, id: &str) -> Option<&str> {
        let n: usize = id.strip_prefix(PLACEHOLDER)?.parse().ok()?;
        self.emails
            .get(n.checked_sub(1)?)
            .filter(|(_, id)| id.is_none())
            .map(|(e, _)| e.as_str())
    }

    /// `text` with each placeholder written as `<id of ADDRESS>`.
    pub(crate) fn shown(&self, text: &str) -> String {
        let mut text = text.to_owned();
        // Highest first, so that UNRESOLVED1 does not eat the start of UNRESOLVED12.
        for (n, (email, id)) in self.emails.iter().enumerate().rev() {
            if id.is_none() {
                text = text.replace(
                    &format!("{PLACEHOLDER}{}", n + 1),
                    &format!("<id of {email}>"),
                );
            }
        }
        text
    }

    /// `value` with each placeholder id replaced by `null`.
    pub(crate) fn json(&self, value: Value) -> Value {
        match value {
            Value::String(s) if self.email_of(&s).is_some() => Value::Null,
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.json(v)).collect()),
            Value::Object(map) => {
                Value::Object(map.into_iter().map(|(k, v)| (k, self.json(v))).collect())
            }
            other => other,
        }
    }

    /// The addresses as a JSON array: `{"email", "user_id"}` (`null` when not looked up).
    pub(crate) fn emails_json(&self) -> Value {
        self.emails
            .iter()
            .map(|(email, id)| serde_json::json!({"email": email, "user_id": id}))
            .collect()
    }

    /// Says on stderr what became of each address.
    pub(crate) fn say(&self) {
        for (email, id) in &self.emails {
            match id {
                Some(id) => say(&format!(
                    "{email} is {id} (looked up with {}, a read call)",
                    lookup_method(self.emails.len())
                )),
                None => say(&format!(
                    "{email} is an email address: it will be resolved to a user id first ({}); without a token a dry run does not look it up, and shows it as <id of {email}>",
                    lookup_method(self.emails.len())
                )),
            }
        }
    }
}

/// The read call that resolves `n` addresses (the library's rule: up to 10 one by one).
fn lookup_method(n: usize) -> String {
    if n <= 10 {
        format!("{} per address", LookupByEmailRequest::NAME)
    } else {
        "one walk of admin.users.list".to_owned()
    }
}

/// The request as a JSON object: method, url, headers (the token redacted), body.
pub(crate) fn request_json(request: &HttpRequest, resolved: &Resolved) -> Value {
    let headers: serde_json::Map<String, Value> = request
        .headers()
        .iter()
        .map(|(name, value)| (name.to_string(), Value::String(header_shown(name, value))))
        .collect();
    serde_json::json!({
        "method": request.method().as_str(),
        "url": request.uri().to_string(),
        "headers": headers,
        "body": resolved.shown(&String::from_utf8_lossy(request.body())),
    })
}

fn header_shown(name: &http::HeaderName, value: &http::HeaderValue) -> String {
    if name == http::header::AUTHORIZATION {
        "Bearer [redacted]".to_owned()
    } else {
        String::from_utf8_lossy(value.as_bytes()).into_owned()
    }
}

/// The request as it would go on the wire, with the token replaced.
pub(crate) fn request_text(request: &HttpRequest, resolved: &Resolved) -> String {
    let mut text = format!("{} {} HTTP/1.1\n", request.method(), request.uri());
    for (name, value) in request.headers() {
        text.push_str(&format!("{name}: {}\n", header_shown(name, value)));
    }
    text.push_str(&format!("content-length: {}\n\n", request.body().len()));
    text.push_str(&resolved.shown(&String::from_utf8_lossy(request.body())));
    text
}

/// Prints one call's dry run: the request (text, or a JSON object with `dry_run: true`
/// and `fields`), and says on stderr what was resolved and that nothing was sent.
pub(crate) fn show_call<R: SlackMethod>(
    client: &Client<UreqTransport>,
    request: &R,
    resolved: &Resolved,
    global: &Global,
    fields: Value,
) -> Result<(), Failure> {
    let http_request = client.build_request(request)?;
    resolved.say();
    if global.json {
        json::Object::ok()
            .field("dry_run", true)
            .field("method", R::NAME)
            .fields(resolved.json(fields))
            .field("emails", resolved.emails_json())
            .field("request", request_json(&http_request, resolved))
            .print()?;
    } else {
        print(&request_text(&http_request, resolved))?;
    }
    let looked_up = resolved.emails.iter().any(|(_, id)| id.is_some());
    say(&format!(
        "dry run: nothing was sent{}",
        if looked_up {
            " but the address lookups above"
        } else {
            ""
        }
    ));
    Ok(())
}
