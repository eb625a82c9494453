//! The Slack token, kept out of every `Debug` and `Display` output.

use std::fmt;

/// A Slack token (`xoxp-…`, `xoxb-…`, …), the secret every call is authorised with.
///
/// `Token` exists so the secret cannot leak by accident: its `Debug` and `Display`
/// output is always `Token([redacted])`, and nothing in this crate derives `Debug`
/// over the raw string. The only way to read it back is [`Token::secret`], a name
/// that stands out in review.
///
/// `&str` and `String` convert into a `Token`, so every function that takes a token
/// accepts `impl Into<Token>`.
///
/// ```
/// use slack_sessions::Token;
///
/// let token = Token::from("xoxp-test");
/// assert_eq!(format!("{token:?}"), "Token([redacted])");
/// assert_eq!(token.to_string(), "[redacted]");
/// assert_eq!(token.secret(), "xoxp-test");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token string. Nothing is checked here: the client checks the token
    /// when it is built (see [`ClientBuilder::build`](crate::ClientBuilder::build)).
    pub fn new(secret: impl Into<String>) -> Self {
        Token(secret.into())
    }

    /// The raw token. Handle with care: this is the one place the secret comes out.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// Checks that the token can go into an `Authorization` header as is.
    ///
    /// The message never contains the token itself, only what is wrong with it.
    pub(crate) fn check(&self) -> Result<(), &'static str> {
        let s = self.0.as_str();
        if s.is_empty() {
            return Err("the token is empty");
        }
        if s.chars().any(|c| c.is_whitespace()) {
            return Err(
                "the token contains whitespace (a pasted newline or space?); \
                 Slack tokens never do",
            );
        }
        if s.chars().any(|c| c.is_control()) {
            return Err("the token contains a control character");
        }
        if !s.is_ascii() {
            return Err("the token contains non-ASCII characters; Slack tokens never do");
        }
        Ok(())
    }
}

impl Token {
    /// The shortest token worth no warning. Slack's tokens are 50 characters or more; a
    /// shorter one is a test value or a truncated paste. Any token is scrubbed out of
    /// answers whole, whatever its length, and every run of 8 of its characters too.
    pub const MIN_PLAUSIBLE_LEN: usize = 16;

    /// Why the token cannot be Slack's while still being usable (too short), for a
    /// warning; `None` when it looks plausible. Never contains the token.
    pub fn implausible(&self) -> Option<String> {
        let n = self.0.chars().count();
        (n > 0 && n < Self::MIN_PLAUSIBLE_LEN).then(|| {
            format!(
                "the token is only {n} characters long; Slack's tokens are far longer (a truncated paste?)"
            )
        })
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl From<&str> for Token {
    fn from(s: &str) -> Self {
        Token(s.to_owned())
    }
}

impl From<String> for Token {
    fn from(s: String) -> Self {
        Token(s)
    }
}

impl From<&String> for Token {
    fn from(s: &String) -> Self {
        Token(s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_are_redacted() {
        let t = Token::from("xoxp-secret-value");
        assert!(!format!("{t:?}").contains("secret"));
        assert!(!format!("{t}").contains("secret"));
        assert!(!format!("{t:#?}").contains("secret"));
    }

    #[test]
    fn check_rejects_unusable_tokens_without_echoing_them() {
        for bad in [
            "",
            "xoxp-a\n",
            "xoxp a",
            "xoxp-\u{7f}",
            "xoxp-\r\nX-Evil: 1",
            "xoxp-é",
        ] {
            let msg = Token::from(bad).check().unwrap_err();
            if !bad.is_empty() {
                assert!(!msg.contains(bad), "{msg}");
            }
        }
        assert!(Token::from("xoxp-test").check().is_ok());
    }

    #[test]
    fn a_short_token_is_flagged_without_being_echoed() {
        let why = Token::from("xoxp-ab").implausible().unwrap();
        assert!(
            why.contains("7 characters") && !why.contains("xoxp-ab"),
            "{why}"
        );
        assert!(Token::from("xoxp-1234-5678-abcdefabcdef")
            .implausible()
            .is_none());
    }
}
