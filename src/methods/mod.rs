//! The `admin.users.session.*` methods, and the three a whole-org logout also needs
//! (`admin.users.list`, `users.lookupByEmail`, `auth.test`): one file each, and what
//! they share.

pub mod admin_users_list;
pub mod auth_test;
pub mod clear_settings;
pub mod get_settings;
pub mod invalidate;
pub mod list;
pub mod lookup_by_email;
pub mod reset;
pub mod reset_bulk;
pub mod set_settings;

use serde::{Deserialize, Serialize, Serializer};

use crate::error::InvalidRequest;
use crate::method::check_id;

/// A list of user ids, sent as one comma-joined form field (`user_ids=W1,W2`), the form
/// Slack's methods take for array arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserIds(pub(crate) Vec<String>);

impl Serialize for UserIds {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.join(","))
    }
}

impl<S: Into<String>> FromIterator<S> for UserIds {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Self {
        UserIds(ids.into_iter().map(Into::into).collect())
    }
}

impl UserIds {
    /// Checks every id, and the count against `max` (Slack's per-call limit, if any).
    pub(crate) fn check(
        &self,
        method: &'static str,
        max: Option<usize>,
    ) -> Result<(), InvalidRequest> {
        if self.0.is_empty() {
            return Err(InvalidRequest::new(
                method,
                "user_ids",
                "is empty; name at least one user",
            ));
        }
        if let Some(max) = max {
            if self.0.len() > max {
                return Err(InvalidRequest::new(
                    method,
                    "user_ids",
                    format!(
                        "has {} ids; Slack accepts at most {max} per call",
                        self.0.len()
                    ),
                ));
            }
        }
        for id in &self.0 {
            check_id(method, "user_ids", id)?;
            if id.contains(',') {
                return Err(InvalidRequest::new(
                    method,
                    "user_ids",
                    format!(
                        "contains {id:?}; an id with a comma would be split in two on the wire"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// Refuses a `limit` outside `1..=max`, the page sizes Slack documents.
pub(crate) fn check_limit(
    method: &'static str,
    limit: Option<u32>,
    max: u32,
) -> Result<(), InvalidRequest> {
    match limit {
        Some(n) if !(1..=max).contains(&n) => Err(InvalidRequest::new(
            method,
            "limit",
            format!("is {n}; Slack accepts 1 to {max}"),
        )),
        _ => Ok(()),
    }
}

/// Refuses `mobile_only` together with `web_only`: "only mobile" and "only web" at once
/// is a contradiction, and guessing which one was meant could leave a stolen device
/// logged in.
pub(crate) fn check_session_kind(
    method: &'static str,
    mobile_only: Option<bool>,
    web_only: Option<bool>,
) -> Result<(), InvalidRequest> {
    if mobile_only == Some(true) && web_only == Some(true) {
        return Err(InvalidRequest::new(
            method,
            "web_only",
            "cannot be true together with mobile_only; leave both unset to reset every session",
        ));
    }
    Ok(())
}

/// Decodes an integer that Slack may send as a JSON number or as a string of digits.
pub(crate) mod lenient_u64 {
    use serde::de::{self, Deserializer, Visitor};
    use std::fmt;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(U64Visitor)
    }

    struct U64Visitor;

    impl Visitor<'_> for U64Visitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, as a number or a string of digits")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::custom(format!("negative id {v}")))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                Ok(v as u64)
            } else {
                Err(E::custom(format!("{v} is not a whole non-negative number")))
            }
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            v.trim()
                .parse()
                .map_err(|_| E::custom(format!("{v:?} is not an integer")))
        }
    }
}

/// Decodes `null` as the field's default (`""`, `false`, empty), as an absent field is
/// with `#[serde(default)]`: Slack's SDKs type many fields as optional, and one `null` in
/// one record must not fail a whole page.
pub(crate) fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes an id Slack may send as a number or a string of digits; anything else
/// (`null`, a negative number, text, an object) is `None`, a record that lacks it, for
/// the caller to skip and count rather than fail the page.
pub(crate) mod lenient_opt_u64 {
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_any(OptVisitor)
    }

    struct OptVisitor;

    impl<'de> Visitor<'de> for OptVisitor {
        type Value = Option<u64>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative integer, as a number or a string of digits")
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(u64::try_from(v).ok())
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            let whole = v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v);
            Ok(whole.then_some(v as u64))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.trim().parse().ok())
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(OptVisitor)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_join_and_check() {
        let ids = ["W1", "W2"].into_iter().collect::<UserIds>();
        assert_eq!(
            serde_urlencoded::to_string([("user_ids", &ids)]).unwrap(),
            "user_ids=W1%2CW2"
        );
        assert!(ids.check("m", Some(2)).is_ok());
        assert!(ids
            .check("m", Some(1))
            .unwrap_err()
            .reason()
            .contains("at most 1"));
        assert!(Vec::<String>::new()
            .into_iter()
            .collect::<UserIds>()
            .check("m", None)
            .is_err());
        assert!(["W1,W2"]
            .into_iter()
            .collect::<UserIds>()
            .check("m", None)
            .is_err());
        assert!(["W1", " "]
            .into_iter()
            .collect::<UserIds>()
            .check("m", None)
            .is_err());
    }

    #[derive(serde::Deserialize)]
    struct Id {
        #[serde(with = "lenient_u64")]
        id: u64,
    }

    #[test]
    fn lenient_u64_takes_numbers_and_strings() {
        for (json, want) in [
            (r#"{"id":1112275520242}"#, 1112275520242u64),
            (r#"{"id":"1112275520242"}"#, 1112275520242),
            (r#"{"id":" 7 "}"#, 7),
            (r#"{"id":18446744073709551615}"#, u64::MAX),
        ] {
            assert_eq!(serde_json::from_str::<Id>(json).unwrap().id, want, "{json}");
        }
        for bad in [
            r#"{"id":-1}"#,
            r#"{"id":"x"}"#,
            r#"{"id":1.5}"#,
            r#"{"id":null}"#,
            r#"{"id":true}"#,
        ] {
            assert!(serde_json::from_str::<Id>(bad).is_err(), "{bad}");
        }
    }
}
