//! RFC 9068 JWT access tokens: claims built from a decision, verified strictly.

use serde::{Deserialize, Serialize};

use crate::UnixTime;
use crate::grant::Issuance;
use crate::jws::OneOrMany;

/// RFC 9068 §2.1: explicitly typed so it cannot be confused with other JWTs.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Exactly the claims of RFC 9068 §2.2 plus `partner`; nothing else by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: OneOrMany,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// RFC 8693 §4.1: the acting party of a delegated token (nested for chains).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// Revocation keys of everything this token was derived from (parent tokens, refresh family,
    /// clients, partner subject). Revoking any of them revokes this token.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lineage: Vec<String>,
    /// The trust rule a token for a partner's user was issued under. A later exchange of this
    /// token is held to that rule as it stands then (enabled, same audience, today's ceiling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_rule: Option<crate::ids::RuleId>,
    /// Partner claims passed through by a trust rule's allowlist.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// Claims for a client_credentials token: the subject is the client itself (RFC 9068 §2.2).
pub fn client_credentials_claims(
    issuer: &str,
    client_id: &str,
    partner_slug: &str,
    issuance: &Issuance,
    jti: String,
    now: UnixTime,
) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: issuer.to_owned(),
        sub: client_id.to_owned(),
        aud: OneOrMany::One(issuance.audience.clone()),
        client_id: client_id.to_owned(),
        scope: Some(issuance.scope.to_string()),
        iat: now,
        exp: now + issuance.lifetime,
        jti,
        partner: Some(partner_slug.to_owned()),
        act: None,
        lineage: Vec::new(),
        trust_rule: None,
        extra: serde_json::Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScopeSet;

    #[test]
    fn claims_are_exactly_rfc9068_plus_partner() {
        let i = Issuance {
            audience: "https://api".into(),
            scope: ScopeSet::parse("b a").unwrap(),
            lifetime: 300,
        };
        let c = client_credentials_claims("https://iss", "cid", "acme", &i, "j1".into(), 1000);
        let v = serde_json::to_value(&c).unwrap();
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "aud",
                "client_id",
                "exp",
                "iat",
                "iss",
                "jti",
                "partner",
                "scope",
                "sub"
            ]
        );
        assert_eq!(v["aud"], "https://api");
        assert_eq!(v["scope"], "a b");
        assert_eq!(v["exp"], 1300);
    }
}
