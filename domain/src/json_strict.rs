//! Repeated member names in JSON from outside are refused (security cases A14 and 72).
//!
//! RFC 8259 §4 leaves a repeated name undefined and parsers differ: serde_json keeps the last
//! value, others the first. RFC 7515 §5.2 and RFC 7519 §4 therefore require a JWS header or a
//! JWT claims set with a repeated name to be rejected, or else the `email` or `groups` Entente
//! acts on may not be the one the partner's IdP meant. Every security-relevant document from
//! outside (JWS headers, JWT claims, JWKS) passes `check` before it is read.
//!
//! The walk uses serde_json's own parser (so it accepts exactly what the later read accepts,
//! including its nesting limit of 128) and compares names after unescaping: `"em\u0061il"` is
//! `email`.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// Longest member name quoted back in an error (names come from outside).
const QUOTED: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StrictJsonError {
    /// The name, cut to 64 characters.
    #[error("member name {0:?} appears more than once in one object")]
    Repeated(String),
    #[error("not valid JSON")]
    Invalid,
}

/// `Ok` when `json` is one valid JSON value in which no object, at any depth, names a member
/// twice.
pub fn check(json: &[u8]) -> Result<(), StrictJsonError> {
    let repeated = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_slice(json);
    let walked = Walk {
        repeated: &repeated,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end());
    match (walked, repeated.into_inner()) {
        (_, Some(name)) => Err(StrictJsonError::Repeated(name)),
        (Ok(()), None) => Ok(()),
        (Err(_), None) => Err(StrictJsonError::Invalid),
    }
}

/// Visits every value, remembering the names of each object; stops at the first repeat.
#[derive(Clone, Copy)]
struct Walk<'a> {
    repeated: &'a RefCell<Option<String>>,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_i128<E>(self, _: i128) -> Result<(), E> {
        Ok(())
    }
    fn visit_u128<E>(self, _: u128) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = HashSet::new();
        while let Some(name) = map.next_key::<String>()? {
            if seen.contains(&name) {
                let quoted: String = name.chars().take(QUOTED).collect();
                *self.repeated.borrow_mut() = Some(quoted);
                return Err(de::Error::custom("repeated member name"));
            }
            map.next_value_seed(self)?;
            seen.insert(name);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repeated(json: &str) -> Option<String> {
        match check(json.as_bytes()) {
            Err(StrictJsonError::Repeated(n)) => Some(n),
            _ => None,
        }
    }

    #[test]
    fn plain_documents_pass() {
        for ok in [
            r#"{}"#,
            r#"[]"#,
            r#"{"a":1,"b":[1,2,{"a":1}],"c":{"a":{"a":null}},"d":-1.5e3,"e":true,"f":"x"}"#,
            r#"{"n":18446744073709551615,"m":-9223372036854775808}"#,
            // The same name in sibling or nested objects is not a repeat.
            r#"{"x":{"k":1},"y":{"k":2},"z":[{"k":1},{"k":2}]}"#,
            r#""just a string""#,
            "  {\"a\" : 1 }\n",
        ] {
            assert_eq!(check(ok.as_bytes()), Ok(()), "{ok}");
        }
    }

    #[test]
    fn repeats_are_refused_at_any_depth() {
        assert_eq!(
            repeated(r#"{"email":"pat@x","email":"ceo@x"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(
            repeated(r#"{"sub":"a","groups":["staff"],"groups":["admins"]}"#).as_deref(),
            Some("groups")
        );
        // Nested in an object, in an array, deep in `act` chains.
        assert_eq!(
            repeated(r#"{"act":{"sub":"a","act":{"sub":"b","sub":"c"}}}"#).as_deref(),
            Some("sub")
        );
        assert_eq!(
            repeated(r#"{"keys":[{"kty":"EC"},{"kty":"EC","kty":"RSA"}]}"#).as_deref(),
            Some("kty")
        );
        assert_eq!(repeated(r#"[[{"a":1,"a":1}]]"#).as_deref(), Some("a"));
        // Same value or different type: still a repeat.
        assert_eq!(repeated(r#"{"a":1,"b":2,"a":1}"#).as_deref(), Some("a"));
        assert_eq!(repeated(r#"{"a":null,"a":{}}"#).as_deref(), Some("a"));
    }

    #[test]
    fn names_are_compared_after_unescaping_and_exactly() {
        assert_eq!(
            repeated(r#"{"email":"a","em\u0061il":"b"}"#).as_deref(),
            Some("email")
        );
        assert_eq!(repeated(r#"{"a\/b":1,"a/b":2}"#).as_deref(), Some("a/b"));
        // Case differs: two names.
        assert_eq!(check(br#"{"email":"a","Email":"b"}"#), Ok(()));
    }

    #[test]
    fn a_long_repeated_name_is_quoted_cut() {
        let long = "n".repeat(5000);
        let doc = format!(r#"{{"{long}":1,"{long}":2}}"#);
        assert_eq!(repeated(&doc).map(|n| n.len()), Some(QUOTED));
    }

    #[test]
    fn invalid_json_and_deep_nesting_are_refused() {
        for bad in [
            "",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":1} {"b":2}"#,
            r#"{"a":1}x"#,
            "{'a':1}",
            "\u{feff}{}",
        ] {
            assert_eq!(
                check(bad.as_bytes()),
                Err(StrictJsonError::Invalid),
                "{bad}"
            );
        }
        let deep = format!("{}1{}", "[".repeat(2000), "]".repeat(2000));
        assert_eq!(check(deep.as_bytes()), Err(StrictJsonError::Invalid));
        let deep = format!("{}1{}", r#"{"a":"#.repeat(2000), "}".repeat(2000));
        assert_eq!(check(deep.as_bytes()), Err(StrictJsonError::Invalid));
        // Invalid UTF-8 in a string.
        assert_eq!(check(b"{\"a\":\"\xff\"}"), Err(StrictJsonError::Invalid));
    }
}
