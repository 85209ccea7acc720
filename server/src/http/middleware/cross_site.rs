//! Every state-changing request to the console and the admin API must come from the console's
//! own origin (security case F43): decided by `Sec-Fetch-Site` when the browser sends it, else
//! by `Origin`. Requests with neither come from non-browser clients, which carry no ambient
//! cookies.

use axum::extract::Request;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn refuse_cross_site(origin: String, req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let h = req.headers();
        let cross = match (h.get("sec-fetch-site"), h.get(header::ORIGIN)) {
            (Some(site), _) => site != "same-origin" && site != "none",
            (None, Some(o)) => o.as_bytes() != origin.as_bytes(),
            (None, None) => false,
        };
        if cross {
            tracing::warn!("refused a cross-site console request");
            if req.uri().path().starts_with("/admin/api/") {
                return crate::http::errors::problem(
                    StatusCode::FORBIDDEN,
                    "cross-site requests are refused",
                );
            }
            return (StatusCode::FORBIDDEN, "cross-site requests are refused").into_response();
        }
    }
    next.run(req).await
}

/// `scheme://host[:port]` of a URL such as the issuer identifier.
pub fn origin_of(issuer: &str) -> String {
    match issuer.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)),
        None => issuer.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_is_scheme_and_authority() {
        assert_eq!(
            origin_of("https://id.example.com/base"),
            "https://id.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }
}
