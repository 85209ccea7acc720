//! Registered public keys of others (client keys now, partner issuers later): which keys are
//! usable, and under exactly which algorithm (security cases A2, A3, A16).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey};

/// A public key ready for verification, bound to one algorithm.
#[derive(Clone)]
pub struct VerifyingKey {
    pub kid: Option<String>,
    pub alg: Algorithm,
    pub key: DecodingKey,
    /// Which key this is, for the memory of verified tokens.
    pub print: crate::verified::KeyPrint,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VerifyingKey({:?}, {:?})", self.kid, self.alg)
    }
}

/// The usable keys of a JWKS document, and one line per refused key saying why.
pub fn parse(json: &str) -> Result<(Vec<VerifyingKey>, Vec<String>), String> {
    parse_with(json, None)
}

/// As `parse`, with the algorithm an RSA key without `alg` is bound to: some providers (Entra
/// ID) publish RSA keys so and say "RS256 only" in their discovery document or registration.
/// Without it such keys are refused, since an RSA key may not be guessed into an algorithm.
pub fn parse_with(
    json: &str,
    rsa_default: Option<Algorithm>,
) -> Result<(Vec<VerifyingKey>, Vec<String>), String> {
    // A repeated member (`kty`, `alg`, `n`, `keys`…) could be read one way here and another
    // way by the partner or a resource server (case 72).
    match crate::json_strict::check(json.as_bytes()) {
        Ok(()) => {}
        Err(crate::json_strict::StrictJsonError::Repeated(name)) => {
            return Err(format!(
                "member name {name:?} appears more than once in an object of the JWKS, so which value counts is ambiguous"
            ));
        }
        Err(crate::json_strict::StrictJsonError::Invalid) => {
            return Err("JWKS is not valid JSON".into());
        }
    }
    let doc: serde_json::Value =
        serde_json::from_str(json).map_err(|_| "JWKS is not valid JSON".to_string())?;
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or("JWKS must be an object with a \"keys\" array")?;
    let mut ok = Vec::new();
    let mut refused = Vec::new();
    for (i, raw) in keys.iter().enumerate() {
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| raw.get(m).is_some())
        {
            return Err(format!(
                "key {i} holds private or symmetric key material; register public keys only"
            ));
        }
        match serde_json::from_value::<Jwk>(raw.clone())
            .map_err(|_| "unsupported key type".to_string())
            .and_then(|j| usable(&j, rsa_default))
        {
            Ok(k) => ok.push(k),
            Err(why) => refused.push(format!("key {i}: {why}")),
        }
    }
    Ok((ok, refused))
}

/// The algorithm an RSA key without `alg` is bound to: the only RSA algorithm in `allowed`
/// (an issuer's registered list, a provider's advertised one), else none.
pub fn sole_rsa(allowed: &[Algorithm]) -> Option<Algorithm> {
    let mut rsa = allowed.iter().copied().filter(|a| {
        matches!(
            a,
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::PS256 | Algorithm::PS384
        )
    });
    match (rsa.next(), rsa.next()) {
        (Some(a), None) => Some(a),
        _ => None,
    }
}

/// A JWKS document a client registers: at least one usable public key, and no private
/// material (the parser refuses that outright). Returns how many keys are usable and why the
/// others are not.
pub fn check_document(json: &str) -> Result<(usize, Vec<String>), String> {
    if json.len() > MAX_DOCUMENT {
        return Err(format!(
            "the JWKS is longer than {} KiB",
            MAX_DOCUMENT / 1024
        ));
    }
    let (keys, refused) = parse(json)?;
    if keys.is_empty() {
        return Err(if refused.is_empty() {
            "the JWKS has no keys".into()
        } else {
            format!("the JWKS has no usable public key ({})", refused.join("; "))
        });
    }
    Ok((keys.len(), refused))
}

/// The longest JWKS document a client may register (a fetched one has its own cap).
pub const MAX_DOCUMENT: usize = 64 * 1024;

