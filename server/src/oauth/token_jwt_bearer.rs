//! RFC 7523 §2.1 jwt-bearer: a trusted issuer's assertion under the same trust rules, used once.

use axum::response::Response;
use entente_domain::OAuthError;
use entente_domain::federation::GRANT_JWT_BEARER;
use entente_domain::federation::exchange;

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
    entente_domain::grant::require_grant_type(&caller.view(), GRANT_JWT_BEARER)?;
    let assertion = form.get("assertion");
    let target = target_request(form)?;
    let keys = gather_keys(
        state,
        snapshot,
        caller.partner_id,
        caller.client.environment,
        &[assertion],
        now,
    )
    .await;
    let decision = tracing::debug_span!("policy_decision").in_scope(|| {
        exchange::jwt_bearer(
            snapshot,
            &keys,
            &env(state, caller.client.environment),
            &caller.requester(),
            assertion,
            &target,
            now,
        )
    });
    let grant = match decision.result {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(client_id = %caller.client.client_id, trace = ?decision.trace.failure(), "jwt-bearer grant refused");
            return Err(e);
        }
    };
    // The replay cache is shared (Redis in cluster mode, else the database): a jti is accepted
    // once across replicas (case B27).
    if let Some(r) = &grant.replay {
        let fresh = state
            .remember_jti(&format!("issuer:{}", r.issuer_id), &r.jti, r.exp)
            .await?;
        if !fresh {
            return Err(OAuthError::invalid_grant(
                "the assertion has already been used",
            ));
        }
    }
    issue_grant(state, caller, grant, "jwt-bearer", now, false).await
}
