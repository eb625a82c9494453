//! Slack's answer envelope (`ok`, `error`, `warning`, `needed`, `provided`,
//! `response_metadata`), read leniently: a field of an unexpected shape is ignored and
//! logged at debug, never fatal, and never hides `ok` or `error`.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::meta::ResponseMeta;

/// Visitor methods that read a value of an unexpected shape as "absent": the value is
/// consumed (so the rest of the answer still parses) and its kind noted. Never an error,
/// so serde never builds a message that quotes a value of the answer.
macro_rules! other_shapes {
    ($t:ty; $($kind:ident),*) => {
        $( other_shapes!(@$kind $t); )*
        fn visit_unit<E: de::Error>(self) -> Result<$t, E> {
            Ok(<$t>::unexpected("null"))
        }
        fn visit_none<E: de::Error>(self) -> Result<$t, E> {
            Ok(<$t>::unexpected("null"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$t, E> {
            Ok(<$t>::unexpected("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$t, E> {
            Ok(<$t>::unexpected("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$t, E> {
            Ok(<$t>::unexpected("a number"))
        }
    };
    (@bool $t:ty) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$t, E> {
            Ok(<$t>::unexpected("a boolean"))
        }
    };
    (@str $t:ty) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$t, E> {
            Ok(<$t>::unexpected("a string"))
        }
    };
    (@seq $t:ty) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$t, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(<$t>::unexpected("an array"))
        }
    };
    (@map $t:ty) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$t, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(<$t>::unexpected("an object"))
        }
    };
}

/// The fields every Slack answer shares.
#[derive(Deserialize, Default)]
pub(crate) struct Envelope<'a> {
    #[serde(default)]
    pub(crate) ok: Flag,
    #[serde(default, borrow)]
    pub(crate) error: Text<'a>,
    #[serde(default, borrow)]
    warning: Text<'a>,
    #[serde(default, borrow)]
    pub(crate) needed: Text<'a>,
    #[serde(default, borrow)]
    pub(crate) provided: Text<'a>,
    #[serde(default)]
    response_metadata: Metadata,
}

/// `response_metadata`: Slack's warnings and messages.
#[derive(Default)]
struct Metadata {
    warnings: Strings,
    messages: Strings,
    unexpected: Option<&'static str>,
}

impl Envelope<'_> {
    /// Moves the warnings and messages into `meta`: the top-level `warning`
    /// (comma-separated codes) first, then `response_metadata.warnings`, each code once,
    /// at most [`ResponseMeta::MAX_WARNINGS`]; the messages in order.
    pub(crate) fn move_details_into(&mut self, meta: &mut ResponseMeta) {
        let mut warnings = Vec::new();
        let mut add = |w: &str| {
            let w = w.trim();
            if !w.is_empty()
                && warnings.len() < ResponseMeta::MAX_WARNINGS
                && !warnings.iter().any(|k: &String| k == w)
            {
                warnings.push(w.to_owned());
            }
        };
        if let Some(top) = self.warning.value.as_deref() {
            top.split(',').for_each(&mut add);
        }
        self.response_metadata
            .warnings
            .values
            .iter()
            .for_each(|w| add(w));
        meta.set_warnings(warnings);
        meta.set_messages(std::mem::take(&mut self.response_metadata.messages.values));
        self.log_unexpected();
    }

    fn log_unexpected(&self) {
        let fields = [
            ("ok", self.ok.unexpected),
            ("error", self.error.unexpected),
            ("warning", self.warning.unexpected),
            ("needed", self.needed.unexpected),
            ("provided", self.provided.unexpected),
            ("response_metadata", self.response_metadata.unexpected),
            (
                "response_metadata.warnings",
                self.response_metadata.warnings.unexpected,
            ),
            (
                "response_metadata.messages",
                self.response_metadata.messages.unexpected,
            ),
        ];
        for (field, shape) in fields {
            if let Some(shape) = shape {
                log::debug!(
                    target: "slack_sessions",
                    "ignoring `{field}` in Slack's answer: it is {shape}, not the shape Slack documents"
                );
            }
        }
    }
}

