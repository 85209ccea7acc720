//! A memory of verified signatures, so that a token presented again (a partner's access token
//! exchanged on every call of its app, an Entente token introspected by an API on every
//! request) costs a digest and a lookup instead of a signature verification.
//!
//! Only the signature check is remembered, and only for the very token (the digest covers
//! header, claims and signature) under the very key (its print) that verified it, until the
//! token's `exp` and never longer. Everything else — the issuer being trusted and enabled, the
//! key still being published, times, audience, revocation, the trust rule — is decided on
//! every request by the callers, exactly as without the memory.

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::de::DeserializeOwned;

use crate::jws::{self, JwsError};

/// SHA-256 of a token (the memory's key: tokens themselves are never kept).
pub type TokenDigest = [u8; 32];

/// SHA-256 of a key's public parameters: which key verified a token.
pub type KeyPrint = [u8; 32];

/// Signatures verified before: token digest → (the key that verified it, the token's `exp`).
/// Implementations are bounded; forgetting is always safe (the signature is checked again).
pub trait VerifiedTokens {
    fn recall(&self, digest: &TokenDigest) -> Option<(KeyPrint, i64)>;
    fn remember(&self, digest: TokenDigest, key: KeyPrint, exp: i64);
}

pub fn digest(token: &str) -> TokenDigest {
    sha256(token.as_bytes())
}

/// The print of a key bound to `alg`: its public parameters (nothing optional like `kid` or
/// `use`) and the algorithm, so a token remembered under one algorithm never matches another.
pub fn key_print(jwk: &Jwk, alg: Algorithm) -> KeyPrint {
    // Serialising parsed parameters does not fail; if it did, the debug form (all parameters)
    // still tells keys apart.
    let mut bytes = serde_json::to_vec(&jwk.algorithm)
        .unwrap_or_else(|_| format!("{:?}", jwk.algorithm).into_bytes());
    bytes.extend_from_slice(format!("|{alg:?}").as_bytes());
    sha256(&bytes)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// A key and its print, as the memory needs them.
#[derive(Clone, Copy)]
pub struct KeyRef<'a> {
    pub alg: Algorithm,
    pub key: &'a DecodingKey,
    pub print: &'a KeyPrint,
}

