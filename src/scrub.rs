//! Removing every secret the client holds from an answer before anything of it is parsed
//! or kept.
//!
//! A misconfigured API URL, a proxy or a compromised middlebox can answer with the
//! request echoed back, the token in it. [`Scrubber::bytes`] and [`Scrubber::header`]
//! replace every trace of every secret with `[redacted]`, so errors, metadata, warnings,
//! messages, cursors, logs and reports hold no secret by construction.
//!
//! What counts as a trace, wherever it stands:
//! - any run of [`MIN_PIECE`] (8) or more consecutive characters of a secret, wherever in
//!   the secret it starts (a prefix, a suffix, a piece from the middle, the whole);
//! - a secret shorter than [`MIN_PIECE`], whole;
//! - the same written with any of its characters escaped, as JSON (`\u002d`, `\/`) or
//!   percent-encoding (`%2D`) write them, in any mix.
//!
//! How: every window of 8 characters of every secret is a 64-bit key (the 8 bytes
//! themselves), kept sorted with a 65,536-bit filter in front. The answer is read as it
//! is, and again with its JSON escapes decoded (when it holds a `\`), its percent
//! escapes decoded (when it holds a `%`), and both (when it holds both); the same again
//! skipping characters a terminal does not show (when it may hold one); and the text its
//! escapes decode to, read the same way (escapes that spell escapes, up to 3 deep): a
//! constant number of passes, each rolling the last 8 characters into a key: one shift, one filter probe a
//! character, and a binary search on the rare probe that hits. Time is linear in the
//! answer, whatever it holds: a malformed escape (`\u00zz`, a lone `\`, a `%` without two
//! hex digits) is read as the characters it is, never as the end of the scan. Every run
//! of 8 or more characters of a secret is covered by the windows inside it, so scrubbing
//! each matching window (merging those that overlap or touch) scrubs the whole run.
//!
//! Why 8: shorter pieces are not secret and are everywhere (`xoxp-` is every user token's
//! prefix, short digit runs are ids and timestamps), so scrubbing them would mangle honest
//! answers; a run of 8 characters that is also in a 40-character random secret is not a
//! coincidence. The price: an honest answer that happens to hold 8 characters of the
//! token in a row (odds of about one in 10^14 a window for the random part) loses them.
//!
//! [`Secrets`] is what a client holds: the set of secrets, which can grow while the
//! client lives (a rotated token: the old one, the new one, the refresh token and the
//! client secret are all scrubbed), read without contention by every call.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// The shortest piece of a secret that is scrubbed; see the module docs.
pub(crate) const MIN_PIECE: usize = 8;

const REDACTED: &[u8] = b"[redacted]";

/// [`Scrubber`]'s byte classes.
const POSSIBLE: u8 = 1;
const BACKSLASH: u8 = 2;
const PERCENT: u8 = 4;
/// A byte that is, or starts, a character a terminal does not show (C0 controls, DEL,
/// and the UTF-8 lead bytes of C1, U+00AD, U+200B.., U+2060.., U+FEFF).
const INVISIBLE: u8 = 8;

/// How many times the decoding passes are applied to their own output (`\u0025`, `\\u00`).
const MAX_DEPTH: u32 = 3;

/// Bits of the filter in front of each window table.
const FILTER_BITS: u32 = 16;

/// Every secret a client holds, scrubbed out of every answer: the access token, and,
/// once issue 19's rotating tokens land, the old tokens, the refresh token and the
/// client secret.
///
/// Cheap to read from many threads ([`scrubber`](Self::scrubber) is a read lock and an
/// `Arc` clone); [`add`](Self::add) rebuilds the tables (microseconds) and swaps them in.
/// A secret once added is never removed: an old token may still come back in an answer.
///
/// ```ignore
/// // In the client, when a token is rotated:
/// self.secrets.add(new_token.secret());
/// self.secrets.add(refresh_token.secret());
/// // Every decode then scrubs against all of them:
/// let scrubber = self.secrets.scrubber();
/// ```
pub(crate) struct Secrets {
    current: RwLock<Arc<Scrubber>>,
}

