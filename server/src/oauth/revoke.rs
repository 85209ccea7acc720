//! `POST /oauth2/revoke` (RFC 7009). A client revokes only its own tokens; anything else —
//! unknown, invalid, expired or someone else's token — is answered 200 with no effect (§2.2).
//! Revocations count against the client's (and its partner's) token-endpoint limits, and a
//! token already revoked is answered without a write.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::environment::Environment;
use entente_domain::federation::subject;
use entente_domain::forwarded::ClientAddr;
use entente_store::Actor;

use super::issue::verify_access_token;
use super::{client_auth, form};
use crate::http::errors::{ErrorResponse, no_store};
use crate::state::{AppState, now};
use crate::usage::Tag;
use entente_domain::usage::Kind;
use std::time::Instant;

pub async fn revoke(
    State(state): State<AppState>,
    env: Option<Extension<Environment>>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let address = address.map(|a| a.0.0);
    let env = super::environment_of(env);
    let snapshot = state.snapshot();
    let mut tag = Tag::default();
    let mut verdict = None;
    let run = async {
        let form = form::read(&headers, body).await?;
        let now = now();
        let auth = client_auth::authenticate(&state, &snapshot, env, &headers, &form, address, now)
            .await?;
        tag = Tag::of(auth.rate_subject());
        // The token endpoint's limits, from the same budget (review L-3): a client cannot loop
        // revocations any faster than it can obtain tokens.
        if let Some(v) = snapshot
            .check_limits(&state.limits, auth.rate_subject(), true)
            .await?
        {
            let v = verdict.insert((v, auth.rate_subject().limiters.policy_field.clone()));
            if let Some(secs) = v.0.retry_after_secs() {
                return Err(OAuthError::slow_down(secs));
            }
        }
        let caller = client_auth::confirm(&state, auth, now).await?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let actor = Actor::new(format!("client:{}", caller.client_id))
            .with_request_id(crate::http::request_id(&headers))
            .with_trace_id(crate::http::trace_id(&headers));
        if token.starts_with("ent_rt_") {
            revoke_refresh(&state, &actor, &caller.client_id, token, now).await?;
        } else if let Some(claims) = verify_access_token(&state, env, token, now)
            && claims.client_id == caller.client_id
            && claims.exp > now
            // Already revoked (known here): nothing to write, no transaction to open.
            && !state.any_revoked(std::iter::once(&subject::token_key(&claims.jti)), i64::MIN)
        {
            state
                .store
                .revoke_token(&actor, &claims.jti, claims.exp, now)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "revocation could not be stored");
                    OAuthError::unavailable()
                })?;
            // Effective here at once; other replicas hear it through the change feed.
            state.mark_revoked(&subject::token_key(&claims.jti), now);
        }
        Ok::<_, OAuthError>((StatusCode::OK, no_store()).into_response())
    };
    let (mut res, error) = match run.await {
        Ok(r) => (r, None),
        Err(e) => {
            let code = e.code;
            (ErrorResponse(e).into_response(), Some(code))
        }
    };
    state
        .usage
        .record(now(), &tag.outcome(Kind::Revocation, "", error), started);
    if let Some((v, policy)) = &verdict {
        crate::limits::add_fields(v, policy.as_ref(), res.headers_mut());
    }
    res
}

/// Revoking a refresh token ends its whole family (RFC 7009 §2.1 allows it; RFC 9700 advises it).
async fn revoke_refresh(
    state: &AppState,
    actor: &Actor,
    client_id: &str,
    token: &str,
    now: i64,
) -> Result<(), OAuthError> {
    let hash = super::refresh_family::refresh_hash(state, token);
    let row = state.store.refresh_by_hash(&hash).await.map_err(|e| {
        tracing::error!(error = %e, "refresh token lookup failed");
        OAuthError::unavailable()
    })?;
    if let Some(row) = row.filter(|r| r.client_id == client_id && !r.revoked) {
        state
            .store
            .revoke_family(
                actor,
                &row.family_id,
                row.absolute_exp,
                entente_domain::audit::AuditAction::RefreshRevoke,
                now,
            )
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "revocation could not be stored");
                OAuthError::unavailable()
            })?;
        state.mark_revoked(&subject::family_key(&row.family_id), now);
    }
    Ok(())
}
