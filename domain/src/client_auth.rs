//! Client authentication rules (RFC 6749 §2.3, RFC 7523 §2.2/§3 with draft-ietf-oauth-rfc7523bis).

use serde::Deserialize;

use crate::jws::OneOrMany;
use crate::{OAuthError, UnixTime};

pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ClientSecretBasic,
            Self::ClientSecretPost,
            Self::PrivateKeyJwt,
        ]
        .into_iter()
        .find(|m| m.as_str() == s)
    }
}

/// How a client is registered to authenticate. Secret clients may use Basic or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisteredAuth {
    Secret,
    PrivateKeyJwt,
}

/// What the request presented, after checking that exactly one method was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    Secret {
        method: AuthMethod,
        client_id: String,
        secret: String,
    },
    Assertion {
        client_id: Option<String>,
        assertion: String,
    },
}

impl Presented {
    pub fn method(&self) -> AuthMethod {
        match self {
            Self::Secret { method, .. } => *method,
            Self::Assertion { .. } => AuthMethod::PrivateKeyJwt,
        }
    }
}

/// The raw inputs: the Basic header (already decoded) and the form fields.
#[derive(Debug, Default)]
pub struct AuthInputs<'a> {
    pub basic: Option<(String, String)>,
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub client_assertion_type: Option<&'a str>,
    pub client_assertion: Option<&'a str>,
}

/// Exactly one method per request (RFC 6749 §2.3, security case C30).
pub fn presented(inp: AuthInputs<'_>) -> Result<Presented, OAuthError> {
    let assertion = inp.client_assertion.is_some() || inp.client_assertion_type.is_some();
    let used = [inp.basic.is_some(), inp.client_secret.is_some(), assertion]
        .iter()
        .filter(|b| **b)
        .count();
    if used > 1 {
        return Err(OAuthError::invalid_request(
            "use exactly one client authentication method",
        ));
    }
    if let Some((id, secret)) = inp.basic {
        if inp.client_id.is_some_and(|c| c != id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        return Ok(Presented::Secret {
            method: AuthMethod::ClientSecretBasic,
            client_id: id,
            secret,
        });
    }
    if let Some(secret) = inp.client_secret {
        let id = inp.client_id.ok_or_else(OAuthError::invalid_client)?;
        return Ok(Presented::Secret {
            method: AuthMethod::ClientSecretPost,
            client_id: id.to_owned(),
            secret: secret.to_owned(),
        });
    }
    if assertion {
        if inp.client_assertion_type != Some(JWT_BEARER_ASSERTION_TYPE) {
            return Err(OAuthError::invalid_client());
        }
        let a = inp
            .client_assertion
            .filter(|a| !a.is_empty())
            .ok_or_else(OAuthError::invalid_client)?;
        return Ok(Presented::Assertion {
            client_id: inp.client_id.map(str::to_owned),
            assertion: a.to_owned(),
        });
    }
    Err(OAuthError::invalid_client())
}

/// A client may only use the method it is registered for (case C30).
pub fn check_method(registered: RegisteredAuth, presented: &Presented) -> Result<(), OAuthError> {
    match (registered, presented) {
        (RegisteredAuth::Secret, Presented::Secret { .. })
        | (RegisteredAuth::PrivateKeyJwt, Presented::Assertion { .. }) => Ok(()),
        _ => Err(OAuthError::invalid_client()),
    }
}

/// Claims of a private_key_jwt client assertion, typed strictly (case A9).
#[derive(Debug, Clone, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: OneOrMany,
    pub exp: i64,
    #[serde(default)]
    pub nbf: Option<i64>,
    #[serde(default)]
    pub iat: Option<i64>,
    pub jti: String,
    /// Marks of an OpenID Connect ID token: present (even as `null`), the JWT is not a client
    /// assertion (A13).
    #[serde(default, deserialize_with = "present")]
    pub nonce: Option<Present>,
    #[serde(default, deserialize_with = "present")]
    pub at_hash: Option<Present>,
    #[serde(default, deserialize_with = "present")]
    pub c_hash: Option<Present>,
    #[serde(default, deserialize_with = "present")]
    pub auth_time: Option<Present>,
}

/// A claim that is there, whatever its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Present;

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Present>, D::Error> {
    serde::de::IgnoredAny::deserialize(d).map(|_| Some(Present))
}

#[derive(Debug, Clone, Copy)]
pub struct AssertionRules {
    /// Accepted clock skew in seconds (bounded 0–60).
    pub skew: i64,
    /// How far ahead `exp` may be, and the longest `exp - iat`.
    pub max_lifetime: i64,
}

impl Default for AssertionRules {
    fn default() -> Self {
        Self {
            skew: 30,
            max_lifetime: 300,
        }
    }
}

/// Checks the claims of a verified assertion. Returns `(jti, exp)` for the replay cache.
pub fn check_assertion(
    c: &AssertionClaims,
    client_id: &str,
    issuer: &str,
    rules: AssertionRules,
    now: UnixTime,
) -> Result<(String, i64), OAuthError> {
    let fail = |_why: &str| OAuthError::invalid_client();
    if c.iss != client_id || c.sub != client_id {
        return Err(fail("iss and sub must be the client_id"));
    }
    if c.nonce.is_some() || c.at_hash.is_some() || c.c_hash.is_some() || c.auth_time.is_some() {
        return Err(fail("an ID token is not a client assertion"));
    }
    // rfc7523bis: the audience is the issuer identifier, as a single string (case C28).
    if c.aud.as_single() != Some(issuer) {
        return Err(fail("aud must be the issuer identifier"));
    }
    if c.exp + rules.skew <= now {
        return Err(fail("expired"));
    }
    if c.exp > now + rules.max_lifetime + rules.skew {
        return Err(fail("exp too far ahead"));
    }
    if c.nbf.is_some_and(|nbf| nbf > now + rules.skew) {
        return Err(fail("not yet valid"));
    }
    if let Some(iat) = c.iat
        && (iat > now + rules.skew || c.exp - iat > rules.max_lifetime)
    {
        return Err(fail("iat out of range"));
    }
    if c.jti.is_empty() || c.jti.len() > 256 {
        return Err(fail("jti missing"));
    }
    Ok((c.jti.clone(), c.exp))
}

