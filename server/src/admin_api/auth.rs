//! Who may call the admin REST API: a signed-in console user (session cookie, same origin), or a
//! bearer access token that Entente issued for the admin API audience (`<issuer>/admin/api/v1`)
//! whose scope names a console role: `entente:admin`, `entente:operator` or `entente:auditor`
//! (RFC 6750 errors). One middleware checks every route's operation against the operations'
//! policy table.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use entente_domain::environment::Environment;
use entente_domain::forwarded::ClientAddr;
use entente_domain::introspection::{self, Context};
use entente_store::Actor;
use entente_store::enums::Role;

use crate::http::errors::{bearer_error, problem};
use crate::oauth::issue::verify_access_token;
use crate::state::{AppState, now};

pub const ADMIN_SCOPE: &str = "entente:admin";
pub const OPERATOR_SCOPE: &str = "entente:operator";
pub const AUDITOR_SCOPE: &str = "entente:auditor";

pub fn admin_audience(issuer: &str) -> String {
    format!("{issuer}/admin/api/v1")
}

/// The role a token's scope grants: the strongest role scope it carries.
pub fn role_of_scope(scope: &str) -> Option<Role> {
    let has = |s: &str| scope.split(' ').any(|x| x == s);
    [
        (ADMIN_SCOPE, Role::Admin),
        (OPERATOR_SCOPE, Role::Operator),
        (AUDITOR_SCOPE, Role::Auditor),
    ]
    .into_iter()
    .find(|(s, _)| has(s))
    .map(|(_, r)| r)
}

/// Who is calling, for the handlers and the audit trail.
#[derive(Debug, Clone)]
pub struct Caller {
    /// `admin:<email>` for console users, `api:<client_id>` for bearer tokens.
    pub name: String,
    pub role: Role,
    /// The console user's account, when the caller signed in (nobody changes their own).
    pub admin_id: Option<String>,
    request_id: Option<String>,
    trace_id: Option<String>,
    caller_request_id: Option<String>,
    source: Option<String>,
}

