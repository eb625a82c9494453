//! Removing the token from an answer before anything of it is parsed or kept.
//!
//! A misconfigured API URL, a proxy or a compromised middlebox can answer with the
//! request echoed back, the token in it. [`Scrubber::body`] and [`Scrubber::header`]
//! replace every trace of the token with `[redacted]`, so errors, metadata, warnings,
//! messages, cursors, logs and reports hold no token by construction.
//!
//! What counts as a trace, wherever it stands:
//! - the token itself;
//! - the token written with any of its characters escaped, as JSON (`\u002d`, `\/`) or
//!   percent-encoding (`%2D`) write them, in any mix;
//! - any *prefix* of it of [`MIN_PIECE`] characters or more (what a cut leaves: a body
//!   snippet, a truncated body, a header cut short), and any *suffix* of that length (the
//!   other half of a token split in two).
//!
//! Why 8: shorter pieces are not secret and are everywhere (`xoxp-` is every user token's
//! prefix, short digit runs are ids and timestamps), so scrubbing them would mangle honest
//! answers; a run of 8 or more characters that begins or ends exactly like the token is
//! not a coincidence. The token's prefix is the fixed `xoxp-` plus at least 3 characters of
//! the secret; its suffix is the random tail.

use std::borrow::Cow;

/// The shortest prefix or suffix of the token that is scrubbed; see the module docs.
pub(crate) const MIN_PIECE: usize = 8;

const REDACTED: &[u8] = b"[redacted]";

/// Scrubs one token out of answers.
#[derive(Clone)]
pub(crate) struct Scrubber {
    /// The token's bytes (tokens are ASCII: `Token::check` refuses anything else).
    token: Box<[u8]>,
    /// For each byte value, where in the token a trace starting with it could begin:
    /// position 0, or a position that leaves at least [`MIN_PIECE`] bytes to the end.
    starts_at: Box<[Vec<usize>]>,
    /// Bytes that can begin a trace: the token's own bytes, `\` and `%`.
    first: [bool; 256],
    /// Bytes that start a quick-check window: the first bytes of the token's first and
    /// last [`MIN_PIECE`] bytes, `\` and `%`.
    quick: [bool; 256],
}

impl Scrubber {
    /// A scrubber for `token`; `None` for a token too short to scrub safely (under
    /// [`MIN_PIECE`] characters, which [`Token`](crate::Token) never is in practice).
    pub(crate) fn new(token: &str) -> Option<Self> {
        if token.len() < MIN_PIECE || !token.is_ascii() {
            return None;
        }
        let bytes = token.as_bytes();
        let mut starts_at = vec![Vec::new(); 256];
        for (k, &b) in bytes.iter().enumerate().take(bytes.len() - MIN_PIECE + 1) {
            starts_at[usize::from(b)].push(k);
        }
        let mut first = [false; 256];
        for (b, ks) in starts_at.iter().enumerate() {
            first[b] = !ks.is_empty();
        }
        first[usize::from(b'\\')] = true;
        first[usize::from(b'%')] = true;
        let mut quick = [false; 256];
        for b in [bytes[0], bytes[bytes.len() - MIN_PIECE], b'\\', b'%'] {
            quick[usize::from(b)] = true;
        }
        Some(Scrubber {
            token: bytes.into(),
            starts_at: starts_at.into(),
            first,
            quick,
        })
    }

    /// Whether `text` may hold a trace: every trace holds the token's first or last
    /// [`MIN_PIECE`] bytes as they are, or an escape (`\`, `%`). One pass, a table lookup
    /// a byte: what an honest answer costs.
    fn may_hold_a_trace(&self, text: &[u8]) -> bool {
        let head = &self.token[..MIN_PIECE];
        let tail = &self.token[self.token.len() - MIN_PIECE..];
        text.iter().enumerate().any(|(i, &b)| {
            self.quick[usize::from(b)]
                && (b == b'\\'
                    || b == b'%'
                    || text[i..].starts_with(head)
                    || text[i..].starts_with(tail))
        })
    }

