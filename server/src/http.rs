//! The router: OAuth endpoints, discovery, health, metrics; request ids on every request.

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
    Router::new()
        .route("/oauth2/token", post(oauth::token::token))
        .route("/oauth2/introspect", post(oauth::introspect::introspect))
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
        .route("/metrics", get(metrics))
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