impl Secrets {
    /// A set holding `secrets` (empty strings are ignored).
    pub(crate) fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Self {
        let secrets = secrets.into_iter().map(|s| s.as_bytes().into()).collect();
        Secrets {
            current: RwLock::new(Arc::new(Scrubber::from_secrets(secrets))),
        }
    }

    /// Adds `secret` to the set (nothing happens for an empty one or one already held).
    /// Every answer decoded after this returns is scrubbed of it too.
    #[allow(dead_code)] // The rotating-token work (issue 19) calls it.
    pub(crate) fn add(&self, secret: &str) {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if secret.is_empty() || current.secrets.iter().any(|s| **s == *secret.as_bytes()) {
            return;
        }
        let mut secrets = current.secrets.clone();
        secrets.push(secret.as_bytes().into());
        *current = Arc::new(Scrubber::from_secrets(secrets));
    }

    /// The scrubber for every secret held now.
    pub(crate) fn scrubber(&self) -> Arc<Scrubber> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Secrets({} held, [redacted])",
            self.scrubber().secrets.len()
        )
    }
}

/// Scrubs a fixed set of secrets out of answers; see the module docs.
#[derive(Clone)]
pub(crate) struct Scrubber {
    /// The secrets, as given (kept to rebuild the tables when one is added).
    secrets: Vec<Box<[u8]>>,
    /// One table for each window length in use: 8 for every secret of 8 bytes or more,
    /// the whole length for each shorter one.
    tables: Vec<Windows>,
    /// For each byte: [`POSSIBLE`] when a secret holds it (a run of other bytes cannot
    /// be part of a window), [`BACKSLASH`] or [`PERCENT`] when it starts an escape.
    class: [u8; 256],
    /// The shortest window length in use.
    shortest: usize,
}

/// The windows of one length `len`: their keys sorted, and a filter in front.
#[derive(Clone)]
struct Windows {
    len: usize,
    /// Keeps the last `len` bytes of a rolling key.
    mask: u64,
    keys: Vec<u64>,
    filter: Box<[u64]>,
}

impl Windows {
    fn new(len: usize) -> Self {
        Windows {
            len,
            mask: if len >= 8 {
                u64::MAX
            } else {
                (1u64 << (8 * len)) - 1
            },
            keys: Vec::new(),
            filter: vec![0; 1 << (FILTER_BITS - 6)].into_boxed_slice(),
        }
    }

    fn slot(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FILTER_BITS)) as usize
    }

    fn insert(&mut self, window: &[u8]) {
        let key = window.iter().fold(0u64, |k, &b| (k << 8) | u64::from(b));
        self.keys.push(key);
        let slot = Self::slot(key);
        self.filter[slot >> 6] |= 1 << (slot & 63);
    }

    fn contains(&self, key: u64) -> bool {
        let key = key & self.mask;
        let slot = Self::slot(key);
        self.filter[slot >> 6] & (1 << (slot & 63)) != 0 && self.keys.binary_search(&key).is_ok()
    }
}

impl Scrubber {
    /// A scrubber for one secret (tests).
    #[cfg(test)]
    pub(crate) fn new(secret: &str) -> Self {
        Scrubber::from_secrets(vec![secret.as_bytes().into()])
    }

