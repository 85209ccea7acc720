//! RFC 8414 metadata and the JWKS, served from pre-serialised bytes with ETag.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::environment::Environment;
use entente_domain::keys::SigningAlgorithm;

use crate::state::AppState;

pub fn metadata(issuer: &str) -> serde_json::Value {
    let algs: Vec<&str> = SigningAlgorithm::ALL.iter().map(|a| a.as_str()).collect();
    serde_json::json!({
        "issuer": issuer,
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
        "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "grant_types_supported": entente_domain::federation::GRANT_TYPES,
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "EdDSA", "PS256", "RS256"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "EdDSA", "PS256", "RS256"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt"],
        "revocation_endpoint_auth_signing_alg_values_supported": ["ES256", "ES384", "EdDSA", "PS256", "RS256"],
        "id_token_signing_alg_values_supported": algs,
        "subject_types_supported": ["public"],
    })
}

pub async fn oauth_metadata(
    State(state): State<AppState>,
    env: Option<Extension<Environment>>,
) -> Response {
    let body = match super::environment_of(env) {
        Environment::Production => state.discovery_json.clone(),
        Environment::Sandbox => state.sandbox_discovery_json.clone(),
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        body,
    )
        .into_response()
}

pub async fn jwks(
    State(state): State<AppState>,
    env: Option<Extension<Environment>>,
    headers: HeaderMap,
) -> Response {
    let keys = state.keys_of(super::environment_of(env));
    let etag = HeaderValue::from_str(&keys.etag).unwrap_or(HeaderValue::from_static("\"0\""));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == keys.etag.as_bytes())
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (header::ETAG, etag),
        ],
        keys.jwks_json.clone(),
    )
        .into_response()
}
