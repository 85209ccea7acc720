//! `GET /admin/api/v1/audit`: the audit log, filtered and paged, as JSON or CSV (the console's
//! export links and `entente audit list` share this shape).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_store::audit::AuditFilter;
use entente_store::entities::audit_event;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::problem::{Query, Refusals};
use super::time_text as rfc3339;
use crate::http::errors::problem;
use crate::state::{AppState, now};

/// One audit event: who did what to which target, with what before and after (never secrets).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    pub id: i64,
    pub at: String,
    /// `admin:<email>`, `api:<client_id>`, `cli:<user>`, `system`, …
    pub actor: String,
    #[schema(example = "partner.stage")]
    pub action: String,
    #[schema(example = "partner:acme")]
    pub target: String,
    /// The partner's slug, when the event concerns one.
    pub partner: Option<String>,
    /// Before and after, and what else the action recorded.
    pub details: Value,
    pub request_id: Option<String>,
    /// The request's OpenTelemetry trace, when traces are exported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
    /// The address the request came from.
    pub source: Option<String>,
    /// The event's place in the audit chain (from 1); `entente audit verify` walks them.
    pub seq: Option<i64>,
    /// SHA-256 (hex) of the previous event's hash and this event in RFC 8785 canonical JSON.
    pub hash: Option<String>,
}

pub fn event_json(e: &audit_event::Model) -> Value {
    serde_json::to_value(AuditEvent {
        id: e.id,
        at: rfc3339(e.at),
        actor: e.actor.clone(),
        action: e.action.clone(),
        target: e.target.clone(),
        partner: e.partner.clone(),
        details: serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
        request_id: e.request_id.clone(),
        trace_id: e.trace_id.clone(),
        source: e.source.clone(),
        seq: e.seq,
        hash: e.hash.clone(),
    })
    .unwrap_or(Value::Null)
}

/// The audit log's filters.
#[allow(dead_code)] // read as a map by `AuditFilter::from_query`; this documents it
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact actor.
    actor: Option<String>,
    /// The partner's slug.
    partner: Option<String>,
    /// Exactly what the event acted on (`client:c_…`, `partner:acme`).
    target: Option<String>,
    /// Exact action, or a prefix ending in `.` (`partner.`).
    action: Option<String>,
    /// RFC 3339 time, `YYYY-MM-DD`, or a duration ago (`15m`, `24h`, `7d`).
    since: Option<String>,
    until: Option<String>,
    /// Events older than this id (the previous page's `next_before`).
    #[param(minimum = 0)]
    before: Option<u64>,
    /// 1–10000 (default 100).
    #[param(minimum = 1, maximum = 10000)]
    limit: Option<u64>,
    /// json (default) or csv.
    format: Option<String>,
    /// Present: answer as a download (`Content-Disposition: attachment`).
    download: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    /// Newest first.
    pub events: Vec<AuditEvent>,
    /// Pass as `before` for the next page; null on the last.
    pub next_before: Option<i64>,
}

#[utoipa::path(get, path = "/admin/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, description = "Newest first", content(
        (AuditPage = "application/json"),
        (String = "text/csv"))), Refusals))]
pub async fn get_audit(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // The console's filters drop empty fields; a script that sends `limit=` has made a mistake.
    for k in ["limit", "before"] {
        if q.get(k).is_some_and(|v| v.trim().is_empty()) {
            return problem(StatusCode::BAD_REQUEST, &format!("{k} must be a number"));
        }
    }
    audit_http(&state, &q).await
}

/// Spreadsheet programs run cells that start with these as formulas; a leading quote keeps
/// exported partner-controlled text inert.
fn inert(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

pub fn events_csv(events: &[audit_event::Model]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| format!("the export could not be written: {e}");
    w.write_record([
        "id",
        "at",
        "actor",
        "action",
        "target",
        "partner",
        "source",
        "request_id",
        "details",
        "seq",
        "hash",
    ])
    .map_err(fail)?;
    for e in events {
        w.write_record([
            e.id.to_string(),
            rfc3339(e.at),
            inert(&e.actor),
            inert(&e.action),
            inert(&e.target),
            inert(e.partner.as_deref().unwrap_or("")),
            e.source.clone().unwrap_or_default(),
            e.request_id.clone().unwrap_or_default(),
            inert(&e.details),
            e.seq.map(|n| n.to_string()).unwrap_or_default(),
            e.hash.clone().unwrap_or_default(),
        ])
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| format!("the export could not be written: {e}"))
}

pub async fn audit_http(state: &AppState, q: &HashMap<String, String>) -> Response {
    let f = match AuditFilter::from_query(q, now()) {
        Ok(f) => f,
        Err(e) => return problem(StatusCode::BAD_REQUEST, &e),
    };
    let events = match state.store.audit_events(&f).await {
        Ok(e) => e,
        Err(e) => {
            tracing::error!(error = %e, "reading the audit log failed");
            return problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "the audit log could not be read; try again",
            );
        }
    };
    let next = (events.len() as u64 == f.limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    match q.get("format").map(String::as_str) {
        Some("csv") => match events_csv(&events) {
            Ok(body) => {
                let mut r = (StatusCode::OK, body).into_response();
                let h = r.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/csv; charset=utf-8"),
                );
                h.insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"entente-audit.csv\""),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                r
            }
            Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e),
        },
        None | Some("json") => {
            let body = serde_json::json!({
                "events": events.iter().map(event_json).collect::<Vec<_>>(),
                "next_before": next,
            });
            let mut r = axum::Json(body).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if q.contains_key("download") {
                r.headers_mut().insert(
                    header::CONTENT_DISPOSITION,
                    HeaderValue::from_static("attachment; filename=\"entente-audit.json\""),
                );
            }
            r
        }
        Some(_) => problem(StatusCode::BAD_REQUEST, "format is json or csv"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_cells_are_made_inert() {
        assert_eq!(super::inert("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(super::inert("@SUM(1)"), "'@SUM(1)");
        assert_eq!(super::inert("partner:acme"), "partner:acme");
    }
}
