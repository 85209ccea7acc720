//! The sandbox's built-in test identity provider (`entente_domain::test_idp`): its key, derived
//! from the master key so every replica holds the same one, its published JWKS, and minting.

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use entente_domain::keys::{SigningAlgorithm, encoding_key};
use entente_domain::sealing::MasterKey;
use entente_domain::test_idp::{self, Kind};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

const PURPOSE: &str = "entente sandbox test idp key v1";

pub struct TestIdp {
    pub issuer: String,
    pub kid: String,
    key: EncodingKey,
    /// `{"keys": [its public key]}`.
    pub jwks: Bytes,
}

impl TestIdp {
    pub fn new(master: &MasterKey, base: &str) -> anyhow::Result<Self> {
        let derived = master.derive(PURPOSE);
        let seed: [u8; 32] = derived
            .get(..32)
            .and_then(|s| s.try_into().ok())
            .ok_or_else(|| anyhow::anyhow!("the derived test IdP seed is short"))?;
        let k = test_idp::key_from_seed(&seed)?;
        let jwks = serde_json::to_vec(&serde_json::json!({ "keys": [k.public_jwk] }))?;
        Ok(Self {
            issuer: test_idp::issuer(base),
            kid: k.kid,
            key: encoding_key(SigningAlgorithm::EdDsa, &k.private_der),
            jwks: Bytes::from(jwks),
        })
    }

    /// Signs `claims` as a test token of `kind`.
    pub fn mint(&self, kind: &Kind, claims: &serde_json::Value) -> Result<String, String> {
        let mut h = Header::new(Algorithm::EdDSA);
        h.kid = Some(self.kid.clone());
        h.typ = Some(
            match kind {
                Kind::AccessToken => "at+jwt",
                Kind::Assertion => "JWT",
            }
            .into(),
        );
        jsonwebtoken::encode(&h, claims, &self.key).map_err(|e| e.to_string())
    }

    pub fn jwks_text(&self) -> String {
        String::from_utf8_lossy(&self.jwks).into_owned()
    }
}

/// `GET /sandbox/test-idp/jwks.json`.
pub async fn jwks(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        state.test_idp.jwks.clone(),
    )
        .into_response()
}
