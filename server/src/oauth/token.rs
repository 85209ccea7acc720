//! `POST /oauth2/token` (RFC 6749 §3.2): parse → authenticate → dispatch to the grant's file.
//! No database write happens on this path for client_credentials with client secrets; issuance
//! is counted in memory.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::environment::Environment;
use entente_domain::forwarded::ClientAddr;
use entente_domain::grant::GrantType;
use entente_domain::rate_limit::Verdict;
use entente_domain::usage::Kind;
use std::time::Instant;

use super::caller::Caller;
use super::{
    client_auth, form, token_client_credentials, token_exchange, token_jwt_bearer, token_refresh,
};
use crate::http::errors::ErrorResponse;
use crate::limits;
use crate::state::snapshot::{ClientRole, Snapshot};
use crate::state::{AppState, now};
use crate::usage::{IssuedFor, Tag};

pub async fn token(
    State(state): State<AppState>,
    env: Option<Extension<Environment>>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let snapshot = state.snapshot();
    let mut verdict = None;
    let mut tag = Tag::default();
    let mut kind = Kind::OtherGrant;
    let address = address.map(|a| a.0.0);
    let request = Request {
        env: super::environment_of(env),
        headers: &headers,
        address,
        snapshot: &snapshot,
    };
    let answer = dispatch(&state, request, body, &mut verdict, &mut tag, &mut kind).await;
    let (mut res, error) = match answer {
        Ok(r) => (r, None),
        Err(e) => {
            let code = e.code;
            (ErrorResponse(e).into_response(), Some(code))
        }
    };
    let audience = res
        .extensions()
        .get::<IssuedFor>()
        .map_or("", |a| a.0.as_str());
    state
        .usage
        .record(now(), &tag.outcome(kind, audience, error), started);
    // Every answer after client authentication says where the caller stands.
    if let Some((v, policy)) = &verdict {
        limits::add_fields(v, policy.as_ref(), res.headers_mut());
    }
    res
}

/// What the request arrived with.
struct Request<'s> {
    env: Environment,
    headers: &'s HeaderMap,
    address: Option<std::net::IpAddr>,
    snapshot: &'s Snapshot,
}

async fn dispatch<'s>(
    state: &AppState,
    request: Request<'s>,
    body: Body,
    verdict: &mut Option<(Verdict, Option<HeaderValue>)>,
    tag: &mut Tag<'s>,
    kind: &mut Kind,
) -> Result<Response, OAuthError> {
    let Request {
        env,
        headers,
        address,
        snapshot,
    } = request;
    let form = form::read(headers, body).await?;
    let grant_type = form
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is required"))?;
    let Some(grant) = GrantType::parse(grant_type) else {
        return Err(OAuthError::unsupported_grant_type());
    };
    *kind = Kind::of_grant(Some(grant_type));
    let now = now();
    let auth =
        client_auth::authenticate(state, snapshot, env, headers, &form, address, now).await?;
    *tag = Tag::of(auth.rate_subject());
    if let Some(v) = snapshot
        .check_limits(&state.limits, auth.rate_subject(), true)
        .await?
    {
        let v = verdict.insert((v, auth.rate_subject().limiters.policy_field.clone()));
        if let Some(secs) = v.0.retry_after_secs() {
            return Err(OAuthError::slow_down(secs));
        }
    }
    let client = client_auth::confirm(state, auth, now).await?;
    let ClientRole::Partner {
        partner_id,
        partner_slug,
    } = &client.role
    else {
        return Err(OAuthError::unauthorized_client(
            "resource-server clients cannot obtain tokens",
        ));
    };
    let caller = Caller {
        client,
        partner_id,
        partner_slug,
    };
    match grant {
        GrantType::ClientCredentials => {
            token_client_credentials::grant(state, snapshot, &caller, &form, now)
        }
        GrantType::TokenExchange => {
            token_exchange::grant(state, snapshot, &caller, &form, now).await
        }
        GrantType::JwtBearer => token_jwt_bearer::grant(state, snapshot, &caller, &form, now).await,
        GrantType::RefreshToken => token_refresh::grant(state, snapshot, &caller, &form, now).await,
    }
}
