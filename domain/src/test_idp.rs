//! The sandbox's built-in test identity provider: it issues subject tokens for made-up test
//! users (with the claims the tester chooses), so token exchange and jwt-bearer can be tried in
//! the sandbox without a real partner IdP. Its key is Ed25519, derived from the master key, so
//! every replica signs and publishes the same one. Its tokens are never accepted in production
//! (`federation::validate` refuses its issuer there, whatever is registered).

use jsonwebtoken::jwk::Jwk;
use serde_json::{Map, Value, json};

use crate::keys::{GeneratedKey, KeyError, SigningAlgorithm, public_jwk};

/// Below the sandbox issuer: `{issuer}/sandbox/test-idp`.
pub const PATH: &str = "/sandbox/test-idp";
/// Test subject tokens live ten minutes.
pub const LIFETIME: i64 = 600;
const MAX_CLAIMS: usize = 20;
const MAX_CLAIMS_JSON: usize = 2048;
const RESERVED: [&str; 8] = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id"];

/// The test IdP's issuer identifier for Entente's (production) issuer `base`.
pub fn issuer(base: &str) -> String {
    format!("{}{PATH}", base.trim_end_matches('/'))
}

/// The key from 32 secret bytes: an Ed25519 PKCS#8 v1 document (RFC 8410 §7) around the seed.
pub fn key_from_seed(seed: &[u8; 32]) -> Result<GeneratedKey, KeyError> {
    // SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(seed);
    let jwk: Jwk = public_jwk(SigningAlgorithm::EdDsa, &der)?;
    let kid = jwk
        .common
        .key_id
        .clone()
        .ok_or(KeyError::Invalid("EdDSA"))?;
    Ok(GeneratedKey {
        kid,
        algorithm: SigningAlgorithm::EdDsa,
        private_der: der,
        public_jwk: jwk,
    })
}

/// What the tester asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// An RFC 9068 access token (`typ: at+jwt`), for token exchange.
    AccessToken,
    /// An RFC 7523 assertion (`typ: JWT`, single-use `jti`), for jwt-bearer.
    Assertion,
}

/// The claims of a test token for `sub`, with the tester's `extra` claims (a JSON object of at
/// most 20 members, 2 KiB, none of the registered claims the IdP sets itself), addressed to
/// Entente (`audience`).
pub fn claims(
    base: &str,
    audience: &str,
    sub: &str,
    extra: &str,
    jti: &str,
    now: i64,
) -> Result<Value, String> {
    let sub = sub.trim();
    if sub.is_empty() || sub.len() > 64 || sub.chars().any(char::is_control) {
        return Err("the test user is 1–64 characters".into());
    }
    let extra = extra.trim();
    let mut map: Map<String, Value> = if extra.is_empty() {
        Map::new()
    } else {
        if extra.len() > MAX_CLAIMS_JSON {
            return Err("the claims are at most 2 KiB of JSON".into());
        }
        match serde_json::from_str(extra) {
            Ok(Value::Object(m)) => m,
            _ => {
                return Err(
                    "the claims are a JSON object, such as {\"email\": \"ann@example.com\"}".into(),
                );
            }
        }
    };
    if map.len() > MAX_CLAIMS {
        return Err(format!("at most {MAX_CLAIMS} claims"));
    }
    if let Some(r) = RESERVED.iter().find(|r| map.contains_key(**r)) {
        return Err(format!("the test IdP sets {r} itself"));
    }
    map.insert("iss".into(), json!(issuer(base)));
    map.insert("sub".into(), json!(sub));
    map.insert("aud".into(), json!(audience));
    map.insert("iat".into(), json!(now));
    map.insert("exp".into(), json!(now + LIFETIME));
    map.insert("jti".into(), json!(jti));
    Ok(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_seed_s() {
        let a = key_from_seed(&[7; 32]).unwrap();
        let b = key_from_seed(&[7; 32]).unwrap();
        let c = key_from_seed(&[8; 32]).unwrap();
        assert_eq!(a.kid, b.kid, "every replica derives the same key");
        assert_ne!(a.kid, c.kid);
        // It signs, and its public JWK verifies.
        let token = jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA),
            &json!({"sub": "x"}),
            &crate::keys::encoding_key(SigningAlgorithm::EdDsa, &a.private_der),
        )
        .unwrap();
        let key = crate::keys::decoding_key(&a.public_jwk).unwrap();
        let v: Value = crate::jws::verify(&token, &key, jsonwebtoken::Algorithm::EdDSA).unwrap();
        assert_eq!(v["sub"], "x");
    }

    #[test]
    fn claims_are_the_testers_within_bounds() {
        let c = claims(
            "https://id.example",
            "https://id.example",
            "ann",
            r#"{"email": "ann@example.com", "groups": ["admins"]}"#,
            "j-1",
            1000,
        )
        .unwrap();
        assert_eq!(c["iss"], "https://id.example/sandbox/test-idp");
        assert_eq!(c["exp"], 1600);
        assert_eq!(c["groups"][0], "admins");
        for (sub, extra) in [
            ("", ""),
            ("ann", "[1]"),
            ("ann", r#"{"iss": "https://evil.example"}"#),
            ("ann", r#"{"exp": 99999999999}"#),
            ("ann", "not json"),
        ] {
            assert!(
                claims("https://id.example", "a", sub, extra, "j", 0).is_err(),
                "{sub} {extra}"
            );
        }
        let many: Map<String, Value> = (0..21).map(|i| (format!("c{i}"), json!(i))).collect();
        assert!(claims("b", "a", "ann", &Value::Object(many).to_string(), "j", 0).is_err());
    }
}