    /// `text` with every trace of the token replaced; borrowed when there was none.
    pub(crate) fn bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.may_hold_a_trace(text) {
            return Cow::Borrowed(text);
        }
        let spans = self.find(text);
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = Vec::with_capacity(text.len());
        let mut at = 0;
        for (start, end) in spans {
            out.extend_from_slice(&text[at..start]);
            out.extend_from_slice(REDACTED);
            at = end;
        }
        out.extend_from_slice(&text[at..]);
        Cow::Owned(out)
    }

    /// A header value with every trace of the token replaced.
    pub(crate) fn header(&self, value: &http::HeaderValue) -> http::HeaderValue {
        match self.bytes(value.as_bytes()) {
            Cow::Borrowed(_) => value.clone(),
            // Only visible ASCII was added, so the value stays a valid header value.
            Cow::Owned(v) => http::HeaderValue::from_bytes(&v)
                .unwrap_or_else(|_| http::HeaderValue::from_static("[redacted]")),
        }
    }

    /// The byte spans to redact, sorted and merged.
    fn find(&self, text: &[u8]) -> Vec<(usize, usize)> {
        let n = self.token.len();
        let mut spans: Vec<(usize, usize)> = Vec::new();
        let mut i = 0;
        while i < text.len() {
            if !self.first[usize::from(text[i])] {
                i += 1;
                continue;
            }
            let Some((b, _)) = unit(text, i) else { break };
            // The longest run from here that is the token from position k onwards, for
            // k = 0 (a prefix, or the whole token) or any k whose run reaches the end (a
            // suffix). Keep the longest that qualifies.
            let mut best_end = None;
            for &k in &self.starts_at[usize::from(b)] {
                let (matched, end) = self.match_from(text, i, k);
                let qualifies = matched >= MIN_PIECE && (k == 0 || k + matched == n);
                if qualifies && best_end.is_none_or(|e| end > e) {
                    best_end = Some(end);
                }
            }
            match best_end {
                Some(end) => {
                    match spans.last_mut() {
                        Some(last) if last.1 >= i => last.1 = last.1.max(end),
                        _ => spans.push((i, end)),
                    }
                    i = end;
                }
                None => i += 1,
            }
        }
        spans
    }

    /// How many token characters, from `token[k]` on, `text` spells from byte `at`, and
    /// the byte where that run ends.
    fn match_from(&self, text: &[u8], mut at: usize, k: usize) -> (usize, usize) {
        let mut matched = 0;
        for &want in &self.token[k..] {
            match unit(text, at) {
                Some((got, len)) if got == want => {
                    matched += 1;
                    at += len;
                }
                _ => break,
            }
        }
        (matched, at)
    }
}

/// The byte that the text at `at` stands for, and how many bytes say it: a JSON escape
/// (`\u00XX`, `\/`, `\\`), a percent-encoding (`%XX`), or the byte itself.
fn unit(text: &[u8], at: usize) -> Option<(u8, usize)> {
    let b = *text.get(at)?;
    let rest = &text[at..];
    match b {
        b'\\' => match rest.get(1) {
            Some(b'u') if rest.len() >= 6 && &rest[2..4] == b"00" => {
                Some((hex2(rest[4], rest[5])?, 6))
            }
            Some(&c @ (b'/' | b'\\' | b'"')) => Some((c, 2)),
            _ => Some((b, 1)),
        },
        b'%' if rest.len() >= 3 => match hex2(rest[1], rest[2]) {
            Some(c) => Some((c, 3)),
            None => Some((b, 1)),
        },
        _ => Some((b, 1)),
    }
}

fn hex2(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    Some(digit(hi)? << 4 | digit(lo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "xoxp-LEAKCANARY-1234";

    fn scrub(text: &str) -> String {
        String::from_utf8(
            Scrubber::new(T)
                .unwrap()
                .bytes(text.as_bytes())
                .into_owned(),
        )
        .unwrap()
    }

    #[test]
    fn whole_escaped_and_encoded_tokens_go() {
        for (text, want) in [
            (
                r#"{"error":"xoxp-LEAKCANARY-1234"}"#,
                r#"{"error":"[redacted]"}"#,
            ),
            (
                r#"{"e":"xoxp\u002dLEAKCANARY\u002d1234"}"#,
                r#"{"e":"[redacted]"}"#,
            ),
            ("Bearer%20xoxp%2DLEAKCANARY%2d1234", "Bearer%20[redacted]"),
            (r#"\u0078oxp-LEAKCANARY-1234!"#, "[redacted]!"),
            (
                "a xoxp-LEAKCANARY-1234xoxp-LEAKCANARY-1234 b",
                "a [redacted] b",
            ),
        ] {
            assert_eq!(scrub(text), want, "{text}");
        }
    }

    #[test]
    fn pieces_of_8_or_more_go_shorter_ones_stay() {
        // A cut leaves a prefix; a split leaves a suffix too.
        assert_eq!(scrub("…xoxp-LEA"), "…[redacted]");
        assert_eq!(scrub("xoxp-LE and"), "xoxp-LE and");
        assert_eq!(scrub("[ARY-1234]"), "[[redacted]]");
        assert_eq!(scrub("RY-1234"), "RY-1234");
        // The middle of the token alone is not a prefix or a suffix.
        assert_eq!(scrub("LEAKCANARY"), "LEAKCANARY");
        // Honest text is untouched and not copied.
        let honest = br#"{"ok":true,"user_id":"W1234","warning":"xoxp-only"}"#;
        assert!(matches!(
            Scrubber::new(T).unwrap().bytes(honest),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn every_split_of_the_token_loses_its_long_half() {
        for cut in 1..T.len() {
            let text = format!("{{\"a\":\"{}\",\"b\":\"{}\"}}", &T[..cut], &T[cut..]);
            let out = scrub(&text);
            for w in T.as_bytes().windows(MIN_PIECE) {
                let w = std::str::from_utf8(w).unwrap();
                assert!(!out.contains(w), "cut {cut}: {out} contains {w}");
            }
        }
    }

    #[test]
    fn header_values_stay_valid() {
        let s = Scrubber::new(T).unwrap();
        let v = http::HeaderValue::from_static("https://evil.example/?t=xoxp-LEAKCANARY-1234");
        assert_eq!(s.header(&v), "https://evil.example/?t=[redacted]");
    }
}
