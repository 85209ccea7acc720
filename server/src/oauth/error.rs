//! The one place where OAuth errors become HTTP (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::{OAuthError, OAuthErrorCode};

pub struct ErrorResponse(pub OAuthError);

impl From<OAuthError> for ErrorResponse {
    fn from(e: OAuthError) -> Self {
        Self(e)
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        let e = self.0;
        metrics::counter!("entente_oauth_errors_total", "error" => e.code.as_str()).increment(1);
        let status = match e.code {
            OAuthErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            OAuthErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let body =
            serde_json::json!({ "error": e.code.as_str(), "error_description": e.description });
        let mut res = (status, no_store(), axum::Json(body)).into_response();
        match e.code {
            OAuthErrorCode::InvalidClient => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"entente\", charset=\"UTF-8\""),
                );
            }
            OAuthErrorCode::TemporarilyUnavailable => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            }
            _ => {}
        }
        res
    }
}

/// `Cache-Control: no-store` and `Pragma: no-cache` on every token-bearing or error response.
pub fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}
