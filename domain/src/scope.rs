//! Scope sets (RFC 6749 §3.3): space-delimited, case-sensitive, order-free.

use std::collections::BTreeSet;
use std::fmt;

use crate::OAuthError;

/// Longest scope string we accept; anything longer is an attack or a mistake.
const MAX_SCOPE_LEN: usize = 4096;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<String>);

impl ScopeSet {
    /// Parses a scope parameter. Tokens must be NQCHAR (%x21 / %x23-5B / %x5D-7E).
    pub fn parse(raw: &str) -> Result<Self, OAuthError> {
        if raw.len() > MAX_SCOPE_LEN {
            return Err(OAuthError::invalid_scope("scope is too long"));
        }
        let mut set = BTreeSet::new();
        for token in raw.split(' ').filter(|t| !t.is_empty()) {
            if !token.bytes().all(is_nqchar) {
                return Err(OAuthError::invalid_scope(
                    "scope contains a character that is not allowed",
                ));
            }
            set.insert(token.to_owned());
        }
        Ok(Self(set))
    }

    pub fn from_tokens<I: IntoIterator<Item = S>, S: Into<String>>(tokens: I) -> Self {
        Self(tokens.into_iter().map(Into::into).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, token: &str) -> bool {
        self.0.contains(token)
    }

    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// Narrowing is always an intersection, never a union (security case B21).
    pub fn intersect(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Stored and exchanged as the space-delimited string of RFC 6749 §3.3.
impl serde::Serialize for ScopeSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ScopeSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(|e| serde::de::Error::custom(e.description))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for t in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(t)?;
            first = false;
        }
        Ok(())
    }
}

fn is_nqchar(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalises() {
        let s = ScopeSet::parse("b a  a").unwrap();
        assert_eq!(s.to_string(), "a b");
    }

    #[test]
    fn rejects_quotes_and_backslashes() {
        assert!(ScopeSet::parse("a\"b").is_err());
        assert!(ScopeSet::parse("a\\b").is_err());
        assert!(ScopeSet::parse("a\u{7f}").is_err());
    }

    #[test]
    fn intersection_never_widens() {
        let a = ScopeSet::parse("r w x").unwrap();
        let b = ScopeSet::parse("r y").unwrap();
        assert_eq!(a.intersect(&b).to_string(), "r");
    }
}
