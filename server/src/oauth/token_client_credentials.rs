//! The client_credentials grant (RFC 6749 §4.4): the client's own token for one audience.

use axum::response::Response;
use entente_domain::grant::{self, CLIENT_CREDENTIALS};
use entente_domain::{OAuthError, token};

use super::caller::{Caller, target_request};
use super::form::Form;
use super::issue::{self, TokenResponse};
use crate::state::AppState;
use crate::state::snapshot::Snapshot;

pub fn grant(
    state: &AppState,
    snapshot: &Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
    let request = target_request(form)?;
    let issuance = tracing::debug_span!("policy_decision")
        .in_scope(|| grant::client_credentials(snapshot, &caller.view(), &request))?;
    let claims = token::client_credentials_claims(
        state.issuer_of(caller.client.environment),
        &caller.client.client_id,
        caller.partner_slug,
        &issuance,
        issue::new_jti(),
        now,
    );
    let access_token = issue::sign(state, caller.client.environment, &claims)?;
    issue::count(state, CLIENT_CREDENTIALS, caller.partner_slug);
    Ok(issue::respond(
        TokenResponse::bearer(access_token, issuance.lifetime, &issuance.scope),
        &issuance.audience,
    ))
}
