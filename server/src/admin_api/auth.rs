//! Who may call the admin REST API: a signed-in console administrator (session cookie, same
//! origin), or a bearer access token that Entente issued for the admin API audience
//! (`<issuer>/admin/api/v1`) with scope `entente:admin` (RFC 6750 errors).

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use entente_domain::introspection::{self, Context};

use crate::http::errors::{bearer_error, problem};
use crate::oauth::issue::verify_access_token;
use crate::state::{AppState, now};

pub const ADMIN_SCOPE: &str = "entente:admin";

pub fn admin_audience(issuer: &str) -> String {
    format!("{issuer}/admin/api/v1")
}

/// `Some(Ok(()))` for a valid admin bearer token, `Some(Err(response))` for a bad one, `None`
/// when the request carries no bearer token (the session decides then).
pub fn bearer(state: &AppState, headers: &HeaderMap) -> Option<Result<(), Response>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let invalid = || {
        bearer_error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the access token is not valid here",
        )
    };
    let Some(claims) = verify_access_token(state, token.trim()) else {
        return Some(Err(invalid()));
    };
    let revoked = state.is_revoked(&claims);
    let audience = admin_audience(&state.issuer);
    let answer = introspection::decide(
        claims,
        &Context {
            issuer: &state.issuer,
            caller_audience: &audience,
            revoked,
            skew: 30,
        },
        now(),
    );
    let Some(details) = answer.details.filter(|_| answer.active) else {
        return Some(Err(invalid()));
    };
    if !details
        .scope
        .as_deref()
        .is_some_and(|s| s.split(' ').any(|x| x == ADMIN_SCOPE))
    {
        return Some(Err(bearer_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the token lacks the entente:admin scope",
        )));
    }
    Some(Ok(()))
}

/// May the caller use `route` (its key in the access table, "METHOD /path")? `None` to proceed,
/// else the refusal (401, 403, 503). A bearer token with `entente:admin` acts as an administrator.
pub async fn authorize(
    state: &AppState,
    session: &tower_sessions::Session,
    headers: &HeaderMap,
    route: &'static str,
) -> Option<Response> {
    match bearer(state, headers) {
        Some(Err(r)) => Some(r),
        Some(Ok(())) if app::ssr::access::allows(route, entente_store::enums::Role::Admin) => None,
        Some(Ok(())) => Some(problem(StatusCode::FORBIDDEN, "your role may not do this")),
        None => authorize_session(state, session, route).await,
    }
}

/// None when the session's role may use `route`; otherwise the refusal.
async fn authorize_session(
    state: &AppState,
    session: &tower_sessions::Session,
    route: &'static str,
) -> Option<Response> {
    match app::ssr::admin_from_session(&state.store, session).await {
        Ok(Some(a)) if app::ssr::access::allows(route, a.role) => None,
        Ok(Some(_)) => Some(problem(StatusCode::FORBIDDEN, "your role may not do this")),
        Ok(None) => Some(problem(StatusCode::UNAUTHORIZED, "sign in first")),
        Err(e) => {
            tracing::error!(error = %e, "session lookup failed");
            Some(problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "try again shortly",
            ))
        }
    }
}