impl Caller {
    /// The caller as the operations see it: an API client, or a console user.
    pub fn acting(&self) -> entente_operations::Actor {
        match self.name.strip_prefix("api:") {
            Some(client_id) => {
                entente_operations::Actor::api_client(client_id.to_owned(), self.role, self.actor())
            }
            None => entente_operations::Actor::console(
                self.admin_id.clone().unwrap_or_default(),
                self.name.trim_start_matches("admin:").to_owned(),
                self.role,
                self.actor(),
            ),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor::new(self.name.clone())
            .with_request_id(self.request_id.clone())
            .with_trace_id(self.trace_id.clone())
            .with_caller_request_id(self.caller_request_id.clone())
            .with_source(self.source.clone())
    }
}

/// `Some(Ok((client_id, role)))` for a valid admin bearer token, `Some(Err(response))` for a bad
/// one, `None` when the request carries no bearer token (the session decides then).
pub fn bearer(state: &AppState, headers: &HeaderMap) -> Option<Result<(String, Role), Response>> {
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
    let Some(claims) = verify_access_token(state, Environment::Production, token.trim(), now())
    else {
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
    // Only a client's own token (client_credentials): never one obtained by exchange or
    // jwt-bearer for somebody else, whatever rule a catalog might hold.
    if details.act.is_some() || details.sub != details.client_id {
        return Some(Err(invalid()));
    }
    let Some(role) = details.scope.as_deref().and_then(role_of_scope) else {
        return Some(Err(bearer_error(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "the token carries no role scope (entente:admin, entente:operator or entente:auditor)",
        )));
    };
    // Checked against the catalog on every request, not only at issuance: a client disabled
    // (or its partner suspended), or no longer allowed the role's scope, stops at once.
    let scope = match role {
        Role::Admin => ADMIN_SCOPE,
        Role::Operator => OPERATOR_SCOPE,
        Role::Auditor => AUDITOR_SCOPE,
        // No scope names a partner role: a token never acts as a partner user.
        Role::PartnerAdmin | Role::PartnerViewer | Role::SandboxTester => {
            return Some(Err(invalid()));
        }
    };
    let snapshot = state.snapshot();
    let still = snapshot
        .client(&details.client_id)
        .is_some_and(|c| c.allowed_scopes.iter().any(|s| s == scope));
    if !still {
        return Some(Err(invalid()));
    }
    Some(Ok((details.client_id, role)))
}

/// 401 with the challenge RFC 6750 §3 asks for: no session and no token.
fn unauthenticated() -> Response {
    let mut r = problem(
        StatusCode::UNAUTHORIZED,
        "sign in or present a bearer token",
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"entente-admin\""),
    );
    r
}

/// Refusals are never cached.
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// The access-table key of a request: "METHOD /path" with the route's `{parameters}`.
pub fn route_key(req: &Request) -> Option<String> {
    let path = req.extensions().get::<MatchedPath>()?.as_str();
    Some(format!("{} {path}", req.method()))
}

/// Middleware on every admin API route: authenticates, checks the access table, and hands the
/// `Caller` to the handler.
pub async fn guard(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(route) = route_key(&req) else {
        return problem(StatusCode::NOT_FOUND, "no such route");
    };
    // Only what `who` needs crosses the await (a request body is not `Sync`).
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let source = req
        .extensions()
        .get::<ClientAddr>()
        .map(|a| a.0.to_string());
    let caller = match who(&state, req.headers().clone(), session, source).await {
        Ok(c) => c,
        Err(refusal) => return no_store(refusal),
    };
    let allowed = super::routes::operation(&route)
        .is_some_and(|op| entente_operations::policy::offers(&caller.acting(), op));
    if !allowed {
        if caller.name.starts_with("api:") {
            // RFC 6750 §3.1: a token whose scope does not reach this route.
            return no_store(bearer_error(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "the token's role may not do this",
            ));
        }
        return no_store(problem(StatusCode::FORBIDDEN, "your role may not do this"));
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

async fn who(
    state: &AppState,
    headers: HeaderMap,
    session: Option<tower_sessions::Session>,
    source: Option<String>,
) -> Result<Caller, Response> {
    let request_id = crate::http::request_id(&headers);
    let trace_id = crate::http::trace_id(&headers);
    let caller_request_id = crate::http::middleware::request_id::caller_request_id(&headers);
    let (name, role, admin_id) = match bearer(state, &headers) {
        Some(Err(r)) => return Err(r),
        Some(Ok((client, role))) => (format!("api:{client}"), role, None),
        None => {
            let Some(session) = session else {
                return Err(unauthenticated());
            };
            match app::ssr::admin_from_session(&state.store, &session).await {
                // The admin API's door admits console users: a partner's people use the
                // portal (G51).
                Ok(Some(a)) if a.partner_id.is_some() => {
                    return Err(problem(StatusCode::FORBIDDEN, "your role may not do this"));
                }
                Ok(Some(a)) => (format!("admin:{}", a.email), a.role, Some(a.id)),
                Ok(None) => return Err(unauthenticated()),
                Err(e) => {
                    tracing::error!(error = %e, "session lookup failed");
                    return Err(problem(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "try again shortly",
                    ));
                }
            }
        }
    };
    Ok(Caller {
        name,
        role,
        admin_id,
        request_id,
        trace_id,
        caller_request_id,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_strongest_role_scope_wins() {
        assert_eq!(
            role_of_scope("entente:auditor entente:admin"),
            Some(Role::Admin)
        );
        assert_eq!(role_of_scope("entente:operator"), Some(Role::Operator));
        assert_eq!(role_of_scope("entente:auditor x"), Some(Role::Auditor));
        assert_eq!(role_of_scope("entente:read entente:administrator"), None);
    }
}
