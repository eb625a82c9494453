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
}
