//! Signing access tokens without redoing per token what depends only on the key.
//!
//! `jsonwebtoken::encode` asks its crypto provider for a signer on every call, and the aws-lc
//! provider parses the PKCS#8 key and checks its public point each time — for ES256 about as
//! much work as the signature. Here the provider's signer (still jsonwebtoken's, over aws-lc) is
//! built once per thread and key, and the JOSE header, which is the same for every token of a
//! key, is serialised and encoded once when the key is loaded.

use std::cell::RefCell;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::crypto::JwtSigner;
use jsonwebtoken::{Algorithm, Header};

use serde::Serialize;

thread_local! {
    /// The signer of the key last used on this thread, by kid: a rotation builds a new one.
    /// Per thread because the provider's signer is not `Send`.
    static CONTEXT: RefCell<Option<(String, Box<dyn JwtSigner>)>> = const { RefCell::new(None) };
}

/// The active key of an environment, ready to sign.
pub struct Signer {
    pub kid: String,
    pub alg: Algorithm,
    pub key: jsonwebtoken::EncodingKey,
    /// `base64url` of the JOSE header every access token of this key carries.
    pub header_b64: String,
}

/// `base64url(header)` of every token a key signs: `typ`, `alg` and `kid`, serialised by
/// jsonwebtoken's own `Header`.
pub fn encoded_header(alg: Algorithm, typ: &str, kid: &str) -> Result<String, String> {
    let mut header = Header::new(alg);
    header.typ = Some(typ.to_owned());
    header.kid = Some(kid.to_owned());
    let json = serde_json::to_vec(&header).map_err(|e| e.to_string())?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// The compact JWS of `claims` under the signer's key: its encoded header, the claims, and the
/// signature.
pub fn sign<T: Serialize>(signer: &Signer, claims: &T) -> Result<String, String> {
    let Signer {
        kid,
        alg,
        key,
        header_b64,
    } = signer;
    let alg = *alg;
    let payload = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    let mut token = String::with_capacity(header_b64.len() + payload.len() * 4 / 3 + 100);
    token.push_str(header_b64);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let signature = CONTEXT.with(|cell| {
        let mut cached = cell.borrow_mut();
        if cached.as_ref().is_none_or(|(k, _)| k != kid) {
            let signer = (jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.signer_factory)(&alg, key)
                .map_err(|e| e.to_string())?;
            if signer.algorithm() != alg {
                return Err("the key does not sign with its algorithm".to_string());
            }
            *cached = Some((kid.clone(), signer));
        }
        match cached.as_ref() {
            Some((_, signer)) => signer.try_sign(token.as_bytes()).map_err(|e| e.to_string()),
            None => Err("no signer".to_string()),
        }
    })?;
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_domain::keys::{SigningAlgorithm, encoding_key, generate};
    use jsonwebtoken::{DecodingKey, Validation, decode, jwk::Jwk};

    #[test]
    fn tokens_verify_under_every_algorithm_and_after_a_key_change() {
        for alg in SigningAlgorithm::ALL {
            // Two keys of one algorithm, used in turn on this thread: the cached signer
            // follows the kid.
            for _ in 0..2 {
                let k = generate(alg).unwrap();
                let signer = Signer {
                    kid: k.kid.clone(),
                    alg: alg.jwt_algorithm(),
                    key: encoding_key(alg, &k.private_der),
                    header_b64: encoded_header(alg.jwt_algorithm(), "at+jwt", &k.kid).unwrap(),
                };
                let claims = serde_json::json!({"sub": "alice", "exp": 4_000_000_000u64});
                let token = sign(&signer, &claims).unwrap();
                let jwk: Jwk =
                    serde_json::from_value(serde_json::to_value(&k.public_jwk).unwrap()).unwrap();
                let mut v = Validation::new(alg.jwt_algorithm());
                v.validate_aud = false;
                let data =
                    decode::<serde_json::Value>(&token, &DecodingKey::from_jwk(&jwk).unwrap(), &v)
                        .unwrap();
                assert_eq!(data.claims["sub"], "alice");
                assert_eq!(data.header.typ.as_deref(), Some("at+jwt"));
                assert_eq!(data.header.kid.as_deref(), Some(k.kid.as_str()));
            }
        }
    }
}
