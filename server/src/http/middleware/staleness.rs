//! A replica whose change feed is older than ENTENTE_MAX_STALENESS may be missing revocations
//! made elsewhere: it answers 503 (with Retry-After) instead of issuing or vouching for tokens.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

pub async fn refuse_when_stale(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
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
