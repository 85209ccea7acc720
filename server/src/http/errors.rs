//! The one place where errors become HTTP: OAuth (RFC 6749 §5.2, RFC 7009 §2.2.1, RFC 7662 §2.3),
//! bearer tokens (RFC 6750 §3) and problem details (RFC 9457).

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
            OAuthErrorCode::SlowDown => StatusCode::TOO_MANY_REQUESTS,
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
            OAuthErrorCode::TemporarilyUnavailable | OAuthErrorCode::SlowDown => {
                res.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(e.retry_after.unwrap_or(1)),
                );
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

/// RFC 9457 problem details for the admin API and console endpoints outside OAuth.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        )],
        axum::Json(serde_json::json!({
            "type": "about:blank",
            "title": status.canonical_reason().unwrap_or("Error"),
            "status": status.as_u16(),
            "detail": detail,
        })),
    )
        .into_response()
}

/// RFC 6750 §3: a bearer-token refusal with its `WWW-Authenticate` challenge.
pub fn bearer_error(status: StatusCode, error: &'static str, detail: &str) -> Response {
    let challenge = format!("Bearer realm=\"entente-admin\", error=\"{error}\"");
    let mut r = problem(status, detail);
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r
}
