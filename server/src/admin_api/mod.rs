//! The admin REST API (`/admin/api/v1`): reached with a console session (same origin) or an
//! admin bearer token; answers JSON, refusals as problem details.

pub mod audit;
pub mod auth;
pub mod explain;

use axum::Router;
use axum::body::Bytes;
use axum::http::HeaderMap;
use std::collections::HashMap;

use axum::extract::Query;
use axum::routing::{get, post};

use crate::state::AppState;

pub const EXPLAIN_PATH: &str = "/admin/api/v1/exchange/explain";
const EXPLAIN: &str = "POST /admin/api/v1/exchange/explain";
pub const AUDIT_PATH: &str = "/admin/api/v1/audit";
const AUDIT: &str = "GET /admin/api/v1/audit";

/// Every admin API route as "METHOD /path", its key in the console's access table (the role
/// test walks these).
pub const ROUTES: &[&str] = &[EXPLAIN, AUDIT];

/// The admin API's routes, for any router state (the console's router carries Leptos options).
pub fn routes<S: Clone + Send + Sync + 'static>(state: &AppState) -> Router<S> {
    let s = state.clone();
    let a = state.clone();
    Router::new()
        .route(
            AUDIT_PATH,
            get(
                move |session: tower_sessions::Session,
                      headers: HeaderMap,
                      Query(q): Query<HashMap<String, String>>| {
                    let state = a.clone();
                    async move {
                        if let Some(refusal) =
                            auth::authorize(&state, &session, &headers, AUDIT).await
                        {
                            return refusal;
                        }
                        audit::audit_http(&state, &q).await
                    }
                },
            ),
        )
        .route(
            EXPLAIN_PATH,
            post(
                move |session: tower_sessions::Session, headers: HeaderMap, body: Bytes| {
                    let state = s.clone();
                    async move {
                        if let Some(refusal) =
                            auth::authorize(&state, &session, &headers, EXPLAIN).await
                        {
                            return refusal;
                        }
                        explain::explain_http(&state, &body).await
                    }
                },
            ),
        )
}
