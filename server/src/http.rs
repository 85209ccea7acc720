//! The router: OAuth endpoints, discovery, health; request ids and the client's address on
//! every request. Metrics have their own listener (`metrics_router`).

use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::Instrument;

use crate::oauth;
use crate::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    // A replica that cannot read the change feed may miss revocations made elsewhere: it stops
    // issuing and vouching for tokens until it can (ENTENTE_MAX_STALENESS).
    let vouching = Router::new()
        .route("/oauth2/token", post(oauth::token::token))
        .route("/oauth2/introspect", post(oauth::introspect::introspect))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_when_stale,
        ));
    Router::new()
        .merge(vouching)
        .route("/oauth2/revoke", post(oauth::revoke::revoke))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::discovery::oauth_metadata),
        )
        .route(
            "/.well-known/openid-configuration",
            get(oauth::discovery::oauth_metadata),
        )
        .route("/.well-known/jwks.json", get(oauth::discovery::jwks))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(state)
        .layer(middleware::from_fn(request_id_layer))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.ready() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "not ready",
        )
            .into_response()
    }
}

/// `/metrics` for Prometheus, served on ENTENTE_METRICS_LISTEN only: it names partners and
/// their volumes, which the public listener must not show.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

async fn refuse_when_stale(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.stale() {
        metrics::counter!("entente_stale_refusals_total").increment(1);
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, HeaderValue::from_static("1")),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            axum::Json(serde_json::json!({
                "error": "temporarily_unavailable",
                "error_description": "this replica cannot reach its database; try again shortly",
            })),
        )
            .into_response();
    }
    next.run(req).await
}

/// Puts the client's address (`ClientAddr`) on the request: the socket peer, or what trusted
/// proxies (ENTENTE_TRUSTED_PROXIES) say it is.
pub async fn client_address(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let h = req.headers();
        let values = |name: &str| -> Vec<&str> {
            h.get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        let addr = if state.trusted_proxies.is_empty() {
            peer
        } else {
            entente_domain::forwarded::client_address(
                peer,
                &state.trusted_proxies,
                &values("x-forwarded-for"),
                &values("forwarded"),
            )
        };
        req.extensions_mut()
            .insert(entente_domain::forwarded::ClientAddr(addr));
    }
    next.run(req).await
}

async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The request's id: the caller's `X-Request-Id` if it is sane, else a new one.
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
}

fn is_sane_id(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 128
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// Accepts or generates `X-Request-Id`, runs the request inside a span carrying it (so every
/// log line of the request has it) and echoes it on the response.
async fn request_id_layer(mut req: Request, next: Next) -> Response {
    let id = request_id(req.headers()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = async move {
        let res = next.run(req).await;
        tracing::info!(status = res.status().as_u16(), "handled");
        res
    }
    .instrument(span)
    .await;
    res.headers_mut().insert(REQUEST_ID, value);
    res
}
