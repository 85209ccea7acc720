//! Grant types (RFC 6749, RFC 8693, RFC 7523) and token type identifiers (RFC 8693 §3): the
//! words clients send, as one closed set.

pub const CLIENT_CREDENTIALS: &str = "client_credentials";
pub const GRANT_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const GRANT_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const GRANT_REFRESH_TOKEN: &str = "refresh_token";

/// Every grant type the token endpoint serves: what it dispatches, what the RFC 8414 metadata
/// lists and what a client may be assigned.
pub const GRANT_TYPES: [&str; 4] = [
    CLIENT_CREDENTIALS,
    GRANT_TOKEN_EXCHANGE,
    GRANT_JWT_BEARER,
    GRANT_REFRESH_TOKEN,
];

/// RFC 8693 §3 token type identifiers.
pub const TT_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const TT_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
pub const TT_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const TT_REFRESH_TOKEN: &str = "urn:ietf:params:oauth:token-type:refresh_token";

/// The grant types the token endpoint serves, as a closed set: dispatch matches on it with no
/// fallthrough, so a grant added to the list without its handler does not compile (and is
/// never served as another).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    ClientCredentials,
    TokenExchange,
    JwtBearer,
    RefreshToken,
}

impl GrantType {
    pub const ALL: [Self; 4] = [
        Self::ClientCredentials,
        Self::TokenExchange,
        Self::JwtBearer,
        Self::RefreshToken,
    ];

    /// The `grant_type` value of RFC 6749 §4.4 / RFC 8693 §2.1 / RFC 7523 §2.1 / RFC 6749 §6.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientCredentials => CLIENT_CREDENTIALS,
            Self::TokenExchange => GRANT_TOKEN_EXCHANGE,
            Self::JwtBearer => GRANT_JWT_BEARER,
            Self::RefreshToken => GRANT_REFRESH_TOKEN,
        }
    }

    /// The grant a `grant_type` value names, exactly (no case folding, no aliases).
    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

#[cfg(test)]
mod grant_type_tests {
    use super::GrantType;

    #[test]
    fn every_served_grant_type_parses_to_itself_and_nothing_else_does() {
        for g in GrantType::ALL {
            assert_eq!(GrantType::parse(g.as_str()), Some(g));
        }
        assert_eq!(GrantType::ALL.map(GrantType::as_str), super::GRANT_TYPES);
        for other in [
            "password",
            "CLIENT_CREDENTIALS",
            "client_credentials ",
            "",
            "implicit",
        ] {
            assert_eq!(GrantType::parse(other), None, "{other}");
        }
    }
}
