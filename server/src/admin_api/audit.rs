//! `GET /admin/api/v1/audit`: the audit log, filtered and paged, as JSON or CSV (the console's
//! export links and `entente audit list` share this shape).

use std::collections::HashMap;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_store::audit::AuditFilter;
use entente_store::entities::audit_event;
use serde_json::{Value, json};

use crate::http::errors::problem;
use crate::state::{AppState, now};

fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub fn event_json(e: &audit_event::Model) -> Value {
    json!({
        "id": e.id,
        "at": rfc3339(e.at),
        "actor": e.actor,
        "action": e.action,
        "target": e.target,
        "partner": e.partner,
        "details": serde_json::from_str::<Value>(&e.details).unwrap_or(Value::Null),
        "request_id": e.request_id,
        "source": e.source,
    })
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
            let body = json!({
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
