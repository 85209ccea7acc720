//! Identifiers of catalog records as distinct types, so that a partner id can never be passed
//! where an audience or issuer id is expected (the lookups take several ids side by side).
//! Client ids stay strings: they are protocol values that travel in requests and tokens.

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => { $(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
    )* };
}

id!(
    /// A partner organisation.
    PartnerId,
    /// An audience (an API Entente issues tokens for).
    AudienceId,
    /// A partner's trusted issuer (`ti_…`).
    IssuerId,
    /// A trust rule (`tr_…`).
    RuleId,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_plain_strings() {
        let p = PartnerId::from("p1");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"p1\"");
        assert_eq!(p.as_str(), "p1");
        assert_eq!(p.to_string(), "p1");
    }
}