fn usable(jwk: &Jwk, rsa_default: Option<Algorithm>) -> Result<VerifyingKey, String> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != jsonwebtoken::jwk::PublicKeyUse::Signature)
    {
        return Err("key is not for signatures".into());
    }
    let alg = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES256))
            if p.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (AlgorithmParameters::EllipticCurve(p), None | Some(KeyAlgorithm::ES384))
            if p.curve == EllipticCurve::P384 =>
        {
            Algorithm::ES384
        }
        (AlgorithmParameters::OctetKeyPair(p), None | Some(KeyAlgorithm::EdDSA))
            if p.curve == EllipticCurve::Ed25519 =>
        {
            Algorithm::EdDSA
        }
        (AlgorithmParameters::RSA(p), named) => {
            let alg = match named {
                Some(KeyAlgorithm::RS256) => Algorithm::RS256,
                Some(KeyAlgorithm::PS256) => Algorithm::PS256,
                Some(KeyAlgorithm::RS384) => Algorithm::RS384,
                Some(KeyAlgorithm::PS384) => Algorithm::PS384,
                None => match rsa_default {
                    Some(
                        a @ (Algorithm::RS256
                        | Algorithm::PS256
                        | Algorithm::RS384
                        | Algorithm::PS384),
                    ) => a,
                    _ => return Err("RSA keys must name their algorithm (alg)".into()),
                },
                Some(_) => return Err("unsupported key type or algorithm".into()),
            };
            let n = URL_SAFE_NO_PAD
                .decode(p.n.as_bytes())
                .map_err(|_| "RSA modulus is not base64url")?;
            let bits = n.iter().skip_while(|b| **b == 0).count() * 8;
            if bits < 2048 {
                return Err("RSA keys must be at least 2048 bits".into());
            }
            alg
        }
        _ => return Err("unsupported key type or algorithm".into()),
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|_| "key parameters are invalid")?;
    let kid = jwk.common.key_id.clone();
    if kid.as_deref().is_some_and(|k| !crate::jws::sane_kid(k)) {
        return Err("kid must be 1–128 printable characters".into());
    }
    Ok(VerifyingKey {
        kid,
        alg,
        key,
        print: crate::verified::key_print(jwk, alg),
    })
}

