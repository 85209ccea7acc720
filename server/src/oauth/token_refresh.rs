//! The refresh_token grant (RFC 6749 §6) for families started by a token exchange: rotation on
//! every use, reuse revokes the family, terms re-checked against today's rule.

use axum::response::Response;
use entente_domain::federation::refresh::{self, Family};
use entente_domain::federation::subject;
use entente_domain::{OAuthError, ScopeSet};
use entente_store::refresh::RefreshUse;

use super::caller::Caller;
use super::form::Form;
use super::issue::{self, TokenResponse, unavailable};
use super::refresh_family;
use crate::state::AppState;
use crate::state::snapshot::Snapshot;

pub async fn grant(
    state: &AppState,
    snapshot: &Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
    let invalid = || OAuthError::invalid_grant("refresh token is invalid");
    if presented.len() > 256 {
        return Err(invalid());
    }
    let hash = refresh_family::refresh_hash(state, presented);
    let row = state
        .store
        .refresh_by_hash(&hash)
        .await
        .map_err(unavailable)?
        .ok_or_else(invalid)?;
    // Another client's token is invalid for this one and changes nothing (case D36).
    if row.client_id != caller.client.client_id || row.revoked {
        return Err(invalid());
    }
    let family_key = subject::family_key(&row.family_id);
    let lineage: Vec<String> = serde_json::from_str(&row.lineage).unwrap_or_default();
    // The database marks families dead on revocation; this also catches what another replica
    // revoked a moment ago and this one has already heard through the change feed.
    // The partner's own key too: a family that outlived a suspension (a rotation committed
    // while it was being revoked) is dead all the same.
    let partner_key = subject::partner_key(caller.partner_slug);
    let revoked_lineage = state.any_revoked(
        lineage.iter().chain([&family_key, &partner_key]),
        row.created_at,
    );
    if revoked_lineage {
        return Err(invalid());
    }
    let stored_scope = ScopeSet::parse(&row.scope).unwrap_or_default();
    let requested = form.get("scope").map(ScopeSet::parse).transpose()?;
    let renewal = refresh::refresh(
        snapshot,
        &caller.view(),
        &Family {
            client_id: &row.client_id,
            rule_id: &entente_domain::ids::RuleId::from(row.rule_id.as_str()),
            audience: &row.audience,
            scope: &stored_scope,
            absolute_exp: row.absolute_exp,
        },
        requested.as_ref(),
        now,
    )?;
    let next = refresh_family::new_refresh_token();
    let mut successor = row.clone();
    successor.token_hash = refresh_family::refresh_hash(state, &next);
    successor.created_at = now;
    successor.used_at = None;
    match state
        .store
        .rotate_refresh(&hash, successor, now)
        .await
        .map_err(unavailable)?
    {
        RefreshUse::Rotated => {}
        RefreshUse::Reused { family_id } => {
            state.mark_revoked(&subject::family_key(&family_id), now);
            tracing::warn!(client_id = %caller.client.client_id, family_id, "refresh token reuse: family revoked");
            return Err(invalid());
        }
        RefreshUse::Invalid => return Err(invalid()),
    }
    let grant = refresh_family::grant_from_row(&row, renewal.scope, renewal.lifetime);
    let claims = issue::claims_for(
        state,
        caller.client.environment,
        &caller.client.client_id,
        caller.partner_slug,
        &grant,
        now,
    );
    let access_token = issue::sign(state, caller.client.environment, &claims)?;
    issue::count(state, "refresh_token", caller.partner_slug);
    let mut response = TokenResponse::bearer(access_token, grant.lifetime, &grant.scope);
    response.refresh_token = Some(next);
    Ok(issue::respond(response, &grant.audience))
}
