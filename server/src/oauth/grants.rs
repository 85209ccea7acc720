//! The federation grants at the token endpoint: RFC 8693 token exchange, RFC 7523 jwt-bearer
//! and refresh_token. Each gathers keys, asks the domain, then signs and stores what it decided.

use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::ScopeSet;
use entente_domain::federation::exchange::{self, ExchangeRequest, Grant, Requester};
use entente_domain::federation::refresh::{self, Family};
use entente_domain::federation::{Env, TT_REFRESH_TOKEN, subject};
use entente_store::refresh::RefreshUse;
use serde_json::json;

use super::error::no_store;
use super::federation::{self as fed, gather_keys, sign};
use super::form::Form;
use super::token::{Caller, target_request};
use crate::snapshot::Snapshot;
use crate::state::AppState;

fn unavailable(e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %e, "storage unavailable during a federation grant");
    OAuthError::unavailable()
}

pub fn env(state: &AppState) -> Env<'_> {
    Env {
        issuer: &state.issuer,
        pairwise_secret: &state.pairwise_secret,
    }
}

pub fn requester<'a>(caller: &'a Caller<'a>) -> Requester<'a> {
    Requester {
        client: caller.view(),
        partner_slug: caller.partner_slug,
    }
}

pub async fn token_exchange(
    state: &AppState,
    snapshot: &Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
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
        &[req.subject_token, req.actor_token],
        now,
    )
    .await;
    let decision = exchange::exchange(snapshot, &keys, &env(state), &requester(caller), &req, now);
    let grant = match decision.result {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(client_id = %caller.client.client_id, trace = ?decision.trace.failure(), "token exchange refused");
            return Err(e);
        }
    };
    respond(state, caller, grant, "token-exchange", now, true).await
}

pub async fn jwt_bearer(
    state: &AppState,
    snapshot: &Snapshot,
    caller: &Caller<'_>,
    form: &Form,
    now: i64,
) -> Result<Response, OAuthError> {
    let assertion = form.get("assertion");
    let target = target_request(form)?;
    let keys = gather_keys(state, snapshot, caller.partner_id, &[assertion], now).await;
    let decision = exchange::jwt_bearer(
        snapshot,
        &keys,
        &env(state),
        &requester(caller),
        assertion,
        &target,
        now,
    );
    let grant = match decision.result {
        Ok(g) => g,
        Err(e) => {
            tracing::info!(client_id = %caller.client.client_id, trace = ?decision.trace.failure(), "jwt-bearer grant refused");
            return Err(e);
        }
    };
    // The replay cache is the shared database: a jti is accepted once across replicas (case B27).
    if let Some(r) = &grant.replay {
        let fresh = state
            .store
            .remember_assertion(&format!("issuer:{}", r.issuer_id), &r.jti, r.exp)
            .await
            .map_err(unavailable)?;
        if !fresh {
            return Err(OAuthError::invalid_grant(
                "the assertion has already been used",
            ));
        }
    }
    respond(state, caller, grant, "jwt-bearer", now, false).await
}

/// Signs the access token (and starts a refresh family if the rule allows) and answers.
async fn respond(
    state: &AppState,
    caller: &Caller<'_>,
    mut grant: Grant,
    grant_label: &'static str,
    now: i64,
    exchange_response: bool,
) -> Result<Response, OAuthError> {
    let mut refresh_token = None;
    if let Some(terms) = grant.refresh.take() {
        let family = fed::new_jti();
        grant.lineage.push(subject::family_key(&family));
        let token = fed::new_refresh_token();
        let row = fed::refresh_row(
            state,
            &token,
            &family,
            &caller.client.client_id,
            caller.partner_id,
            &terms.rule_id,
            &grant,
            &terms.subject_key,
            terms.absolute_exp,
            now,
        );
        state.store.insert_refresh(row).await.map_err(unavailable)?;
        refresh_token = Some(token);
    }
    metrics::counter!("entente_tokens_issued_total", "grant_type" => grant_label, "partner" => caller.partner_slug.to_owned()).increment(1);
    // RFC 8693 §2.2.1: a requested refresh token travels in `access_token`, typed N_A.
    if grant.issued_token_type == TT_REFRESH_TOKEN {
        let body = json!({
            "access_token": refresh_token.ok_or_else(OAuthError::unavailable)?,
            "issued_token_type": TT_REFRESH_TOKEN,
            "token_type": "N_A",
            "scope": grant.scope.to_string(),
        });
        return Ok((no_store(), axum::Json(body)).into_response());
    }
    let claims = fed::claims_for(
        state,
        &caller.client.client_id,
        caller.partner_slug,
        &grant,
        now,
    );
    let access_token = sign(state, &claims)?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": grant.lifetime,
        "scope": grant.scope.to_string(),
    });
    if exchange_response {
        body["issued_token_type"] = json!(grant.issued_token_type);
    }
    if let Some(rt) = refresh_token {
        body["refresh_token"] = json!(rt);
    }
    Ok((no_store(), axum::Json(body)).into_response())
}

pub async fn refresh(
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
    let hash = fed::refresh_hash(state, presented);
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
    let revoked_lineage = state.any_revoked(
        lineage.iter().chain(std::iter::once(&family_key)),
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
            rule_id: &row.rule_id,
            audience: &row.audience,
            scope: &stored_scope,
            absolute_exp: row.absolute_exp,
        },
        requested.as_ref(),
        now,
    )?;
    let next = fed::new_refresh_token();
    let mut successor = row.clone();
    successor.token_hash = fed::refresh_hash(state, &next);
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
    let grant = fed::grant_from_row(&row, renewal.scope, renewal.lifetime);
    let claims = fed::claims_for(
        state,
        &caller.client.client_id,
        caller.partner_slug,
        &grant,
        now,
    );
    let access_token = sign(state, &claims)?;
    metrics::counter!("entente_tokens_issued_total", "grant_type" => "refresh_token", "partner" => caller.partner_slug.to_owned()).increment(1);
    let body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": grant.lifetime,
        "scope": grant.scope.to_string(),
        "refresh_token": next,
    });
    Ok((no_store(), axum::Json(body)).into_response())
}