/// `ok`: a boolean; anything else reads as absent.
#[derive(Default)]
pub(crate) struct Flag {
    pub(crate) value: Option<bool>,
    unexpected: Option<&'static str>,
}

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag {
                    value: Some(v),
                    unexpected: None,
                })
            }
            other_shapes!(Flag; str, seq, map);
        }
        d.deserialize_any(V)
    }
}

/// A text field (`error`, `warning`, `needed`, `provided`): a string as it is, an array's
/// strings joined with `,`; anything else reads as absent.
#[derive(Default)]
pub(crate) struct Text<'a> {
    pub(crate) value: Option<Cow<'a, str>>,
    unexpected: Option<&'static str>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text::from(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text::from(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text::from(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Text<'de>, A::Error> {
                let parts = collect_strings(seq, ResponseMeta::MAX_WARNINGS, false)?;
                Ok(Text {
                    value: (!parts.values.is_empty()).then(|| Cow::Owned(parts.values.join(","))),
                    unexpected: parts.unexpected,
                })
            }
            other_shapes!(Text<'de>; bool, map);
        }
        d.deserialize_any(V)
    }
}

impl<'a> From<Cow<'a, str>> for Text<'a> {
    fn from(value: Cow<'a, str>) -> Self {
        Text {
            value: Some(value),
            unexpected: None,
        }
    }
}

/// A list of strings, bounded: an array's strings (other elements skipped), or a single
/// string; anything else reads as empty.
#[derive(Default)]
struct Strings {
    values: Vec<String>,
    unexpected: Option<&'static str>,
}

/// Reads a sequence's strings, keeping at most `max` (each once when `dedup`) and
/// skipping past the rest in linear time.
fn collect_strings<'de, A: SeqAccess<'de>>(
    mut seq: A,
    max: usize,
    dedup: bool,
) -> Result<Strings, A::Error> {
    let mut out = Strings::default();
    while out.values.len() < max {
        match seq.next_element::<Text<'de>>()? {
            None => return Ok(out),
            Some(Text {
                value: Some(s),
                unexpected: None,
            }) => {
                if !(dedup && out.values.iter().any(|k| k.as_str() == s.as_ref())) {
                    out.values.push(s.into_owned());
                }
            }
            Some(_) => out.unexpected = Some("an array with elements that are not strings"),
        }
    }
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(out)
}

/// `Strings` for `response_metadata.warnings` (deduplicated) and `.messages` (kept in
/// order, duplicates too).
struct StringsSeed {
    max: usize,
    dedup: bool,
}

impl<'de> de::DeserializeSeed<'de> for StringsSeed {
    type Value = Strings;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Strings, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringsSeed {
    type Value = Strings;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of strings")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
        Ok(Strings {
            values: vec![v.to_owned()],
            unexpected: None,
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Strings, A::Error> {
        collect_strings(seq, self.max, self.dedup)
    }
    other_shapes!(Strings; bool, map);
}

impl<'de> Deserialize<'de> for Metadata {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Metadata;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Metadata, A::Error> {
                let mut out = Metadata::default();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    match key.as_ref() {
                        "warnings" => {
                            out.warnings = map.next_value_seed(StringsSeed {
                                max: ResponseMeta::MAX_WARNINGS,
                                dedup: true,
                            })?;
                        }
                        "messages" => {
                            out.messages = map.next_value_seed(StringsSeed {
                                max: ResponseMeta::MAX_MESSAGES,
                                dedup: false,
                            })?;
                        }
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(out)
            }
            other_shapes!(Metadata; bool, str, seq);
        }
        d.deserialize_any(V)
    }
}

/// A value that was present but of an unexpected shape.
trait Unexpected {
    fn unexpected(kind: &'static str) -> Self;
}

macro_rules! impl_unexpected {
    ($($t:ty),*) => {$(
        impl Unexpected for $t {
            fn unexpected(kind: &'static str) -> Self {
                Self { unexpected: Some(kind), ..Default::default() }
            }
        }
    )*};
}
impl_unexpected!(Flag, Text<'_>, Strings, Metadata);
