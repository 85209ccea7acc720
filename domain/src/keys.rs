//! Signing keys: generation, public JWK, RFC 7638 thumbprint as `kid`.

use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair};
use jsonwebtoken::jwk::{CommonParameters, Jwk, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlgorithm {
    Es256,
    EdDsa,
    Ps256,
    Rs256,
}

impl SigningAlgorithm {
    pub const ALL: [SigningAlgorithm; 4] = [Self::Es256, Self::EdDsa, Self::Ps256, Self::Rs256];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Es256 => "ES256",
            Self::EdDsa => "EdDSA",
            Self::Ps256 => "PS256",
            Self::Rs256 => "RS256",
        }
    }

    pub fn jwt_algorithm(self) -> Algorithm {
        match self {
            Self::Es256 => Algorithm::ES256,
            Self::EdDsa => Algorithm::EdDSA,
            Self::Ps256 => Algorithm::PS256,
            Self::Rs256 => Algorithm::RS256,
        }
    }
}

impl FromStr for SigningAlgorithm {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| {
                format!("unsupported signing algorithm {s:?}; use ES256, EdDSA, PS256 or RS256")
            })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key generation failed")]
    Generate,
    #[error("key material is not valid for {0}")]
    Invalid(&'static str),
}

/// Freshly generated key material: the private part (DER, to be sealed) and the public JWK.
pub struct GeneratedKey {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    pub private_der: Vec<u8>,
    pub public_jwk: Jwk,
}

pub fn generate(alg: SigningAlgorithm) -> Result<GeneratedKey, KeyError> {
    let rng = SystemRandom::new();
    let private_der = match alg {
        SigningAlgorithm::Es256 => {
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| KeyError::Generate)?
                .as_ref()
                .to_vec()
        }
        // jsonwebtoken derives the public part of an Ed25519 key from a PKCS#8 v1 document.
        SigningAlgorithm::EdDsa => Ed25519KeyPair::generate_pkcs8v1(&rng)
            .map_err(|_| KeyError::Generate)?
            .as_ref()
            .to_vec(),
        SigningAlgorithm::Ps256 | SigningAlgorithm::Rs256 => {
            let kp = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                .map_err(|_| KeyError::Generate)?;
            let pkcs8 = kp.as_der().map_err(|_| KeyError::Generate)?;
            pkcs8_rsa_to_pkcs1(pkcs8.as_ref())?.to_vec()
        }
    };
    let public_jwk = public_jwk(alg, &private_der)?;
    let kid = public_jwk
        .common
        .key_id
        .clone()
        .ok_or(KeyError::Invalid(alg.as_str()))?;
    Ok(GeneratedKey {
        kid,
        algorithm: alg,
        private_der,
        public_jwk,
    })
}

/// The encoding key for stored private DER (PKCS#8 for EC/Ed, PKCS#1 for RSA).
pub fn encoding_key(alg: SigningAlgorithm, private_der: &[u8]) -> EncodingKey {
    match alg {
        SigningAlgorithm::Es256 => EncodingKey::from_ec_der(private_der),
        SigningAlgorithm::EdDsa => EncodingKey::from_ed_der(private_der),
        SigningAlgorithm::Ps256 | SigningAlgorithm::Rs256 => EncodingKey::from_rsa_der(private_der),
    }
}

/// Public JWK with `kid` = RFC 7638 SHA-256 thumbprint, `alg` and `use: sig`. Never holds private members.
pub fn public_jwk(alg: SigningAlgorithm, private_der: &[u8]) -> Result<Jwk, KeyError> {
    let ek = encoding_key(alg, private_der);
    let mut jwk = Jwk::from_encoding_key(&ek, alg.jwt_algorithm())
        .map_err(|_| KeyError::Invalid(alg.as_str()))?;
    let kid = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| KeyError::Invalid(alg.as_str()))?;
    jwk.common = CommonParameters {
        public_key_use: Some(PublicKeyUse::Signature),
        key_algorithm: Some(key_algorithm(alg)),
        key_id: Some(kid),
        ..Default::default()
    };
    Ok(jwk)
}

pub fn decoding_key(jwk: &Jwk) -> Result<DecodingKey, KeyError> {
    DecodingKey::from_jwk(jwk).map_err(|_| KeyError::Invalid("verification"))
}

fn key_algorithm(alg: SigningAlgorithm) -> KeyAlgorithm {
    match alg {
        SigningAlgorithm::Es256 => KeyAlgorithm::ES256,
        SigningAlgorithm::EdDsa => KeyAlgorithm::EdDSA,
        SigningAlgorithm::Ps256 => KeyAlgorithm::PS256,
        SigningAlgorithm::Rs256 => KeyAlgorithm::RS256,
    }
}

/// aws-lc-rs exports RSA keys as PKCS#8; jsonwebtoken signs with PKCS#1. A PKCS#8 v1 RSA
/// document is `SEQ { INT 0, SEQ { rsaEncryption, NULL }, OCTET STRING { RSAPrivateKey } }`.
fn pkcs8_rsa_to_pkcs1(der: &[u8]) -> Result<&[u8], KeyError> {
    const ALG_ID: [u8; 18] = [
        0x02, 0x01, 0x00, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01,
        0x01, 0x05, 0x00,
    ];
    let bad = || KeyError::Invalid("RSA PKCS#8");
    let (outer, _) = der_element(der, 0x30).ok_or_else(bad)?;
    let rest = outer.strip_prefix(&ALG_ID[..]).ok_or_else(bad)?;
    let (inner, _) = der_element(rest, 0x04).ok_or_else(bad)?;
    Ok(inner)
}

/// Returns (content, remainder) of a DER element with the given tag.
fn der_element(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some(rest.split_at(len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_with_its_public_jwk() {
        for alg in SigningAlgorithm::ALL {
            let k = generate(alg).unwrap();
            let mut header = jsonwebtoken::Header::new(alg.jwt_algorithm());
            header.kid = Some(k.kid.clone());
            let token = jsonwebtoken::encode(
                &header,
                &serde_json::json!({"a": 1}),
                &encoding_key(alg, &k.private_der),
            )
            .unwrap();
            let mut v = jsonwebtoken::Validation::new(alg.jwt_algorithm());
            v.required_spec_claims.clear();
            v.validate_exp = false;
            let dk = decoding_key(&k.public_jwk).unwrap();
            let data = jsonwebtoken::decode::<serde_json::Value>(&token, &dk, &v).unwrap();
            assert_eq!(data.claims["a"], 1, "{alg:?}");
        }
    }

    #[test]
    fn public_jwk_has_no_private_members_and_kid_is_thumbprint() {
        for alg in SigningAlgorithm::ALL {
            let k = generate(alg).unwrap();
            let v = serde_json::to_value(&k.public_jwk).unwrap();
            for m in ["d", "p", "q", "dp", "dq", "qi", "k"] {
                assert!(v.get(m).is_none(), "{alg:?} leaks {m}");
            }
            assert_eq!(v["use"], "sig");
            assert_eq!(v["alg"], alg.as_str());
            assert_eq!(v["kid"].as_str().unwrap().len(), 43);
        }
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // RFC 7638 §3.1 example key and its thumbprint.
        let jwk: Jwk = serde_json::from_value(serde_json::json!({
            "kty": "RSA", "e": "AQAB", "alg": "RS256",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        })).unwrap();
        assert_eq!(
            jwk.thumbprint(ThumbprintHash::SHA256).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