/// Token types that must never be accepted as a client assertion (case A13).
pub fn assertion_typ_allowed(typ: Option<&str>) -> bool {
    match typ {
        None => true,
        Some(t) => {
            t.eq_ignore_ascii_case("JWT") || t.eq_ignore_ascii_case("client-authentication+jwt")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISS: &str = "https://entente.test";

    fn claims(aud: OneOrMany, exp: i64) -> AssertionClaims {
        AssertionClaims {
            iss: "c1".into(),
            sub: "c1".into(),
            aud,
            exp,
            nbf: None,
            iat: Some(1000),
            jti: "j".into(),
            nonce: None,
            at_hash: None,
            c_hash: None,
            auth_time: None,
        }
    }

    #[test]
    fn two_methods_are_refused() {
        let r = presented(AuthInputs {
            basic: Some(("c".into(), "s".into())),
            client_secret: Some("s"),
            ..Default::default()
        });
        assert_eq!(r.unwrap_err().code, crate::OAuthErrorCode::InvalidRequest);
        let r = presented(AuthInputs {
            client_id: Some("c"),
            client_secret: Some("s"),
            client_assertion_type: Some(JWT_BEARER_ASSERTION_TYPE),
            client_assertion: Some("x.y.z"),
            ..Default::default()
        });
        assert!(r.is_err());
    }

    #[test]
    fn no_credentials_is_invalid_client() {
        let r = presented(AuthInputs {
            client_id: Some("c"),
            ..Default::default()
        });
        assert_eq!(r.unwrap_err().code, crate::OAuthErrorCode::InvalidClient);
    }

    #[test]
    fn registered_method_is_enforced() {
        let secret = Presented::Secret {
            method: AuthMethod::ClientSecretPost,
            client_id: "c".into(),
            secret: "s".into(),
        };
        assert!(check_method(RegisteredAuth::PrivateKeyJwt, &secret).is_err());
        assert!(check_method(RegisteredAuth::Secret, &secret).is_ok());
    }

    #[test]
    fn audience_must_be_the_issuer_as_a_single_string() {
        let r = AssertionRules::default();
        assert!(
            check_assertion(
                &claims(OneOrMany::One(ISS.into()), 1100),
                "c1",
                ISS,
                r,
                1000
            )
            .is_ok()
        );
        assert!(
            check_assertion(
                &claims(OneOrMany::One(format!("{ISS}/token")), 1100),
                "c1",
                ISS,
                r,
                1000
            )
            .is_err()
        );
        assert!(
            check_assertion(
                &claims(OneOrMany::Many(vec![ISS.into()]), 1100),
                "c1",
                ISS,
                r,
                1000
            )
            .is_err()
        );
        assert!(
            check_assertion(
                &claims(OneOrMany::One(format!("{ISS}/")), 1100),
                "c1",
                ISS,
                r,
                1000
            )
            .is_err()
        );
    }

    #[test]
    fn lifetime_is_bounded_and_skew_applies() {
        let r = AssertionRules::default();
        let a = |exp| claims(OneOrMany::One(ISS.into()), exp);
        assert!(
            check_assertion(&a(1000 + 301), "c1", ISS, r, 1000).is_err(),
            "exp - iat beyond max lifetime"
        );
        assert!(
            check_assertion(&a(990), "c1", ISS, r, 1000).is_ok(),
            "within skew"
        );
        assert!(
            check_assertion(&a(970), "c1", ISS, r, 1000).is_err(),
            "expired beyond skew"
        );
        let mut c = a(1100);
        c.nbf = Some(1031);
        assert!(check_assertion(&c, "c1", ISS, r, 1000).is_err());
        let mut c = a(1100);
        c.sub = "other".into();
        assert!(check_assertion(&c, "c1", ISS, r, 1000).is_err());
    }

    #[test]
    fn strict_claim_types() {
        let v = serde_json::json!({"iss":"c","sub":"c","aud":"a","exp":"1100","jti":"j"});
        assert!(serde_json::from_value::<AssertionClaims>(v).is_err());
        let dup = r#"{"iss":"c","sub":"c","aud":"a","exp":1,"exp":2,"jti":"j"}"#;
        assert!(serde_json::from_str::<AssertionClaims>(dup).is_err());
    }

    /// A13: ID-token claims refuse an assertion even when their value is null.
    #[test]
    fn id_token_marks_refuse_even_as_null() {
        let r = AssertionRules::default();
        for mark in ["nonce", "at_hash", "c_hash", "auth_time"] {
            let mut v = serde_json::json!({"iss":"c1","sub":"c1","aud":ISS,"exp":1100,"iat":1000,"jti":"j"});
            let plain: AssertionClaims = serde_json::from_value(v.clone()).unwrap();
            assert!(check_assertion(&plain, "c1", ISS, r, 1000).is_ok());
            v[mark] = serde_json::Value::Null;
            let marked: AssertionClaims = serde_json::from_value(v).unwrap();
            assert!(
                check_assertion(&marked, "c1", ISS, r, 1000).is_err(),
                "{mark}"
            );
        }
    }
}