    fn from_secrets(secrets: Vec<Box<[u8]>>) -> Self {
        let mut tables: Vec<Windows> = Vec::new();
        for secret in secrets.iter().filter(|s| !s.is_empty()) {
            let len = secret.len().min(MIN_PIECE);
            let table = match tables.iter().position(|t| t.len == len) {
                Some(i) => &mut tables[i],
                None => {
                    tables.push(Windows::new(len));
                    tables.last_mut().expect("just pushed")
                }
            };
            for window in secret.windows(len) {
                table.insert(window);
            }
        }
        for table in &mut tables {
            table.keys.sort_unstable();
            table.keys.dedup();
        }
        let mut class = [0u8; 256];
        for &b in secrets.iter().flat_map(|s| s.iter()) {
            class[usize::from(b)] |= POSSIBLE;
        }
        class[usize::from(b'\\')] |= BACKSLASH;
        class[usize::from(b'%')] |= PERCENT;
        for b in (0..0x20).chain([0x7F, 0xC2, 0xE2, 0xEF]) {
            class[b] |= INVISIBLE;
        }
        let shortest = tables.iter().map(|t| t.len).min().unwrap_or(usize::MAX);
        Scrubber {
            secrets,
            tables,
            class,
            shortest,
        }
    }

    /// `text` with every trace of every secret replaced; borrowed when there was none.
    pub(crate) fn bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        if text.len() < self.shortest {
            return Cow::Borrowed(text);
        }
        let spans = self.spans(text, 1);
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

    /// The spans of `text` that are traces of a secret: read raw, with its escapes
    /// decoded, skipping invisible characters (when it holds any), and, up to
    /// [`MAX_DEPTH`], the same again on the text its escapes decode to. A constant number
    /// of linear passes.
    fn spans(&self, text: &[u8], depth: u32) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        let seen = self.scan_raw(text, &mut spans);
        let json = seen & BACKSLASH != 0;
        let percent = seen & PERCENT != 0;
        // Invisible characters may be written raw or as escapes.
        let invisible = seen & INVISIBLE != 0 || json || percent;
        for (decode, needed) in [
            (Decode::JSON, json),
            (Decode::PERCENT, percent),
            (Decode::BOTH, json && percent),
        ] {
            if needed {
                let mut more = Vec::new();
                self.scan(text, decode, false, &mut more);
                spans = merge(spans, more);
            }
        }
        if invisible {
            for (decode, needed) in [
                (Decode::NONE, true),
                (Decode::HIDDEN_ONLY, json || percent),
                (Decode::JSON, json),
                (Decode::PERCENT, percent),
                (Decode::BOTH, json && percent),
            ] {
                if needed {
                    let mut more = Vec::new();
                    self.scan(text, decode, true, &mut more);
                    spans = merge(spans, more);
                }
            }
        }
        if depth < MAX_DEPTH && (json || percent) {
            // Escapes that spell escapes: decode once, and read the result again.
            let mut decoded = Vec::with_capacity(text.len());
            let mut starts: Vec<u32> = Vec::with_capacity(text.len());
            let mut at = 0;
            while at < text.len() {
                let (b, len) = unit(text, at, Decode::BOTH);
                decoded.push(match b {
                    HIDDEN => 0x7F,
                    b => b as u8,
                });
                starts.push(at as u32);
                at += len;
            }
            if decoded.len() < text.len() && decoded.iter().any(|&b| b == b'\\' || b == b'%') {
                let inner = self.spans(&decoded, depth + 1);
                let end = |i: usize| starts.get(i).map_or(text.len(), |&s| s as usize);
                let more = inner
                    .into_iter()
                    .map(|(s, e)| (starts[s] as usize, end(e)))
                    .collect();
                spans = merge(spans, more);
            }
        }
        spans
    }

    /// A header value with every trace of every secret replaced.
    pub(crate) fn header(&self, value: &http::HeaderValue) -> http::HeaderValue {
        match self.bytes(value.as_bytes()) {
            Cow::Borrowed(_) => value.clone(),
            // Only visible ASCII was added, so the value stays a valid header value.
            Cow::Owned(v) => http::HeaderValue::from_bytes(&v)
                .unwrap_or_else(|_| http::HeaderValue::from_static("[redacted]")),
        }
    }

    /// Adds to `spans` (sorted, merged) the byte spans of `text`, read byte by byte, that
    /// are a window of a secret: the common case, kept cheap (a table lookup a byte, the
    /// window tables only after a run of bytes that secrets hold). Also says whether
    /// `text` holds a backslash and a percent sign (whether the decoding passes are
    /// needed).
    fn scan_raw(&self, text: &[u8], spans: &mut Vec<(usize, usize)>) -> u8 {
        let mut key = 0u64;
        let mut run = 0usize;
        let mut seen = 0u8;
        for (i, &b) in text.iter().enumerate() {
            let class = self.class[usize::from(b)];
            seen |= class;
            if class & POSSIBLE == 0 {
                run = 0;
                continue;
            }
            key = (key << 8) | u64::from(b);
            run += 1;
            if run >= self.shortest {
                for table in &self.tables {
                    if run >= table.len && table.contains(key) {
                        push_span(spans, i + 1 - table.len, i + 1);
                    }
                }
            }
        }
        seen
    }

    /// Adds to `spans` (sorted, merged) the byte spans of `text` that spell a window of a
    /// secret, reading the escapes `decode` names as the characters they stand for.
    /// With `skip`, characters a terminal does not show (and ANSI escape sequences) are
    /// read as if absent.
    fn scan(&self, text: &[u8], decode: Decode, skip: bool, spans: &mut Vec<(usize, usize)>) {
        let mut key = 0u64;
        // Where each of the last 8 characters began, by character number modulo 8.
        let mut starts = [0usize; MIN_PIECE];
        let mut run = 0usize;
        let mut at = 0;
        while at < text.len() {
            let (b, len) = match unit(text, at, decode) {
                // Read as the characters it is, but by the pass that skips it.
                (HIDDEN, _) if !skip => (u16::from(text[at]), 1),
                unit => unit,
            };
            let end = at + len;
            if skip {
                if let Some(past) = invisible(text, b, end, decode) {
                    at = past;
                    continue;
                }
            }
            let (b, end) = if decode.hidden_only && len > 1 {
                (u16::from(text[at]), at + 1)
            } else {
                (b, end)
            };
            if b > 0xFF || self.class[usize::from(b as u8)] & POSSIBLE == 0 {
                run = 0;
                at = end;
                continue;
            }
            let b = b as u8;
            key = (key << 8) | u64::from(b);
            starts[run % MIN_PIECE] = at;
            run += 1;
            if run >= self.shortest {
                for table in &self.tables {
                    if run >= table.len && table.contains(key) {
                        push_span(spans, starts[(run - table.len) % MIN_PIECE], end);
                    }
                }
            }
            at = end;
        }
    }
}

