//! Liveness, readiness and the Prometheus rendering.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers, the change feed is fresh, a signing key is loaded, and the
/// process is not shutting down. On the public listener only the answer (what a load balancer
/// needs): whether rate limits are off is nobody else's business.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ready = state.ready();
    answer(ready, serde_json::json!({ "ready": ready }))
}

/// The same on the metrics listener, with the detail: which check fails, and how rate limits
/// are enforced (Redis being down does not make a replica unready: its failure mode decides).
pub async fn readyz_detail(State(state): State<AppState>) -> Response {
    let ready = state.ready();
    let (redis, rate_limits) = match &state.limits.redis {
        None => ("off", "local"),
        Some(r) if r.is_up() => ("up", "cluster"),
        Some(r) => ("down", r.failure_mode.as_str()),
    };
    answer(
        ready,
        serde_json::json!({
            "ready": ready,
            "change_feed": if state.stale() { "stale" } else { "fresh" },
            "signing_key": state.keys().signer.is_some(),
            "shutting_down": state.shutting_down.load(std::sync::atomic::Ordering::Relaxed),
            "redis": redis,
            "rate_limits": rate_limits,
            "replicas_seen": state.limits.redis.as_ref().map(|r| r.replicas()),
        }),
    )
}

fn answer(ready: bool, body: serde_json::Value) -> Response {
    let body = axum::Json(body);
    if ready {
        (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")], body).into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, "1"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response()
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
