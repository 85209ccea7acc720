//! Server functions of the usage views: the last five minutes from this replica's memory (the
//! live view's start; the stream `/admin/api/v1/usage/live` continues it) and any range from
//! the per-minute rollups of every replica.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

/// One step, as `entente_domain::usage::Point` serialises (the stream's JSON reads into it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UsagePoint {
    pub t: i64,
    pub requests: u64,
    #[serde(default)]
    pub tokens: BTreeMap<String, u64>,
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl UsagePoint {
    pub fn tokens_issued(&self) -> u64 {
        self.tokens.values().sum()
    }
    pub fn refused(&self) -> u64 {
        self.errors.values().sum()
    }
    pub fn rate_limited(&self) -> u64 {
        self.errors.get("rate_limited").copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TopRow {
    /// The partner's slug or the client's id.
    pub name: String,
    /// The client's name, when known.
    #[serde(default)]
    pub label: String,
    pub requests: u64,
    pub tokens: u64,
    pub refused: u64,
}

/// `entente_domain::usage::Report` as the browser sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UsageReport {
    pub from: i64,
    pub to: i64,
    pub step: i64,
    pub points: Vec<UsagePoint>,
    pub total: UsagePoint,
    pub active_partners: u64,
    pub top_partners: Vec<TopRow>,
    pub top_clients: Vec<TopRow>,
}

/// A usage anomaly alert (`entente_domain::anomaly::AlertView`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlertRow {
    pub id: i64,
    pub at: i64,
    pub partner: String,
    pub client_id: String,
    pub kind: String,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
    pub window_secs: i64,
}

/// A report with the rate limit of the partner or client it is about (requests per second).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct UsageView {
    pub report: UsageReport,
    pub limit: Option<u32>,
    /// Anomaly alerts of the last 24 hours, newest first.
    pub alerts: Vec<AlertRow>,
    /// When the report came from memory (live), else from the rollups.
    pub live: bool,
    /// Whose usage it is (the panel's partner and client).
    pub partner: String,
    pub client: String,
}

/// The ranges the console offers: `live` (per second, memory) or rollups.
pub const RANGES: [(&str, &str); 5] = [
    ("live", "Live"),
    ("5m", "5 min"),
    ("1h", "1 hour"),
    ("24h", "24 hours"),
    ("7d", "7 days"),
];

#[cfg(feature = "ssr")]
fn browser(r: entente_domain::usage::Report) -> Result<UsageReport, ConsoleError> {
    serde_json::to_value(r)
        .and_then(serde_json::from_value)
        .map_err(|e| {
            tracing::error!(error = %e, "usage report conversion");
            ConsoleError::unavailable()
        })
}

/// The limit drawn on the chart: the client's own when a client is shown, else the partner's.
#[cfg(feature = "ssr")]
async fn limit_of(
    store: &entente_store::Store,
    partner: &str,
    client: &str,
) -> Result<Option<u32>, ConsoleError> {
    let effective = if !client.is_empty() {
        store
            .client_limit(client)
            .await
            .map_err(user_error)?
            .limit
            .effective
    } else if !partner.is_empty() {
        store
            .partner_limits(partner)
            .await
            .map_err(user_error)?
            .limit
            .effective
    } else {
        None
    };
    Ok(effective.map(|e| e.rate.per_second))
}

#[server]
pub async fn load_usage(
    partner: String,
    client: String,
    range: String,
) -> Result<UsageView, ConsoleError> {
    authorize("load_usage").await?;
    let cx = console()?;
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
    let filter = cx
        .store
        .usage_filter(opt(&partner).as_deref(), opt(&client).as_deref())
        .await
        .map_err(user_error)?;
    let limit = limit_of(&cx.store, &partner, &client).await?;
    let now = crate::ssr::now();
    let alerts = cx
        .store
        .alert_views(&filter, now - 86_400, 20)
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|a| AlertRow {
            id: a.id,
            at: a.at,
            partner: a.partner,
            client_id: a.client_id,
            kind: a.kind,
            observed: a.observed,
            expected: a.expected,
            score: a.score,
            window_secs: a.window_secs,
        })
        .collect();
    if range == "live" {
        let r = cx
            .telemetry
            .0
            .recent_usage(opt(&partner), opt(&client), 300)
            .await;
        return Ok(UsageView {
            report: browser(r)?,
            limit,
            alerts,
            live: true,
            partner,
            client,
        });
    }
    let (span, step) = match range.as_str() {
        "5m" => (300, 60),
        "1h" => (3600, 60),
        "24h" => (86_400, 900),
        "7d" => (604_800, 3600),
        _ => return Err(bad_request("range must be live, 5m, 1h, 24h or 7d")),
    };
    // The current step is included (it fills as the rollups are written every few seconds).
    let to = (now / step + 1) * step;
    let r = cx
        .store
        .usage_report(&filter, to - span, to, step)
        .await
        .map_err(user_error)?;
    Ok(UsageView {
        report: browser(r)?,
        limit,
        alerts,
        live: false,
        partner,
        client,
    })
}
