//! `POST /oauth2/token` (RFC 6749 §3.2): parse → authenticate → decide → sign → respond.
//! No database write happens on this path for client secrets; issuance is counted in memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use entente_domain::grant::{self, ClientView, TargetRequest};
use entente_domain::{OAuthError, ScopeSet, token};
use jsonwebtoken::Header;

use super::error::{ErrorResponse, no_store};
use super::{client_auth, form};
use crate::snapshot::ClientRole;
use crate::state::{AppState, now};

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match issue(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => ErrorResponse(e).into_response(),
    }
}

async fn issue(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let form = form::read(headers, body).await?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if grant_type != grant::CLIENT_CREDENTIALS {
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
    let request = TargetRequest {
        resources: form.all("resource"),
        audiences: form.all("audience"),
        scope: form.get("scope").map(ScopeSet::parse).transpose()?,
    };
    let view = ClientView {
        client_id: &client.client_id,
        partner_id,
        allowed_scopes: &client.allowed_scopes,
        grant_types: &client.grant_types,
    };
    let issuance = grant::client_credentials(&*snapshot, &view, &request)?;

    let keys = state.keys();
    let signer = keys.signer.as_ref().ok_or_else(OAuthError::unavailable)?;
    let claims = token::client_credentials_claims(
        &state.issuer,
        &client.client_id,
        partner_slug,
        &issuance,
        uuid::Uuid::new_v4().simple().to_string(),
        now,
    );
    let mut header = Header::new(signer.alg);
    header.typ = Some(token::ACCESS_TOKEN_TYP.to_owned());
    header.kid = Some(signer.kid.clone());
    let access_token = jsonwebtoken::encode(&header, &claims, &signer.key).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::unavailable()
    })?;
    metrics::counter!("entente_tokens_issued_total", "grant_type" => grant::CLIENT_CREDENTIALS, "partner" => partner_slug.clone()).increment(1);
    let body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": issuance.lifetime,
        "scope": issuance.scope.to_string(),
    });
    Ok((no_store(), axum::Json(body)).into_response())
}
