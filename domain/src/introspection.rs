//! RFC 7662 decision: a verified token is active for a caller only if it is in its time window,
//! not revoked, and the caller's audience is among the token's audiences.

use serde::Serialize;

use crate::UnixTime;
use crate::token::AccessTokenClaims;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    pub active: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub details: Option<ActiveDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActiveDetails {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub client_id: String,
    pub token_type: &'static str,
    pub exp: i64,
    pub iat: i64,
    pub sub: String,
    pub aud: crate::jws::OneOrMany,
    pub iss: String,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    /// RFC 8693 §4.1: who acts for the subject.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
}

impl Introspection {
    /// Exactly `{"active":false}`: an inactive answer says nothing else (RFC 7662 §2.2).
    pub fn inactive() -> Self {
        Self {
            active: false,
            details: None,
        }
    }
}

pub struct Context<'a> {
    pub issuer: &'a str,
    pub caller_audience: &'a str,
    pub revoked: bool,
    pub skew: i64,
}

pub fn decide(claims: AccessTokenClaims, ctx: &Context<'_>, now: UnixTime) -> Introspection {
    let in_window = claims.exp > now && claims.iat <= now + ctx.skew;
    if !in_window
        || ctx.revoked
        || claims.iss != ctx.issuer
        || !claims.aud.contains(ctx.caller_audience)
    {
        return Introspection::inactive();
    }
    Introspection {
        active: true,
        details: Some(ActiveDetails {
            scope: claims.scope,
            client_id: claims.client_id,
            token_type: "Bearer",
            exp: claims.exp,
            iat: claims.iat,
            sub: claims.sub,
            aud: claims.aud,
            iss: claims.iss,
            jti: claims.jti,
            partner: claims.partner,
            act: claims.act,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jws::OneOrMany;

    fn claims() -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "https://iss".into(),
            sub: "c".into(),
            aud: OneOrMany::One("https://api".into()),
            client_id: "c".into(),
            scope: Some("r".into()),
            iat: 1000,
            exp: 1300,
            jti: "j".into(),
            partner: None,
            act: None,
            lineage: vec![],
            trust_rule: None,
            extra: Default::default(),
        }
    }

    fn ctx(aud: &str, revoked: bool) -> Context<'_> {
        Context {
            issuer: "https://iss",
            caller_audience: aud,
            revoked,
            skew: 30,
        }
    }

    #[test]
    fn active_only_for_the_audience_in_time_and_unrevoked() {
        assert!(decide(claims(), &ctx("https://api", false), 1100).active);
        assert_eq!(
            decide(claims(), &ctx("https://other", false), 1100),
            Introspection::inactive()
        );
        assert_eq!(
            decide(claims(), &ctx("https://api", true), 1100),
            Introspection::inactive()
        );
        assert_eq!(
            decide(claims(), &ctx("https://api", false), 1300),
            Introspection::inactive()
        );
    }

    #[test]
    fn inactive_serialises_to_active_false_only() {
        assert_eq!(
            serde_json::to_string(&Introspection::inactive()).unwrap(),
            r#"{"active":false}"#
        );
    }
}
