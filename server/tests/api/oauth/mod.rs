//! The token service over real HTTP, on SQLite and PostgreSQL. Security case ids (A1…H58) refer
//! to ../shared/guide/security-tests.md. This module holds what its submodules share (decoding a
//! token's parts, a client's ES256 key and its client assertions); the tests are in them.

use crate::common::{API, Creds, OTHER_API, TestServer, assert_oauth_error};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_domain::keys::{self, SigningAlgorithm};
use entente_server::state::now;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

mod client_assertions;
mod issuance;
mod revocation;
mod signing_keys;

fn decode_part(token: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

pub(crate) fn es256_client_key() -> (String, jsonwebtoken::EncodingKey, String) {
    let k = keys::generate(SigningAlgorithm::Es256).unwrap();
    let jwks = json!({"keys": [k.public_jwk]}).to_string();
    (
        jwks,
        keys::encoding_key(SigningAlgorithm::Es256, &k.private_der),
        k.kid,
    )
}

pub(crate) fn assertion(
    key: &jsonwebtoken::EncodingKey,
    kid: &str,
    client_id: &str,
    aud: Value,
    jti: &str,
) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.to_owned());
    let n = now();
    jsonwebtoken::encode(&h, &json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": n, "exp": n + 60, "jti": jti}), key).unwrap()
}
