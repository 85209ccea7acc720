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
}

/// Parses the header only (bounded size); the result is untrusted.
pub fn peek_header(token: &str) -> Result<Header, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::TooLarge);
    }
    if token.split('.').count() != 3 {
        return Err(JwsError::Malformed);
    }
    jsonwebtoken::decode_header(token).map_err(|_| JwsError::Malformed)
}

/// `kid` values are lookup keys only; anything odd is refused before lookup (case A6).
pub fn sane_kid(kid: &str) -> bool {
    !kid.is_empty() && kid.len() <= 128 && kid.bytes().all(|b| b.is_ascii_graphic())
}

/// Verifies the signature with `key` under exactly `alg` and deserialises the claims strictly
/// (typed numbers, no duplicate members).
pub fn verify<T: DeserializeOwned>(
    token: &str,
    key: &DecodingKey,
    alg: Algorithm,
) -> Result<T, JwsError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JwsError::TooLarge);
    }
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
/// read strictly: serde_json::Value keeps the last duplicate, so the typed pass runs on the raw
/// payload text.
pub(crate) fn claims<T: DeserializeOwned>(token: &str) -> Result<T, JwsError> {
    let payload = token.split('.').nth(1).ok_or(JwsError::Malformed)?;
    let raw = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
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
