//! RFC 8693 token exchange: gather the presented tokens' keys, let the domain decide, issue.

use axum::response::Response;
use entente_domain::OAuthError;
use entente_domain::federation::GRANT_TOKEN_EXCHANGE;
use entente_domain::federation::exchange::{self, ExchangeRequest};

use super::caller::{Caller, env, target_request};
use super::form::Form;
use super::issue::issue_grant;
use super::keys::gather_keys;
use crate::state::AppState;
use crate::state::snapshot::Snapshot;

pub async fn grant(
    state: &AppState,
    snapshot: &Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
    // No outbound key fetch for a client that may not use this grant at all.
    entente_domain::grant::require_grant_type(&caller.view(), GRANT_TOKEN_EXCHANGE)?;
    let req = ExchangeRequest {
        subject_token: form.get("subject_token"),
        subject_token_type: form.get("subject_token_type"),
        actor_token: form.get("actor_token"),
        actor_token_type: form.get("actor_token_type"),
        requested_token_type: form.get("requested_token_type"),
        target: target_request(form)?,
    };
    let keys = gather_keys(
        state,
        snapshot,
        caller.partner_id,
        caller.client.environment,
        &[req.subject_token, req.actor_token],
        now,
    )
    .await;
    let decision = tracing::debug_span!("policy_decision").in_scope(|| {
        exchange::exchange(
            snapshot,
            &keys,
            &env(state, caller.client.environment),
            &caller.requester(),
            &req,
            now,
        )
    });
    let grant = match decision.result {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(client_id = %caller.client.client_id, trace = ?decision.trace.failure(), "token exchange refused");
            return Err(e);
        }
    };
    let issued = issue_grant(state, caller, grant, "token-exchange", now, true).await?;
    state.note_exchange(caller.partner_id.as_str(), req.subject_token, now);
    Ok(issued)
}
