//! The admin REST API (`/admin/api/v1`): reached with a console session (same origin) or an
//! admin bearer token; answers JSON, refusals as problem details.

pub mod auth;
pub mod explain;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;

use crate::state::AppState;

/// The admin API's routes, for any router state (the console's router carries Leptos options).
pub fn routes<S: Clone + Send + Sync + 'static>(state: &AppState) -> Router<S> {
    let s = state.clone();
    Router::new().route(
        "/admin/api/v1/exchange/explain",
        post(
            move |session: tower_sessions::Session, headers: HeaderMap, body: Bytes| {
                let state = s.clone();
                async move {
                    if let Some(refusal) = auth::require_admin(&state, &session, &headers).await {
                        return refusal;
                    }
                    explain::explain_http(&state, &body).await
                }
            },
        ),
    )
}