/// Appends `start..end` to sorted, merged `spans`, merging it with those it overlaps or
/// touches.
fn push_span(spans: &mut Vec<(usize, usize)>, mut start: usize, mut end: usize) {
    while let Some(&(s, e)) = spans.last() {
        if start > e {
            break;
        }
        start = start.min(s);
        end = end.max(e);
        spans.pop();
    }
    spans.push((start, end));
}

/// Two sorted, merged span lists as one.
fn merge(a: Vec<(usize, usize)>, b: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut all = a;
    all.extend(b);
    all.sort_unstable();
    let mut out = Vec::with_capacity(all.len());
    for (s, e) in all {
        push_span(&mut out, s, e);
    }
    out
}

/// Which escapes a scan reads as the characters they stand for. Each mix is its own
/// pass: reading `%84` as one byte would hide the `84` of a JSON-escaped token.
#[derive(Clone, Copy)]
struct Decode {
    json: bool,
    percent: bool,
    hidden_only: bool,
}

impl Decode {
    const JSON: Decode = Decode {
        json: true,
        percent: false,
        hidden_only: false,
    };
    const PERCENT: Decode = Decode {
        json: false,
        percent: true,
        hidden_only: false,
    };
    const BOTH: Decode = Decode {
        json: true,
        percent: true,
        hidden_only: false,
    };
    const NONE: Decode = Decode {
        json: false,
        percent: false,
        hidden_only: false,
    };
    /// Both kinds of escape decoded only where they spell a character a terminal does
    /// not show; every other escape is read as the characters it is.
    const HIDDEN_ONLY: Decode = Decode {
        json: true,
        percent: true,
        hidden_only: true,
    };
}

