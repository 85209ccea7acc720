//! Signing keys: their timelines, the rotation policy, rotate now, emergency revoke.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::environment::Environment;
use entente_domain::keyring::RETIREMENT_SKEW;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiResult, Json, Path, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyEvent {
    pub at: String,
    /// key.create, key.activate, key.retire, key.revoke, …
    pub action: String,
    /// The state the key entered.
    pub state: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SigningKey {
    pub kid: String,
    /// production or sandbox: each environment has its own keys and JWKS.
    pub environment: String,
    pub algorithm: String,
    /// pending, active, retiring, retired or revoked.
    pub state: String,
    pub created_at: String,
    pub state_since: String,
    pub timeline: Vec<KeyEvent>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotationPolicy {
    /// An active key older than this gets a successor (seconds).
    #[schema(example = 7776000)]
    pub rotation_interval: i64,
    /// How long a successor is published before it signs (seconds, ≥ the JWKS cache lifetime).
    #[schema(example = 86400)]
    pub publish_lead: i64,
    /// How long a retired key stays published (seconds, ≥ the longest token lifetime + 60 s).
    #[schema(example = 3660)]
    pub retirement_grace: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Keys {
    pub keys: Vec<SigningKey>,
    pub policy: RotationPolicy,
    pub algorithm: String,
    /// The least retirement grace the policy may have now.
    pub min_retirement_grace: i64,
}

#[utoipa::path(get, path = "/admin/api/v1/keys", tag = "keys",
    responses((status = 200, description = "Production's keys first, newest first within each environment, with the rotation policy", body = Keys), Refusals))]
pub async fn list_keys(State(state): State<AppState>) -> ApiResult<Response> {
    let mut keys = vec![];
    for k in state.store.signing_keys().await? {
        let timeline = state
            .store
            .key_timeline(&k.kid)
            .await?
            .into_iter()
            .map(|(at, action, state)| KeyEvent {
                at: time_text(at),
                action,
                state,
            })
            .collect();
        keys.push(SigningKey {
            kid: k.kid,
            environment: k.environment.to_string(),
            algorithm: k.algorithm,
            state: k.state.to_string(),
            created_at: time_text(k.created_at),
            state_since: time_text(k.state_since),
            timeline,
        });
    }
    let p = state.rotation();
    let longest = state.store.longest_token_lifetime().await?;
    Ok(ok(
        StatusCode::OK,
        Keys {
            keys,
            algorithm: p.algorithm.as_str().to_owned(),
            policy: RotationPolicy {
                rotation_interval: p.rotation_interval,
                publish_lead: p.publish_lead,
                retirement_grace: p.max_token_lifetime,
            },
            min_retirement_grace: longest + RETIREMENT_SKEW,
        },
    ))
}

#[utoipa::path(put, path = "/admin/api/v1/keys/policy", tag = "keys", request_body = RotationPolicy,
    responses((status = 200, body = RotationPolicy), Refusals))]
pub async fn put_policy(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<RotationPolicy>,
) -> ApiResult<Response> {
    state
        .ops()
        .set_key_policy(
            &caller.acting(),
            body.rotation_interval,
            body.publish_lead,
            body.retirement_grace,
            now(),
        )
        .await?;
    Ok(ok(StatusCode::OK, body))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// Sign with the new key at once (the old one keeps verifying); otherwise it signs after
    /// the pre-publication window.
    #[serde(default)]
    pub immediate: bool,
    /// Whose keys: production (the default) or sandbox.
    #[serde(default)]
    pub environment: Environment,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyChange {
    /// The new key (rotation) or the revoked one (revocation).
    pub kid: String,
    /// The key that signs from now on, after a revocation.
    pub successor: Option<String>,
}

#[utoipa::path(post, path = "/admin/api/v1/keys/rotate", tag = "keys", request_body = Rotation,
    responses((status = 201, description = "A new key, published", body = KeyChange), Refusals))]
pub async fn rotate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<Rotation>,
) -> ApiResult<Response> {
    let kid = state
        .ops()
        .rotate_key(&caller.acting(), body.environment, body.immediate, now())
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        KeyChange {
            kid,
            successor: None,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Revocation {
    /// The key's ID again, typed: the confirmation.
    pub confirm: String,
}

/// Removes the key from the JWKS at once; tokens it signed introspect inactive.
#[utoipa::path(post, path = "/admin/api/v1/keys/{kid}/revoke", tag = "keys",
    params(("kid" = String, Path, description = "The key's ID")),
    request_body = Revocation,
    responses((status = 200, description = "Revoked", body = KeyChange), Refusals))]
pub async fn revoke(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(kid): Path<String>,
    Json(body): Json<Revocation>,
) -> ApiResult<Response> {
    let successor = state
        .ops()
        .revoke_key(&caller.acting(), &kid, &body.confirm, now())
        .await?;
    Ok(ok(StatusCode::OK, KeyChange { kid, successor }))
}
