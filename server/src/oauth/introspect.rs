//! `POST /oauth2/introspect` (RFC 7662). Only resource-server clients may call it, and a token is
//! active only for the audience it was issued for.

use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::introspection::{self, Context, Introspection};

use super::issue::verify_access_token;
use super::{client_auth, form};
use crate::http::errors::{ErrorResponse, no_store};
use crate::state::snapshot::ClientRole;
use crate::state::{AppState, now};

pub async fn introspect(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    let run = async {
        let form = form::read(&headers, body).await?;
        let now = now();
        let snapshot = state.snapshot();
        let caller = client_auth::authenticate(&state, &snapshot, &headers, &form, now).await?;
        let ClientRole::ResourceServer { audience } = &caller.role else {
            // Partners' clients are not resource servers: they may not introspect.
            return Err(OAuthError::invalid_client());
        };
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let answer = match verify_access_token(&state, token) {
            Some(claims) => {
                let revoked = state.is_revoked_in(&snapshot, &claims);
                introspection::decide(
                    claims,
                    &Context {
                        issuer: &state.issuer,
                        caller_audience: audience,
                        revoked,
                        skew: 30,
                    },
                    now,
                )
            }
            None => Introspection::inactive(),
        };
        Ok::<_, OAuthError>((no_store(), axum::Json(answer)).into_response())
    };
    run.await
        .unwrap_or_else(|e| ErrorResponse(e).into_response())
}