/// Whether the character whose first unit (`b`, decoded, ending at `end`) starts at `at`
/// is one a terminal does not show, or starts an ANSI escape sequence: where it ends if
/// so. Looks a bounded number of units ahead.
fn invisible(text: &[u8], b: u16, end: usize, decode: Decode) -> Option<usize> {
    let next = |from: usize| (from < text.len()).then(|| unit(text, from, decode));
    match b {
        HIDDEN => Some(end),
        0x1B => match next(end) {
            // ESC [ parameters and intermediates, then a final byte: skipped whole
            // (bounded, so that the look-ahead stays constant).
            Some((0x5B, l)) => {
                let mut at = end + l;
                for _ in 0..32 {
                    match next(at) {
                        Some((0x20..=0x3F, l)) => at += l,
                        Some((0x40..=0x7E, l)) => return Some(at + l),
                        _ => return Some(at),
                    }
                }
                Some(at)
            }
            _ => Some(end),
        },
        0x00..=0x1F | 0x7F => Some(end),
        0xC2 => match next(end) {
            Some((0x80..=0x9F | 0xAD, l)) => Some(end + l),
            _ => None,
        },
        0xE2 => {
            let (b1, l1) = next(end)?;
            let (b2, l2) = next(end + l1)?;
            let hidden = match b1 {
                0x80 => matches!(b2, 0x8B..=0x8F | 0xA8..=0xAE),
                0x81 => matches!(b2, 0xA0..=0xA4 | 0xA6..=0xA9),
                _ => false,
            };
            hidden.then_some(end + l1 + l2)
        }
        0xEF => {
            let (b1, l1) = next(end)?;
            let (b2, l2) = next(end + l1)?;
            (b1 == 0xBB && b2 == 0xBF).then_some(end + l1 + l2)
        }
        _ => None,
    }
}

/// Whether a code point a JSON `\uXXXX` escape names is one a terminal does not show.
fn invisible_code_point(c: u32) -> bool {
    matches!(c,
        0x00..=0x1F | 0x7F..=0x9F | 0xAD | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x2064 | 0x2066..=0x2069 | 0xFEFF)
}

/// The byte (or [`HIDDEN`]) that the text at `at` stands for, and how many bytes say it: a JSON escape
/// (`\u00XX`, `\/`, `\\`, `\"`), a percent-encoding (`%XX`), each when `decode` says
/// so, or the byte itself. A malformed escape is the byte it starts with: the scan always
/// moves on.
fn unit(text: &[u8], at: usize, decode: Decode) -> (u16, usize) {
    let b = text[at];
    let rest = &text[at..];
    match b {
        b'\\' if decode.json => match rest.get(1) {
            Some(b'u') if rest.len() >= 6 => {
                match (hex2(rest[2], rest[3]), hex2(rest[4], rest[5])) {
                    // U+0080..U+009F and U+00AD are characters here, not UTF-8 bytes.
                    (Some(0), Some(c)) if invisible_code_point(u32::from(c)) && c >= 0x80 => {
                        (HIDDEN, 6)
                    }
                    (Some(0), Some(c)) => (u16::from(c), 6),
                    // Any other escape is read as the characters it is: a `\\u` before
                    // a piece of a secret must not hide 4 of its characters.
                    (Some(hi), Some(lo))
                        if invisible_code_point(u32::from(hi) << 8 | u32::from(lo)) =>
                    {
                        (HIDDEN, 6)
                    }
                    _ => (u16::from(b), 1),
                }
            }
            Some(&c @ (b'/' | b'\\' | b'"')) => (u16::from(c), 2),
            _ => (u16::from(b), 1),
        },
        b'%' if decode.percent && rest.len() >= 3 => match hex2(rest[1], rest[2]) {
            Some(c) => (u16::from(c), 3),
            None => (u16::from(b), 1),
        },
        _ => (u16::from(b), 1),
    }
}

