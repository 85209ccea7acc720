//! `X-Request-Id`: Entente's own, generated for every request, on the span, the audit trail and
//! the response. A caller's sane `X-Request-Id` is kept beside it, labelled as the caller's
//! (`caller_request_id` on the request's log lines); it never becomes the request's id, so
//! nobody can give their requests the id of somebody else's (review L-2).

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// The caller's own `X-Request-Id`, when sane, as this layer found it (an incoming header of
/// this name is dropped): correlation for the caller, never Entente's id.
pub const CALLER_REQUEST_ID: HeaderName =
    HeaderName::from_static(entente_domain::audit::CALLER_REQUEST_ID_HEADER);
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

/// The request's id, as this layer set it (Entente's own; behind the layer it is always there).
pub fn request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned)
}

/// The caller's own `X-Request-Id`, if it sent a sane one.
pub fn caller_request_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(CALLER_REQUEST_ID)
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
/// and returns the id on the response. When traces are exported, the request starts a trace of
/// Entente's own (sampled by Entente's sampler, its id on every log line and audit event); a
/// caller's W3C `traceparent` is only recorded as a link, so a caller neither chooses the
/// trace id in the audit trail nor turns the export of its requests on or off.
pub async fn request_id_layer(mut req: Request, next: Next) -> Response {
    let caller = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_sane_id(v))
        .map(str::to_owned);
    let id = uuid::Uuid::new_v4().to_string();
    let value = HeaderValue::from_str(&id).unwrap_or(HeaderValue::from_static("invalid"));
    req.headers_mut().insert(REQUEST_ID, value.clone());
    req.headers_mut().remove(CALLER_REQUEST_ID);
    if let Some(v) = caller
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        req.headers_mut().insert(CALLER_REQUEST_ID, v);
    }
    req.headers_mut().remove(TRACE_ID);
    let caller_field = caller.as_deref().unwrap_or_default();
    let exporting = crate::telemetry::exporting();
    let span = if exporting {
        // Named for the trace backend by method and path (the span's name in logs stays `request`).
        tracing::info_span!("request", request_id = %id, caller_request_id = caller_field,
            method = %req.method(), path = %req.uri().path(), trace_id = tracing::field::Empty,
            otel.name = %format_args!("{} {}", req.method(), req.uri().path()), otel.kind = "server")
    } else {
        tracing::info_span!("request", request_id = %id, caller_request_id = caller_field,
            method = %req.method(), path = %req.uri().path())
    };
    if exporting {
        use opentelemetry::trace::TraceContextExt;
        use tracing_opentelemetry::OpenTelemetrySpanExt;
        // A root of Entente's own: the empty context as parent, whatever is current.
        let _ = span.set_parent(opentelemetry::Context::new());
        let remote = opentelemetry::global::get_text_map_propagator(|p| {
            p.extract(&crate::telemetry::Headers(req.headers()))
        });
        let remote = remote.span().span_context().clone();
        if remote.is_valid() {
            span.add_link_with_attributes(
                remote,
                vec![opentelemetry::KeyValue::new("entente.link", "caller")],
            );
        }
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