/// `jws::verify`, except that a token this same key verified before, not yet expired at `now`,
/// has its claims read without the signature check. A token that verifies is remembered until
/// its `exp` (as `exp_of` reads it; one without is not remembered).
pub fn verify<T: DeserializeOwned>(
    token: &str,
    key: KeyRef<'_>,
    memory: Option<&dyn VerifiedTokens>,
    now: i64,
    exp_of: impl Fn(&T) -> Option<i64>,
) -> Result<T, JwsError> {
    let Some(memory) = memory else {
        return jws::verify(token, key.key, key.alg);
    };
    let digest = digest(token);
    if let Some((print, exp)) = memory.recall(&digest)
        && print == *key.print
        && exp > now
    {
        return jws::remembered_claims(token);
    }
    let claims: T = jws::verify(token, key.key, key.alg)?;
    if let Some(exp) = exp_of(&claims)
        && exp > now
    {
        memory.remember(digest, *key.print, exp);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    #[derive(Default)]
    struct Memory(RefCell<HashMap<TokenDigest, (KeyPrint, i64)>>);
    impl VerifiedTokens for Memory {
        fn recall(&self, d: &TokenDigest) -> Option<(KeyPrint, i64)> {
            self.0.borrow().get(d).copied()
        }
        fn remember(&self, d: TokenDigest, k: KeyPrint, exp: i64) {
            self.0.borrow_mut().insert(d, (k, exp));
        }
    }

    fn key() -> (jsonwebtoken::EncodingKey, DecodingKey, KeyPrint) {
        let k = crate::keys::generate(crate::keys::SigningAlgorithm::Es256).expect("key");
        let jwk = k.public_jwk.clone();
        (
            crate::keys::encoding_key(crate::keys::SigningAlgorithm::Es256, &k.private_der),
            DecodingKey::from_jwk(&jwk).expect("decoding key"),
            key_print(&jwk, Algorithm::ES256),
        )
    }

    fn token(k: &jsonwebtoken::EncodingKey, exp: i64) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(Algorithm::ES256),
            &serde_json::json!({"sub": "alice", "exp": exp}),
            k,
        )
        .expect("sign")
    }

    type Claims = serde_json::Map<String, serde_json::Value>;
    fn exp(c: &Claims) -> Option<i64> {
        c.get("exp").and_then(serde_json::Value::as_i64)
    }

    #[test]
    fn a_verified_token_is_remembered_for_its_key_until_it_expires() {
        let (ek, dk, print) = key();
        let m = Memory::default();
        let k = KeyRef {
            alg: Algorithm::ES256,
            key: &dk,
            print: &print,
        };
        let t = token(&ek, 1_000);
        let c: Claims = verify(&t, k, Some(&m), 100, exp).expect("verifies");
        assert_eq!(c["sub"], "alice");
        assert_eq!(m.0.borrow().get(&digest(&t)), Some(&(print, 1_000)));
        // Remembered: read again (a hit reads the same claims).
        let again: Claims = verify(&t, k, Some(&m), 200, exp).expect("remembered");
        assert_eq!(again, c);
        // An entry of another key is not trusted: the signature is checked again, and the
        // token remembered under the key that verified it.
        m.0.borrow_mut().insert(digest(&t), ([9; 32], 1_000));
        let checked: Claims = verify(&t, k, Some(&m), 100, exp).expect("verified again");
        assert_eq!(checked, c);
        assert_eq!(m.0.borrow().get(&digest(&t)), Some(&(print, 1_000)));
    }

    #[test]
    fn another_key_or_a_tampered_token_is_verified_and_refused() {
        let (ek, dk, print) = key();
        let (_, dk2, print2) = key();
        let m = Memory::default();
        let t = token(&ek, 1_000);
        let k = KeyRef {
            alg: Algorithm::ES256,
            key: &dk,
            print: &print,
        };
        let _: Claims = verify(&t, k, Some(&m), 100, exp).expect("verifies");
        // The same token under another key (rotated, or the same kid with new material): the
        // print differs, so the signature is checked, and fails.
        let k2 = KeyRef {
            alg: Algorithm::ES256,
            key: &dk2,
            print: &print2,
        };
        assert_eq!(
            verify::<Claims>(&t, k2, Some(&m), 100, exp).err(),
            Some(JwsError::BadSignature)
        );
        // One character changed in the claims: another digest, a full check, refused.
        let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
        parts[1].push('A');
        let tampered = parts.join(".");
        assert!(verify::<Claims>(&tampered, k, Some(&m), 100, exp).is_err());
        // Past its exp, a remembered token is verified again rather than recalled.
        let mut bad_sig: Vec<String> = t.split('.').map(str::to_owned).collect();
        bad_sig[2] = bad_sig[2].chars().rev().collect();
        let forged = bad_sig.join(".");
        m.0.borrow_mut().insert(digest(&forged), (print, 1_000));
        assert!(verify::<Claims>(&forged, k, Some(&m), 1_000, exp).is_err());
        // Never remembered: a token without exp, or already expired.
        let m2 = Memory::default();
        let _: Claims = verify(&token(&ek, 50), k, Some(&m2), 100, exp).expect("signature ok");
        assert!(m2.0.borrow().is_empty());
    }

    /// The trust boundary, stated: an entry is believed. Only a verified token is ever
    /// remembered, so a token with a broken signature is accepted only if something put it
    /// there — here the test does, which proves a hit skips the check.
    #[test]
    fn a_hit_skips_the_signature_check_and_only_a_hit() {
        let (ek, dk, print) = key();
        let k = KeyRef {
            alg: Algorithm::ES256,
            key: &dk,
            print: &print,
        };
        let mut parts: Vec<String> = token(&ek, 1_000).split('.').map(str::to_owned).collect();
        parts[2] = parts[2].chars().rev().collect();
        let forged = parts.join(".");
        let m = Memory::default();
        assert!(
            verify::<Claims>(&forged, k, Some(&m), 100, exp).is_err(),
            "not remembered: checked and refused"
        );
        assert!(m.0.borrow().is_empty());
        m.0.borrow_mut().insert(digest(&forged), (print, 1_000));
        assert!(verify::<Claims>(&forged, k, Some(&m), 100, exp).is_ok());
        // The same key under another algorithm has another print.
        let jwk = serde_json::from_value::<Jwk>(serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"
        }))
        .expect("jwk");
        assert_ne!(
            key_print(&jwk, Algorithm::ES256),
            key_print(&jwk, Algorithm::ES384)
        );
    }
}
