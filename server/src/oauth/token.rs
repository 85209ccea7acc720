//! `POST /oauth2/token` (RFC 6749 §3.2): parse → authenticate → dispatch to the grant's file.
//! No database write happens on this path for client_credentials with client secrets; issuance
//! is counted in memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::federation::{
    GRANT_JWT_BEARER, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE, GRANT_TYPES,
};

use super::caller::Caller;
use super::{
    client_auth, form, token_client_credentials, token_exchange, token_jwt_bearer, token_refresh,
};
use crate::http::errors::ErrorResponse;
use crate::state::snapshot::ClientRole;
use crate::state::{AppState, now};

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match dispatch(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => ErrorResponse(e).into_response(),
    }
}

async fn dispatch(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, OAuthError> {
    let form = form::read(headers, body).await?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if !GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::unsupported_grant_type());
    }
    let now = now();
    let snapshot = state.snapshot();
    let client = client_auth::authenticate(state, &snapshot, headers, &form, now).await?;
    let ClientRole::Partner {
        partner_id,
        partner_slug,
    } = &client.role
    else {
        return Err(OAuthError::unauthorized_client(
            "resource-server clients cannot obtain tokens",
        ));
    };
    let caller = Caller {
        client,
        partner_id,
        partner_slug,
    };
    match grant_type {
        GRANT_TOKEN_EXCHANGE => token_exchange::grant(state, &snapshot, &caller, &form, now).await,
        GRANT_JWT_BEARER => token_jwt_bearer::grant(state, &snapshot, &caller, &form, now).await,
        GRANT_REFRESH_TOKEN => token_refresh::grant(state, &snapshot, &caller, &form, now).await,
        _ => token_client_credentials::grant(state, &snapshot, &caller, &form, now),
    }
}
