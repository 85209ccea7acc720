//! `POST /oauth2/token` (RFC 6749 §3.2): parse → authenticate → decide → sign → respond.
//! No database write happens on this path for client_credentials with client secrets; issuance
//! is counted in memory.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use entente_domain::federation::{GRANT_JWT_BEARER, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE};
use entente_domain::grant::{self, ClientView, TargetRequest};
use entente_domain::{OAuthError, ScopeSet, token};

use super::error::{ErrorResponse, no_store};
use super::federation::{new_jti, sign};
use super::form::Form;
use super::{client_auth, form, grants};
use crate::snapshot::{ClientEntry, ClientRole};
use crate::state::{AppState, now};

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match issue(&state, &headers, body).await {
        Ok(r) => r,
        Err(e) => ErrorResponse(e).into_response(),
    }
}

/// The authenticated partner client behind a token request.
pub struct Caller<'s> {
    pub client: &'s ClientEntry,
    pub partner_id: &'s str,
    pub partner_slug: &'s str,
}

impl<'s> Caller<'s> {
    pub fn view(&self) -> ClientView<'s> {
        ClientView {
            client_id: &self.client.client_id,
            partner_id: self.partner_id,
            allowed_scopes: &self.client.allowed_scopes,
            grant_types: &self.client.grant_types,
        }
    }
}

pub fn target_request(form: &Form) -> Result<TargetRequest, OAuthError> {
    Ok(TargetRequest {
        resources: form.all("resource"),
        audiences: form.all("audience"),
        scope: form.get("scope").map(ScopeSet::parse).transpose()?,
    })
}

async fn issue(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Response, OAuthError> {
    let form = form::read(headers, body).await?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    if ![
        grant::CLIENT_CREDENTIALS,
        GRANT_TOKEN_EXCHANGE,
        GRANT_JWT_BEARER,
        GRANT_REFRESH_TOKEN,
    ]
    .contains(&grant_type)
    {
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
        GRANT_TOKEN_EXCHANGE => grants::token_exchange(state, &snapshot, &caller, &form, now).await,
        GRANT_JWT_BEARER => grants::jwt_bearer(state, &snapshot, &caller, &form, now).await,
        GRANT_REFRESH_TOKEN => grants::refresh(state, &snapshot, &caller, &form, now).await,
        _ => client_credentials(state, &snapshot, &caller, &form, now),
    }
}

fn client_credentials(
    state: &AppState,
    snapshot: &crate::snapshot::Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
    let request = target_request(form)?;
    let issuance = grant::client_credentials(snapshot, &caller.view(), &request)?;
    let claims = token::client_credentials_claims(
        &state.issuer,
        &caller.client.client_id,
        caller.partner_slug,
        &issuance,
        new_jti(),
        now,
    );
    let access_token = sign(state, &claims)?;
    metrics::counter!("entente_tokens_issued_total", "grant_type" => grant::CLIENT_CREDENTIALS, "partner" => caller.partner_slug.to_owned()).increment(1);
    let body = serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": issuance.lifetime,
        "scope": issuance.scope.to_string(),
    });
    Ok((no_store(), axum::Json(body)).into_response())
}
