//! Signature verification of compact JWS with the algorithm taken from the registered key,
//! never from the token header (RFC 8725 §3.1; security cases A1–A3, A5, A6, A14).
//! Time and audience checks are done by the callers, with `now` passed in.

use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::de::DeserializeOwned;

/// Larger tokens are refused before any parsing.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum JwsError {
    #[error("token is malformed")]
    Malformed,
    #[error("token is too large")]
    TooLarge,
    #[error("token header names no known key")]
    UnknownKey,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token claims are malformed")]
    BadClaims,
    /// The header or the claims name a member twice (RFC 7515 §5.2, RFC 7519 §4; case A14).
    #[error("member name {1:?} appears more than once in the token's {0}")]
    RepeatedMember(&'static str, String),
}

/// A base64url segment of a compact JWS, decoded and checked for repeated member names.
fn strict_segment(token: &str, index: usize, what: &'static str) -> Result<Vec<u8>, JwsError> {
    let segment = token.split('.').nth(index).ok_or(JwsError::Malformed)?;
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, segment)
        .map_err(|_| JwsError::Malformed)?;
    match crate::json_strict::check(&raw) {
        Ok(()) => Ok(raw),
        Err(crate::json_strict::StrictJsonError::Repeated(name)) => {
            Err(JwsError::RepeatedMember(what, name))
        }
        Err(crate::json_strict::StrictJsonError::Invalid) => Err(if index == 0 {
            JwsError::Malformed
        } else {
            JwsError::BadClaims
        }),
    }
}

/// Parses the header only (bounded size); the result is untrusted.
pub fn peek_header(token: &str) -> Result<Header, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::TooLarge);
    }
    if token.split('.').count() != 3 {
        return Err(JwsError::Malformed);
    }
    strict_segment(token, 0, "header")?;
    jsonwebtoken::decode_header(token).map_err(|_| JwsError::Malformed)
}

/// `kid` values are lookup keys only; anything odd is refused before lookup (case A6).
pub fn sane_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 128 && kid.bytes().all(|b| b.is_ascii_graphic())
}

/// Verifies the signature with `key` under exactly `alg` and deserialises the claims strictly
/// (typed numbers, no member name repeated in the header or anywhere in the claims).
pub fn verify<T: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<T, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::TooLarge);
    }
    if token.split('.').count() != 3 {
        return Err(JwsError::Malformed);
    }
    strict_segment(token, 0, "header")?;
    let mut v = Validation::new(alg);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    let data =
        jsonwebtoken::decode::<serde_json::Value>(token, key, &v).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithm
            | jsonwebtoken::errors::ErrorKind::InvalidAlgorithmName
            | jsonwebtoken::errors::ErrorKind::InvalidEcdsaKey
            | jsonwebtoken::errors::ErrorKind::InvalidRsaKey(_) => JwsError::BadSignature,
            _ => JwsError::Malformed,
        })?;
    drop(data);
    claims(token)
}

/// The claims of a token whose signature was verified (now or, by `verified::verify`, before),
/// read strictly: serde_json keeps the last of repeated names (also in a `flatten`ed map of
/// other claims), so the raw payload is first checked for repeats at every depth, then read.
pub(crate) fn claims<T: DeserializeOwned>(token: &str) -> Result<T, JwsError> {
    let raw = strict_segment(token, 1, "claims")?;
    serde_json::from_slice(&raw).map_err(|_| JwsError::BadClaims)
}

/// The claims of a token recalled from the memory of verified tokens: those exact bytes
/// (the memory is keyed by a digest of the whole token) passed `verify`, repeated-member walk
/// included, when they were remembered, so only the typed read is done again.
pub(crate) fn remembered_claims<T: DeserializeOwned>(token: &str) -> Result<T, JwsError> {
    let segment = token.split('.').nth(1).ok_or(JwsError::Malformed)?;
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, segment)
        .map_err(|_| JwsError::Malformed)?;
    serde_json::from_slice(&raw).map_err(|_| JwsError::BadClaims)
}

/// `aud` may be a string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(untagged)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn contains(&self, v: &str) -> bool {
        match self {
            Self::One(s) => s == v,
            Self::Many(all) => all.iter().any(|s| s == v),
        }
    }
    pub fn as_single(&self) -> Option<&str> {
        match self {
            Self::One(s) => Some(s),
            Self::Many(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn key() -> (jsonwebtoken::EncodingKey, DecodingKey) {
        let k = crate::keys::generate(crate::keys::SigningAlgorithm::Es256).expect("key");
        (
            crate::keys::encoding_key(crate::keys::SigningAlgorithm::Es256, &k.private_der),
            DecodingKey::from_jwk(&k.public_jwk).expect("decoding key"),
        )
    }

    /// A token over exactly these header and payload texts, validly signed.
    fn raw(k: &jsonwebtoken::EncodingKey, header: &str, payload: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(header);
        let p = URL_SAFE_NO_PAD.encode(payload);
        let sig = jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), k, Algorithm::ES256)
            .expect("sign");
        format!("{h}.{p}.{sig}")
    }

    type Claims = serde_json::Map<String, serde_json::Value>;

    /// Case 72 / A14: a validly signed token repeating a name in its header or anywhere in its
    /// claims is refused, whatever type the caller reads the claims into.
    #[test]
    fn repeated_member_names_are_refused_in_header_and_claims() {
        let (ek, dk) = key();
        let h = r#"{"alg":"ES256","typ":"at+jwt"}"#;
        let good = raw(
            &ek,
            h,
            r#"{"sub":"pat","email":"pat@x","groups":["staff"]}"#,
        );
        let c: Claims = verify(&good, &dk, Algorithm::ES256).expect("plain token verifies");
        assert_eq!(c["email"], "pat@x");
        for (payload, name) in [
            (r#"{"sub":"pat","email":"pat@x","email":"ceo@x"}"#, "email"),
            (
                r#"{"sub":"pat","groups":["staff"],"groups":["admins"]}"#,
                "groups",
            ),
            (
                r#"{"sub":"pat","act":{"sub":"a","act":{"sub":"b","sub":"c"}}}"#,
                "sub",
            ),
            (r#"{"sub":"pat","may_act":{"sub":"a","sub":"b"}}"#, "sub"),
            (r#"{"sub":"pat","em\u0061il":"x","email":"y"}"#, "email"),
        ] {
            let t = raw(&ek, h, payload);
            assert_eq!(
                verify::<Claims>(&t, &dk, Algorithm::ES256),
                Err(JwsError::RepeatedMember("claims", name.into())),
                "{payload}"
            );
            assert_eq!(
                claims::<serde_json::Value>(&t),
                Err(JwsError::RepeatedMember("claims", name.into()))
            );
            // The header alone is fine.
            assert!(peek_header(&t).is_ok());
        }
        for header in [
            r#"{"alg":"ES256","typ":"at+jwt","typ":"JWT"}"#,
            r#"{"alg":"ES256","alg":"ES256"}"#,
            r#"{"alg":"ES256","kid":"a","kid":"b"}"#,
            r#"{"alg":"ES256","crit":["x"],"x":{"y":1,"y":2}}"#,
        ] {
            let t = raw(&ek, header, r#"{"sub":"pat"}"#);
            assert!(
                matches!(peek_header(&t), Err(JwsError::RepeatedMember("header", _))),
                "{header}"
            );
            assert!(
                matches!(
                    verify::<Claims>(&t, &dk, Algorithm::ES256),
                    Err(JwsError::RepeatedMember("header", _))
                ),
                "{header}"
            );
        }
    }
}
