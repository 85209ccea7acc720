//! Logs, and OpenTelemetry traces over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (the
//! standard `OTEL_*` variables configure the exporter: `OTEL_EXPORTER_OTLP_PROTOCOL`
//! `http/protobuf` (default) or `http/json`, headers, timeout; `OTEL_SERVICE_NAME` defaults to
//! `entente`). Entente's own spans (client authentication, policy decision, partner key fetch,
//! signing, database calls) are at debug level: without an exporter they are disabled at their
//! call sites and cost nothing.
//!
//! Every request starts a trace of Entente's own (`request_id_layer`): a caller's `traceparent`
//! is recorded as a span link only, so the sampler decides on Entente's roots alone and no
//! caller chooses the trace id the audit trail records, nor turns the export of its requests
//! off (review L-2).

use std::sync::atomic::{AtomicBool, Ordering};

use opentelemetry::propagation::Extractor;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

static TRACING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (the request layer then reads `traceparent`).
pub fn exporting() -> bool {
    TRACING.load(Ordering::Relaxed)
}

/// What must be flushed before the process exits.
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Sends the spans still queued.
    pub fn shutdown(self) {
        if let Some(p) = self.provider
            && let Err(e) = p.shutdown()
        {
            eprintln!("warning: flushing traces failed: {e}");
        }
    }
}

/// Installs logging (`filter`, text or JSON on stderr) and, if configured, the OTLP exporter.
pub fn init(filter: &str, json: bool) -> Telemetry {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json()
            .flatten_event(true)
            .with_current_span(true)
            .with_filter(filter)
            .boxed()
    } else {
        fmt.with_filter(filter).boxed()
    };
    let endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .or_else(|_| std::env::var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        .ok()
        .filter(|e| !e.is_empty());
    let mut provider = None;
    let otel = endpoint.and_then(|_| match exporter() {
        Ok(p) => {
            let tracer = p.tracer("entente");
            provider = Some(p);
            opentelemetry::global::set_text_map_propagator(
                opentelemetry_sdk::propagation::TraceContextPropagator::new(),
            );
            TRACING.store(true, Ordering::Relaxed);
            Some(
                tracing_opentelemetry::layer()
                    .with_tracer(tracer)
                    .with_filter(EnvFilter::new(
                        "info,entente=debug,entente_server=debug,entente_store=debug",
                    )),
            )
        }
        Err(e) => {
            eprintln!("warning: OpenTelemetry traces are off: {e}");
            None
        }
    });
    tracing_subscriber::registry().with(fmt).with(otel).init();
    Telemetry { provider }
}

fn exporter() -> anyhow::Result<SdkTracerProvider> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()?;
    let service = std::env::var("OTEL_SERVICE_NAME").unwrap_or_else(|_| "entente".into());
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name(service)
                .build(),
        )
        .build())
}

/// W3C trace context read from request headers.
pub struct Headers<'a>(pub &'a axum::http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}
