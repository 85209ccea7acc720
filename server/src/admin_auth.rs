//! Who may call the admin REST API: a signed-in console administrator (session cookie, same
//! origin), or a bearer access token that Entente issued for the admin API audience
//! (`<issuer>/admin/api/v1`) with scope `entente:admin` (RFC 6750 errors).

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::introspection::{self, Context};

use crate::oauth::introspect::verify_access_token;
use crate::state::{AppState, now};

pub const ADMIN_SCOPE: &str = "entente:admin";

pub fn admin_audience(issuer: &str) -> String {
    format!("{issuer}/admin/api/v1")
}

fn bearer_error(status: StatusCode, error: &'static str, detail: &str) -> Response {
    let challenge = format!("Bearer realm=\"entente-admin\", error=\"{error}\"");
    let mut r = (
        status,
        axum::Json(serde_json::json!({"status": status.as_u16(), "detail": detail})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
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
