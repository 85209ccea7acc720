//! Explain: evaluate a token request without issuing anything, and return the decision trace.
//! Served at `POST /admin/api/v1/exchange/explain`, by the console's "try a token" panel and by
//! `entente exchange explain --file request.json`: all three answer `Explanation`.

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::environment::Environment;
use entente_domain::federation::exchange::{self, Decision, ExchangeRequest, Requester};
use entente_domain::federation::explain::{ExplainRequest, Explanation};
use entente_domain::federation::{Env, GRANT_JWT_BEARER, GRANT_TOKEN_EXCHANGE};
use entente_domain::grant::{ClientView, TargetRequest, staff_target_diagnosis};
use entente_domain::jws::OneOrMany;
use entente_domain::token::AccessTokenClaims;
use entente_domain::{OAuthError, OAuthErrorCode, ScopeSet};

use crate::http::errors::problem;
use crate::oauth::keys::{KeyView, gather_issuer_keys};
use crate::state::AppState;
use crate::state::issuer_keys::IssuerKeys;
use crate::state::signing_keys::KeySet;
use crate::state::snapshot::{ClientRole, Snapshot};

fn list(v: &Option<OneOrMany>) -> Vec<String> {
    match v {
        None => vec![],
        Some(OneOrMany::One(s)) => vec![s.clone()],
        Some(OneOrMany::Many(all)) => all.clone(),
    }
}

fn refused(e: &OAuthError) -> Explanation {
    Explanation::refused(e)
}

#[allow(clippy::too_many_arguments)]
pub async fn explain(
    snapshot: &Snapshot,
    fetcher: &IssuerKeys,
    own: &(dyn Fn(Environment) -> Arc<KeySet> + Sync),
    revoked: &(dyn Fn(&AccessTokenClaims) -> bool + Sync),
    base: &Env<'_>,
    req: &ExplainRequest,
    reader: Reader,
    now: i64,
) -> Explanation {
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
    let target_for_staff = target.clone();
    let who = Requester {
        client: ClientView {
            client_id: &client.client_id,
            partner_id,
            allowed_scopes: &client.allowed_scopes,
            grant_types: &client.grant_types,
            environment: client.environment,
        },
        partner_slug,
    };
    // Decided as the client's own environment's token endpoint would.
    let issuer = client.environment.issuer(base.issuer);
    let env = &Env {
        issuer: &issuer,
        entente: base.issuer,
        pairwise_secret: base.pairwise_secret,
    };
    let own = own(client.environment);
    let tokens = [
        req.subject_token.as_deref(),
        req.actor_token.as_deref(),
        req.assertion.as_deref(),
    ];
    let keys = KeyView {
        issuers: gather_issuer_keys(fetcher, snapshot, partner_id, &tokens, now).await,
        own,
        revoked,
        // Explaining checks every signature afresh.
        verified: None,
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
    let mut answer = Explanation::from_decision(decision);
    if reader == Reader::Staff && answer.error == Some(OAuthErrorCode::InvalidTarget.as_str()) {
        answer.diagnosis = staff_target_diagnosis(snapshot, &who.client, &target_for_staff);
    }
    answer
}

/// Who reads an explanation: staff see why a named audience is refused in full; partners and
/// sandbox testers see only what the token endpoint would tell their client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    Staff,
    Partner,
}

/// Explain as this replica would decide now.
pub async fn explain_now(state: &AppState, req: &ExplainRequest, reader: Reader) -> Explanation {
    let snapshot = state.snapshot();
    let revoked = |c: &AccessTokenClaims| state.is_revoked(c);
    // In the client's own environment: a sandbox client's request is explained as the sandbox
    // token endpoint would decide it.
    let environment = snapshot
        .client(&req.client_id)
        .map_or(Environment::Production, |c| c.environment);
    explain(
        &snapshot,
        &state.issuer_keys,
        &|e| state.keys_of(e),
        &revoked,
        &crate::oauth::caller::env(state, environment),
        req,
        reader,
        crate::state::now(),
    )
    .await
}

/// Evaluates a token request as the client would send it, without issuing anything: the
/// decision, what would be issued, and the trace of every check.
#[utoipa::path(post, path = "/admin/api/v1/exchange/explain", tag = "trust",
    request_body = ExplainRequest,
    responses((status = 200, description = "The decision and its trace (an Explanation)",
        body = serde_json::Value), super::problem::Refusals,
        (status = 413, description = "Larger than 64 KiB", body = super::problem::Problem,
            content_type = "application/problem+json")))]
pub async fn explain_route(
    axum::extract::State(state): axum::extract::State<AppState>,
    body: axum::body::Bytes,
) -> Response {
    explain_http(&state, &body).await
}

/// The HTTP body: a JSON explain request of at most 64 KiB.
pub async fn explain_http(state: &AppState, body: &[u8]) -> Response {
    if body.len() > 64 * 1024 {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is larger than 64 KiB",
        );
    }
    let req: ExplainRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the request is not a valid explain request: {e}"),
            );
        }
    };
    // The admin API answers staff only.
    let answer = explain_now(state, &req, Reader::Staff).await;
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(answer),
    )
        .into_response()
}
