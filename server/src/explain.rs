//! Explain: evaluate a token request without issuing anything, and return the decision trace.
//! Served at `POST /admin/api/v1/exchange/explain` (console session) and by
//! `entente exchange explain --file request.json`.

use std::sync::Arc;

use entente_domain::federation::exchange::{self, Decision, ExchangeRequest, Requester};
use entente_domain::federation::{Env, GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE};
use entente_domain::grant::{ClientView, TargetRequest};
use entente_domain::jws::OneOrMany;
use entente_domain::token::AccessTokenClaims;
use entente_domain::{OAuthError, ScopeSet};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::issuer_keys::IssuerKeys;
use crate::keyring::KeySet;
use crate::oauth::federation::{KeyView, gather_issuer_keys};
use crate::snapshot::{ClientRole, Snapshot};

/// A token request as the client would send it, plus the client it is sent as.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplainRequest {
    pub client_id: String,
    pub grant_type: String,
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub actor_token: Option<String>,
    pub actor_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub assertion: Option<String>,
    pub audience: Option<OneOrMany>,
    pub resource: Option<OneOrMany>,
    pub scope: Option<String>,
}

fn list(v: &Option<OneOrMany>) -> Vec<String> {
    match v {
        None => vec![],
        Some(OneOrMany::One(s)) => vec![s.clone()],
        Some(OneOrMany::Many(all)) => all.clone(),
    }
}

fn refused(e: &OAuthError) -> Value {
    json!({"allowed": false, "error": e.code.as_str(), "error_description": e.description, "trace": []})
}

#[allow(clippy::too_many_arguments)]
pub async fn explain(
    snapshot: &Snapshot,
    fetcher: &IssuerKeys,
    own: Arc<KeySet>,
    revoked: &(dyn Fn(&AccessTokenClaims) -> bool + Sync),
    env: &Env<'_>,
    req: &ExplainRequest,
    now: i64,
) -> Value {
    let Some(client) = snapshot.client(&req.client_id) else {
        return refused(&OAuthError::new(
            entente_domain::OAuthErrorCode::InvalidClient,
            "no enabled client has this client_id",
        ));
    };
    let ClientRole::Partner {
        partner_id,
        partner_slug,
    } = &client.role
    else {
        return refused(&OAuthError::unauthorized_client(
            "resource-server clients cannot obtain tokens",
        ));
    };
    let scope = match req.scope.as_deref().map(ScopeSet::parse).transpose() {
        Ok(s) => s,
        Err(e) => return refused(&e),
    };
    let target = TargetRequest {
        resources: list(&req.resource),
        audiences: list(&req.audience),
        scope,
    };
    let who = Requester {
        client: ClientView {
            client_id: &client.client_id,
            partner_id,
            allowed_scopes: &client.allowed_scopes,
            grant_types: &client.grant_types,
        },
        partner_slug,
    };
    let tokens = [
        req.subject_token.as_deref(),
        req.actor_token.as_deref(),
        req.assertion.as_deref(),
    ];
    let keys = KeyView {
        issuers: gather_issuer_keys(fetcher, snapshot, partner_id, &tokens, now).await,
        own,
        revoked,
    };
    let decision: Decision = match req.grant_type.as_str() {
        GRANT_TOKEN_EXCHANGE => exchange::exchange(
            snapshot,
            &keys,
            env,
            &who,
            &ExchangeRequest {
                subject_token: req.subject_token.as_deref(),
                subject_token_type: req.subject_token_type.as_deref(),
                actor_token: req.actor_token.as_deref(),
                actor_token_type: req.actor_token_type.as_deref(),
                requested_token_type: req.requested_token_type.as_deref(),
                target,
            },
            now,
        ),
        GRANT_JWT_BEARER => exchange::jwt_bearer(
            snapshot,
            &keys,
            env,
            &who,
            req.assertion.as_deref(),
            &target,
            now,
        ),
        _ => {
            return refused(&OAuthError::new(
                entente_domain::OAuthErrorCode::UnsupportedGrantType,
                "explain covers token-exchange and jwt-bearer requests",
            ));
        }
    };
    match decision.result {
        Ok(g) => json!({
            "allowed": true,
            "granted": {
                "issued_token_type": g.issued_token_type,
                "audience": g.audience,
                "scope": g.scope.to_string(),
                "expires_in": g.lifetime,
                "sub": g.sub,
                "act": g.act,
                "claims": g.claims,
                "refresh_token": g.refresh.is_some(),
            },
            "trace": decision.trace,
        }),
        Err(e) => json!({
            "allowed": false,
            "error": e.code.as_str(),
            "error_description": e.description,
            "trace": decision.trace,
        }),
    }
}
