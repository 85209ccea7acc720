//! The console's security headers: a Content-Security-Policy with a per-response nonce that
//! Leptos puts on its scripts, and the usual hardening headers.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// This response's CSP nonce (128 random bits), put on the request for the renderer.
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Scripts only from this origin and the inline hydration script carrying this response's
/// nonce (no `unsafe-inline`); wasm may compile; never framed; no `<base>`, plugins or
/// cross-origin form posts.
pub fn content_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         frame-ancestors 'none'; base-uri 'none'; object-src 'none'; form-action 'self'"
    )
}

pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = entente_domain::secret::random_token(16);
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_security_policy(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}