/// What [`unit`] gives for a `\uXXXX` escape (above U+00FF) of a character a terminal
/// does not show.
const HIDDEN: u16 = 0x100;

fn hex2(hi: u8, lo: u8) -> Option<u8> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    Some(digit(hi)? << 4 | digit(lo)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: &str = "xoxp-LEAKCANARY-1234";

    fn scrub_with(s: &Scrubber, text: &str) -> String {
        String::from_utf8(s.bytes(text.as_bytes()).into_owned()).unwrap()
    }

    fn scrub(text: &str) -> String {
        scrub_with(&Scrubber::new(T), text)
    }

    fn leaks(secret: &str, out: &str) -> Option<String> {
        let w = secret.len().min(MIN_PIECE);
        secret
            .as_bytes()
            .windows(w)
            .map(|w| std::str::from_utf8(w).unwrap())
            .find(|w| out.contains(w))
            .map(str::to_owned)
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
    fn pieces_of_8_or_more_go_wherever_they_start_shorter_ones_stay() {
        assert_eq!(scrub("…xoxp-LEA"), "…[redacted]");
        assert_eq!(scrub("xoxp-LE and"), "xoxp-LE and");
        assert_eq!(scrub("[ARY-1234]"), "[[redacted]]");
        assert_eq!(scrub("RY-1234"), "RY-1234");
        // The middle of the token is as secret as its ends.
        assert_eq!(scrub("LEAKCANARY"), "[redacted]");
        assert_eq!(scrub("(p-LEAKCAN)"), "([redacted])");
        // Honest text is untouched and not copied.
        let honest = br#"{"ok":true,"user_id":"W1234","warning":"xoxp-only"}"#;
        assert!(matches!(Scrubber::new(T).bytes(honest), Cow::Borrowed(_)));
    }

    #[test]
    fn every_piece_from_every_offset_goes() {
        for start in 0..T.len() {
            for end in start + MIN_PIECE..=T.len() {
                let text = format!("{{\"a\":\"{}\"}}", &T[start..end]);
                let out = scrub(&text);
                assert_eq!(leaks(T, &out), None, "{start}..{end}: {out}");
            }
        }
    }

    #[test]
    fn malformed_escapes_never_stop_the_scan() {
        for bad in [
            r"\u00zz",
            r"\u",
            r"\u0",
            r"\u00",
            r"\u00z",
            r"\",
            r"\x",
            r"\ud800",
            r"\udfff",
            "%",
            "%z",
            "%4",
            "%zz",
            r"\u00\u00",
            "\\\\\\",
        ] {
            for (before, after) in [("", ""), (bad, ""), ("", bad), (bad, bad)] {
                let text = format!("{before} {bad}{T}{bad} {after} {}", &T[3..15]);
                let out = scrub(&text);
                assert_eq!(leaks(T, &out), None, "{bad:?}: {out}");
                // A malformed escape right against the token, and at the very end.
                let out = scrub(&format!("{T}{bad}"));
                assert_eq!(leaks(T, &out), None, "{bad:?}: {out}");
                let out = scrub(&format!("{bad}{}", &T[1..]));
                assert_eq!(leaks(T, &out), None, "{bad:?}: {out}");
            }
        }
    }

    #[test]
    fn a_short_secret_goes_whole() {
        let s = Scrubber::new("xoxp-ab");
        assert_eq!(scrub_with(&s, "e xoxp-ab e"), "e [redacted] e");
        assert_eq!(scrub_with(&s, r"e xoxp\u002dab e"), "e [redacted] e");
        assert_eq!(scrub_with(&s, "e xoxp-a e"), "e xoxp-a e");
        let s = Scrubber::new("k");
        assert_eq!(scrub_with(&s, "okk"), "o[redacted]");
    }

    #[test]
    fn several_secrets_and_added_ones_all_go() {
        let secrets = Secrets::new([T]);
        let refresh = "xoxe-1-REFRESHSECRET-99";
        let before = scrub_with(&secrets.scrubber(), refresh);
        assert_eq!(before, refresh, "not held yet");
        secrets.add(refresh);
        secrets.add("short");
        secrets.add(T);
        secrets.add("");
        let s = secrets.scrubber();
        let out = scrub_with(&s, &format!("{T} {refresh} a-short-one 1-REFRESHS"));
        assert_eq!(out, "[redacted] [redacted] a-[redacted]-one [redacted]");
        assert_eq!(format!("{secrets:?}"), "Secrets(3 held, [redacted])");
    }

    #[test]
    fn every_split_of_the_token_loses_both_halves_of_8_or_more() {
        for cut in 1..T.len() {
            let text = format!("{{\"a\":\"{}\",\"b\":\"{}\"}}", &T[..cut], &T[cut..]);
            let out = scrub(&text);
            assert_eq!(leaks(T, &out), None, "cut {cut}: {out}");
        }
    }

    /// Every 4 characters of the token, a filler a terminal does not show.
    fn interleave(filler: &str) -> String {
        let mut out = String::new();
        for (i, c) in T.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push_str(filler);
            }
            out.push(c);
        }
        out
    }

    #[test]
    fn a_token_split_by_invisible_characters_goes() {
        for filler in [
            "\u{7f}",
            "\0",
            "\u{1b}[0m",
            "\u{1b}[38;5;1m",
            "\u{200b}",
            "\u{ad}",
            "\u{85}",
            "\u{2028}",
            "\u{202e}",
            "\u{2063}",
            "\u{2069}",
            "\u{feff}",
            "\n",
            "\t",
            r"\u007f",
            r"\u0000",
            r"\u001b[0m",
            r"\u200b",
            r"\u200B",
            r"\u00ad",
            r"\ufeff",
            "%7F",
            "%00",
            "%E2%80%8B",
            "%1B[0m",
        ] {
            let text = format!(r#"{{"error":"{}"}}"#, interleave(filler));
            let out = scrub(&text);
            assert!(out.contains("[redacted]"), "{filler:?}: {out}");
            let shown: String = out
                .replace(filler, "")
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            assert_eq!(leaks(T, &shown), None, "{filler:?}: {out}");
        }
        // Honest text with such characters stays as it is.
        let honest = "W1\u{7f}W2\u{200b}session 12345678\u{1b}[0m";
        assert_eq!(scrub(honest), honest);
    }

    #[test]
    fn escapes_that_spell_escapes_are_decoded_too() {
        let percent_in_json: String = T
            .chars()
            .map(|c| format!(r"\u0025{:02X}", c as u32))
            .collect();
        let json_in_json: String = T
            .chars()
            .map(|c| format!(r"\\u00{:02x}", c as u32))
            .collect();
        let json_in_percent: String = T
            .chars()
            .map(|c| format!("%5Cu00{:02x}", c as u32))
            .collect();
        for text in [percent_in_json, json_in_json, json_in_percent] {
            let out = scrub(&format!(r#"{{"e":"{text}"}}"#));
            assert_eq!(out, r#"{"e":"[redacted]"}"#, "{text}");
        }
    }

    #[test]
    fn header_values_stay_valid() {
        let s = Scrubber::new(T);
        let v = http::HeaderValue::from_static("https://evil.example/?t=xoxp-LEAKCANARY-1234");
        assert_eq!(s.header(&v), "https://evil.example/?t=[redacted]");
    }
}
