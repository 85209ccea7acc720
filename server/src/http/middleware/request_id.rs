//! `X-Request-Id`: accepted if sane, generated otherwise, on the span and the response.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The request's trace id, set by this layer only (an incoming one is dropped), for the audit
/// trail (`entente_domain::audit::TRACE_ID_HEADER`).
pub const TRACE_ID: HeaderName = HeaderName::from_static(entente_domain::audit::TRACE_ID_HEADER);

/// The trace id this layer gave the request, when traces are exported.
pub fn trace_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(TRACE_ID)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
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

/// Runs the request inside a span carrying its id (so every log line of the request has it)
/// and echoes the id on the response. When traces are exported, the span continues the
/// caller's W3C `traceparent` and its trace id is on every log line and audit event.
pub async fn request_id_layer(mut req: Request, next: Next) -> Response {
    let id = request_id(req.headers()).unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    req.headers_mut().remove(TRACE_ID);
    let exporting = crate::telemetry::exporting();
    let span = if exporting {
        // Named for the trace backend by method and path (the span's name in logs stays `request`).
        tracing::info_span!("request", request_id = %id, method = %req.method(),
            path = %req.uri().path(), trace_id = tracing::field::Empty,
            otel.name = %format_args!("{} {}", req.method(), req.uri().path()), otel.kind = "server")
    } else {
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path())
    };
    if exporting {
        use opentelemetry::trace::TraceContextExt;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        let parent = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&crate::telemetry::Headers(req.headers()))
        });
        let _ = span.set_parent(parent);
        let trace_id = span.context().span().span_context().trace_id().to_string();
        span.record("trace_id", trace_id.as_str());
        if let Ok(v) = HeaderValue::from_str(&trace_id) {
            req.headers_mut().insert(TRACE_ID, v);
        }
    }
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
