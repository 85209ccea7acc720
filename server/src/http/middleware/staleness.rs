//! A replica whose change feed is older than ENTENTE_MAX_STALENESS may be missing revocations
//! made elsewhere: it answers 503 (with Retry-After) instead of issuing or vouching for tokens.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use entente_domain::{OAuthError, OAuthErrorCode};

use crate::http::errors::ErrorResponse;
use crate::state::AppState;

pub async fn refuse_when_stale(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if state.stale() {
        metrics::counter!("entente_stale_refusals_total").increment(1);
        // The one OAuth error mapping: 503, Retry-After, no-store.
        return ErrorResponse(OAuthError::new(
            OAuthErrorCode::TemporarilyUnavailable,
            "this replica cannot reach its database; try again shortly",
        ))
        .into_response();
    }
    next.run(req).await
}
