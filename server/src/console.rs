//! The console: Leptos SSR routes and server functions, sessions in the database, and the
//! cross-site refusal for every state-changing request.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::config::LeptosOptions;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::session_store::DbSessionStore;
use crate::state::AppState;

/// The runtime Leptos options: Leptos.toml (compiled in), overridable with LEPTOS_* variables.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    leptos::config::get_config_from_str(include_str!("../../Leptos.toml"))
        .map_err(|e| anyhow::anyhow!("Leptos.toml: {e}"))
}

pub fn router(state: &AppState) -> anyhow::Result<Router> {
    let options = leptos_options()?;
    let routes = generate_route_list(app::App);
    let ctx = app::ssr::ConsoleContext {
        throttle: state.login_throttle.clone(),
        store: state.store.clone(),
        hasher: state.hasher.clone(),
        issuer: state.issuer.clone(),
        federation: app::ssr::FederationHandle(std::sync::Arc::new(ConsoleFederation(
            state.clone(),
        ))),
    };
    let https = state.issuer.starts_with("https://");
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.store.clone()))
        // `__Host-` binds the cookie to this exact origin; browsers only accept it over https.
        .with_name(if https {
            "__Host-entente"
        } else {
            "entente_session"
        })
        .with_secure(https)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(2)));
    let origin = origin_of(&state.issuer);
    let shell_options = options.clone();
    let context = move || {
        provide_context(ctx.clone());
        // The scripts Leptos renders carry the nonce that this response's CSP names.
        if let Some(nonce) = use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<CspNonce>().cloned())
        {
            provide_context(leptos::nonce::Nonce::from_value(nonce.0));
        }
    };
    let router = Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), move || {
            app::shell(shell_options.clone())
        })
        .route(
            "/admin/api/v1/exchange/explain",
            axum::routing::post({
                let state = state.clone();
                move |session: tower_sessions::Session,
                      headers: axum::http::HeaderMap,
                      body: axum::body::Bytes| {
                    explain_http(state.clone(), session, headers, body)
                }
            }),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context,
            app::shell,
        ))
        .with_state(options)
        .layer(sessions)
        .layer(middleware::from_fn(move |req, next| {
            refuse_cross_site(origin.clone(), req, next)
        }))
        .layer(middleware::from_fn(security_headers));
    Ok(router)
}

/// The federation services the console's server functions use, backed by the running state.
struct ConsoleFederation(AppState);

impl app::ssr::FederationServices for ConsoleFederation {
    fn check_jwks_uri(&self, uri: String) -> app::ssr::BoxFuture<Result<String, String>> {
        let policy = *self.0.issuer_keys.policy();
        Box::pin(async move {
            crate::issuer_keys::check_url_resolves(&uri, &policy)
                .await
                .map(|u| u.to_string())
        })
    }

    fn explain(&self, request: serde_json::Value) -> app::ssr::BoxFuture<serde_json::Value> {
        let state = self.0.clone();
        Box::pin(async move {
            let req: crate::explain::ExplainRequest = match serde_json::from_value(request) {
                Ok(r) => r,
                Err(e) => {
                    return serde_json::json!({"allowed": false, "error": "invalid_request",
                        "error_description": format!("not a valid request: {e}"), "trace": []});
                }
            };
            run_explain(&state, &req).await
        })
    }

    fn apply_changes(&self) -> app::ssr::BoxFuture<()> {
        let state = self.0.clone();
        Box::pin(async move {
            // Best effort: if the database hiccups, the background poll applies it shortly.
            if let Err(e) = state.poll_changes().await {
                tracing::warn!(error = %e, "applying console changes now failed");
            }
        })
    }
}

async fn run_explain(state: &AppState, req: &crate::explain::ExplainRequest) -> serde_json::Value {
    let snapshot = state.snapshot();
    let revoked = |c: &entente_domain::token::AccessTokenClaims| state.is_revoked(c);
    crate::explain::explain(
        &snapshot,
        &state.issuer_keys,
        state.keys(),
        &revoked,
        &crate::oauth::grants::env(state),
        req,
        crate::state::now(),
    )
    .await
}

/// `POST /admin/api/v1/exchange/explain`: an administrator (console session, or a bearer token
/// with `entente:admin` for the admin API audience) evaluates a token request.
async fn explain_http(
    state: AppState,
    session: tower_sessions::Session,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    match crate::admin_auth::bearer(&state, &headers) {
        Some(Err(r)) => return r,
        Some(Ok(())) => {}
        None => {
            if let Some(r) = require_admin_session(&state, &session).await {
                return r;
            }
        }
    }
    explain_body(&state, &body).await
}

/// None when the session belongs to an administrator; otherwise the refusal.
async fn require_admin_session(
    state: &AppState,
    session: &tower_sessions::Session,
) -> Option<Response> {
    match app::ssr::admin_from_session(&state.store, session).await {
        Ok(Some(a)) if a.role == "admin" => None,
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

async fn explain_body(state: &AppState, body: &[u8]) -> Response {
    if body.len() > 64 * 1024 {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "the request is larger than 64 KiB",
        );
    }
    let req: crate::explain::ExplainRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("the request is not a valid explain request: {e}"),
            );
        }
    };
    let answer = run_explain(state, &req).await;
    (
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(answer),
    )
        .into_response()
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"status": status.as_u16(), "detail": detail})),
    )
        .into_response()
}

fn origin_of(issuer: &str) -> String {
    match issuer.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => issuer.to_owned(),
    }
}

/// Every state-changing request to the console must come from the console's own origin
/// (security case F43): decided by `Sec-Fetch-Site` when the browser sends it, else by `Origin`.
/// Requests with neither come from non-browser clients, which carry no ambient cookies.
async fn refuse_cross_site(origin: String, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let h = req.headers();
        let cross = match (h.get("sec-fetch-site"), h.get(header::ORIGIN)) {
            (Some(site), _) => site != "same-origin" && site != "none",
            (None, Some(o)) => o.as_bytes() != origin.as_bytes(),
            (None, None) => false,
        };
        if cross {
            tracing::warn!("refused a cross-site console request");
            return (StatusCode::FORBIDDEN, "cross-site requests are refused").into_response();
        }
    }
    next.run(req).await
}

/// This response's CSP nonce (128 random bits), put on the request for the renderer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// The console's Content-Security-Policy: scripts only from this origin and the inline
/// hydration script carrying this response's nonce (no `unsafe-inline`); wasm may compile;
/// never framed; no `<base>`, plugins or cross-origin form posts.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
    )
}

async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = entente_domain::secret::random_token(16);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    /// cargo-leptos reads Cargo.toml, the server reads Leptos.toml: they must agree.
    #[test]
    fn leptos_toml_agrees_with_cargo_metadata() {
        let runtime = leptos_options().unwrap();
        let cargo = leptos::config::get_config_from_str(include_str!("../../Cargo.toml")).unwrap();
        assert_eq!(runtime.output_name, cargo.output_name);
        assert_eq!(runtime.site_addr, cargo.site_addr);
        assert_eq!(runtime.site_pkg_dir, cargo.site_pkg_dir);
        assert_eq!(runtime.site_root, cargo.site_root);
    }

    #[test]
    fn origin_is_scheme_and_authority() {
        assert_eq!(
            origin_of("https://id.example.com/base"),
            "https://id.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }
}
