//! Issuing: a decision becomes a signed RFC 9068 access token (and, where a rule allows, a
//! refresh token family), one typed token response, one metric. Also the verification of
//! Entente's own tokens, its counterpart.

use axum::response::{IntoResponse, Response};
use entente_domain::environment::Environment;
use entente_domain::federation::exchange::Grant;
use entente_domain::federation::{TT_REFRESH_TOKEN, subject};
use entente_domain::jws::{self, OneOrMany};
use entente_domain::token::{ACCESS_TOKEN_TYP, AccessTokenClaims};
use entente_domain::{OAuthError, ScopeSet};
use serde::Serialize;

use super::caller::Caller;
use super::refresh_family;
use crate::http::errors::no_store;
use crate::state::AppState;

/// RFC 6749 §5.1 / RFC 8693 §2.2.1 successful token response.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issued_token_type: Option<&'static str>,
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<i64>,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl TokenResponse {
    pub fn bearer(access_token: String, expires_in: i64, scope: &ScopeSet) -> Self {
        Self {
            access_token,
            issued_token_type: None,
            token_type: "Bearer",
            expires_in: Some(expires_in),
            scope: scope.to_string(),
            refresh_token: None,
        }
    }
}

/// `no-store` JSON, as every token response must be (RFC 6749 §5.1), marked with the audience
/// for the usage record.
pub fn respond(body: TokenResponse, audience: &str) -> Response {
    let mut res = (no_store(), axum::Json(body)).into_response();
    res.extensions_mut()
        .insert(crate::usage::IssuedFor(audience.to_owned()));
    res
}

/// Counts an issued token per grant type and partner (in memory; nothing is written; partners
/// past the label cap are `other`).
pub fn count(state: &AppState, grant_type: &'static str, partner_slug: &str) {
    metrics::counter!("entente_tokens_issued_total", "grant_type" => grant_type, "partner" => state.partner_labels.label(partner_slug)).increment(1);
}

/// Signs an RFC 9068 access token with the active key; no other key is ever used (case H58).
#[tracing::instrument(level = "debug", name = "sign", skip_all)]
pub fn sign(
    state: &AppState,
    env: Environment,
    claims: &AccessTokenClaims,
) -> Result<String, OAuthError> {
    let keys = state.keys_of(env);
    let signer = keys.signer.as_ref().ok_or_else(OAuthError::unavailable)?;
    crate::state::signer::sign(signer, claims).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::unavailable()
    })
}

/// Signature and type check of an Entente access token with a published key of `env` (a token
/// of the other environment does not verify). Time, audience and revocation are decided by
/// the caller.
pub fn verify_access_token(
    state: &AppState,
    env: Environment,
    token: &str,
    now: i64,
) -> Option<AccessTokenClaims> {
    let header = jws::peek_header(token).ok()?;
    if header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
        return None;
    }
    let kid = header.kid.filter(|k| jws::sane_kid(k))?;
    let keys = state.keys_of(env);
    // Only keys still published verify (a revoked key's tokens are inactive at once, even
    // those whose signatures are remembered); revocation marks are checked by the callers.
    let key = keys.verifier(&kid)?;
    let memory = crate::state::verified_tokens::memory(&state.verified);
    entente_domain::verified::verify(token, key, memory, now, |c: &AccessTokenClaims| Some(c.exp))
        .ok()
}

pub fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The access token claims for a federation grant.
pub fn claims_for(
    state: &AppState,
    env: Environment,
    client_id: &str,
    partner_slug: &str,
    grant: &Grant,
    now: i64,
) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: state.issuer_of(env).to_owned(),
        sub: grant.sub.clone(),
        aud: OneOrMany::One(grant.audience.clone()),
        client_id: client_id.to_owned(),
        scope: Some(grant.scope.to_string()),
        iat: now,
        exp: now + grant.lifetime,
        jti: new_jti(),
        partner: Some(partner_slug.to_owned()),
        act: grant.act.clone(),
        lineage: grant.lineage.clone(),
        trust_rule: grant.trust_rule.clone(),
        extra: grant.claims.clone(),
    }
}

pub fn unavailable(e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %e, "storage unavailable while issuing");
    OAuthError::unavailable()
}

/// Issues what a federation decision granted: starts a refresh family if the rule allows
/// (the only write), signs the access token, answers. `exchange_response` adds RFC 8693's
/// `issued_token_type`.
pub async fn issue_grant(
    state: &AppState,
    caller: &Caller<'_>,
    mut grant: Grant,
    grant_label: &'static str,
    now: i64,
    exchange_response: bool,
) -> Result<Response, OAuthError> {
    let mut refresh_token = None;
    if let Some(terms) = grant.refresh.take() {
        let family = new_jti();
        grant.lineage.push(subject::family_key(&family));
        let token = refresh_family::new_refresh_token();
        let row = refresh_family::refresh_row(
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
    count(state, grant_label, caller.partner_slug);
    // RFC 8693 §2.2.1: a requested refresh token travels in `access_token`, typed N_A.
    if grant.issued_token_type == TT_REFRESH_TOKEN {
        return Ok(respond(
            TokenResponse {
                access_token: refresh_token.ok_or_else(OAuthError::unavailable)?,
                issued_token_type: Some(TT_REFRESH_TOKEN),
                token_type: "N_A",
                expires_in: None,
                scope: grant.scope.to_string(),
                refresh_token: None,
            },
            &grant.audience,
        ));
    }
    let claims = claims_for(
        state,
        caller.client.environment,
        &caller.client.client_id,
        caller.partner_slug,
        &grant,
        now,
    );
    let mut body = TokenResponse::bearer(
        sign(state, caller.client.environment, &claims)?,
        grant.lifetime,
        &grant.scope,
    );
    if exchange_response {
        body.issued_token_type = Some(grant.issued_token_type);
    }
    body.refresh_token = refresh_token;
    Ok(respond(body, &grant.audience))
}