/// The key a token names: by `kid` when given, else the only key there is.
pub fn select<'a>(keys: &'a [VerifyingKey], kid: Option<&str>) -> Option<&'a VerifyingKey> {
    match kid {
        Some(k) => keys.iter().find(|v| v.kid.as_deref() == Some(k)),
        None if keys.len() == 1 => keys.first(),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{SigningAlgorithm, generate};

    #[test]
    fn accepts_generated_public_keys_with_their_algorithm() {
        for alg in SigningAlgorithm::ALL {
            let k = generate(alg).unwrap();
            let doc = serde_json::json!({"keys": [k.public_jwk]}).to_string();
            let (keys, refused) = parse(&doc).unwrap();
            assert!(refused.is_empty(), "{refused:?}");
            assert_eq!(keys[0].alg, alg.jwt_algorithm());
        }
    }

    #[test]
    fn refuses_symmetric_private_small_and_unknown_keys() {
        assert!(parse(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).is_err());
        let k = generate(SigningAlgorithm::Es256).unwrap();
        let mut with_d = serde_json::to_value(&k.public_jwk).unwrap();
        with_d["d"] = "AAAA".into();
        assert!(parse(&serde_json::json!({"keys": [with_d]}).to_string()).is_err());
        let small = serde_json::json!({"keys":[{"kty":"RSA","alg":"RS256","e":"AQAB","n": URL_SAFE_NO_PAD.encode([0xc5u8; 128])}]});
        let (ok, refused) = parse(&small.to_string()).unwrap();
        assert!(ok.is_empty() && refused.len() == 1);
        let (ok, refused) = parse(r#"{"keys":[{"kty":"XYZ","x":"1"}]}"#).unwrap();
        assert!(ok.is_empty() && refused.len() == 1);
    }

    #[test]
    fn ec_key_with_foreign_alg_is_refused() {
        let k = generate(SigningAlgorithm::Es256).unwrap();
        let mut v = serde_json::to_value(&k.public_jwk).unwrap();
        v["alg"] = "RS256".into();
        let (ok, _) = parse(&serde_json::json!({"keys": [v]}).to_string()).unwrap();
        assert!(ok.is_empty());
    }

    fn rsa_without_alg() -> String {
        let n = URL_SAFE_NO_PAD.encode([0xc5u8; 256]);
        serde_json::json!({"keys":[{"kty":"RSA","kid":"entra-1","use":"sig","e":"AQAB","n": n}]})
            .to_string()
    }

    #[test]
    fn rsa_key_without_alg_needs_a_stated_default() {
        let doc = rsa_without_alg();
        let (ok, refused) = parse(&doc).unwrap();
        assert!(ok.is_empty() && refused[0].contains("alg"), "{refused:?}");
        let (ok, _) = parse_with(&doc, Some(Algorithm::RS256)).unwrap();
        assert_eq!(ok[0].alg, Algorithm::RS256);
        // A default that is not an RSA algorithm binds nothing.
        let (ok, _) = parse_with(&doc, Some(Algorithm::ES256)).unwrap();
        assert!(ok.is_empty());
        assert!(
            parse_with(&doc, Some(Algorithm::HS256))
                .unwrap()
                .0
                .is_empty()
        );
        assert_eq!(
            sole_rsa(&[Algorithm::ES256, Algorithm::RS256]),
            Some(Algorithm::RS256)
        );
        assert_eq!(sole_rsa(&[Algorithm::RS256, Algorithm::PS256]), None);
        assert_eq!(sole_rsa(&[Algorithm::ES256]), None);
    }

    /// Case 72: a member named twice, in the document or in a key, refuses the document.
    #[test]
    fn repeated_member_names_refuse_the_document() {
        let k = generate(SigningAlgorithm::Es256).unwrap();
        let jwk = serde_json::to_string(&k.public_jwk).unwrap();
        let good = format!(r#"{{"keys":[{jwk}]}}"#);
        assert_eq!(parse(&good).unwrap().0.len(), 1);
        let other = generate(SigningAlgorithm::Es256).unwrap();
        let x_other = serde_json::to_value(&other.public_jwk).unwrap()["x"].clone();
        for (what, doc) in [
            (
                "x",
                format!(
                    r#"{{"keys":[{}, "x":{x_other}}}]}}"#,
                    jwk.trim_end_matches('}')
                ),
            ),
            ("keys", format!(r#"{{"keys":[],"keys":[{jwk}]}}"#)),
            (
                "kid",
                format!(
                    r#"{{"keys":[{}, "kid":"other"}}]}}"#,
                    jwk.trim_end_matches('}')
                ),
            ),
        ] {
            let e = parse(&doc).unwrap_err();
            assert!(e.contains(&format!("{what:?}")), "{what}: {e}");
            assert!(check_document(&doc).is_err(), "{what}");
            assert!(parse_with(&doc, Some(Algorithm::RS256)).is_err(), "{what}");
        }
    }

    #[test]
    fn a_registered_document_needs_a_usable_key() {
        let k = generate(SigningAlgorithm::Es256).unwrap();
        let good = serde_json::json!({"keys": [k.public_jwk]}).to_string();
        assert_eq!(check_document(&good).unwrap().0, 1);
        assert!(
            check_document(r#"{"keys":[]}"#)
                .unwrap_err()
                .contains("no keys")
        );
        assert!(
            check_document(&rsa_without_alg())
                .unwrap_err()
                .contains("no usable")
        );
        assert!(check_document("[]").is_err());
        let long = format!(r#"{{"keys":[],"x":"{}"}}"#, "a".repeat(MAX_DOCUMENT));
        assert!(check_document(&long).unwrap_err().contains("KiB"));
    }
}
