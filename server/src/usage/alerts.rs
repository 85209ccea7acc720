//! Anomaly alerts: every window (ENTENTE_ALERT_WINDOW_SECS) each client's tokens and refusals
//! in that window are judged against its exponentially weighted baseline (`domain::anomaly`);
//! an anomaly is stored, written to the audit log as `security.usage_anomaly` and counted. The
//! baselines live in memory (a restart warms them up again) and see this replica's traffic.

use std::collections::HashMap;

use entente_domain::anomaly::{Anomaly, Baseline, Window, observe};
use entente_domain::usage::OK;
use entente_store::alerts::Seen;

use crate::state::{AppState, now};

/// A client's baseline and whose client it is.
#[derive(Debug, Default, Clone)]
pub struct Tracked {
    pub baseline: Baseline,
    pub partner_id: String,
    pub partner_slug: String,
}

pub type Baselines = HashMap<String, Tracked>;

pub async fn run(s: AppState) {
    if !s.usage.config.enabled {
        return std::future::pending().await;
    }
    let mut baselines = Baselines::new();
    let mut tick = tokio::time::interval(s.usage.config.alert_window);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let to = now();
        let window = s.usage.config.alert_window.as_secs() as i64;
        for (client_id, anomaly) in judge(&s, &mut baselines, to - window, to) {
            let Some(t) = baselines.get(&client_id) else {
                continue;
            };
            let seen = Seen {
                replica: &s.replica,
                partner_id: &t.partner_id,
                partner_slug: &t.partner_slug,
                client_id: &client_id,
                window_start: to - window,
                window_secs: window,
            };
            metrics::counter!("entente_usage_alerts_total", "kind" => anomaly.kind.as_str())
                .increment(1);
            tracing::warn!(
                client_id,
                partner = t.partner_slug,
                kind = anomaly.kind.as_str(),
                observed = anomaly.observed,
                expected = anomaly.expected,
                "usage anomaly"
            );
            if let Err(e) = s.store.record_alert(&seen, &anomaly, now()).await {
                tracing::warn!(error = %e, "recording a usage alert failed");
            }
        }
    }
}

/// Judges every client's window `[from, to)` (clients with a baseline and no traffic count a
/// quiet window); the anomalies found.
pub fn judge(
    s: &AppState,
    baselines: &mut Baselines,
    from: i64,
    to: i64,
) -> Vec<(String, Anomaly)> {
    let mut windows: HashMap<String, Window> = HashMap::new();
    s.usage.recorder.with_seconds(from, to, |seconds| {
        for (_, second) in seconds {
            for (client_id, c) in second.iter().filter(|(id, _)| !id.is_empty()) {
                let tracked = baselines.entry(client_id.clone()).or_default();
                if tracked.partner_slug.is_empty() {
                    tracked.partner_id.clone_from(&c.partner_id);
                    tracked.partner_slug.clone_from(&c.partner_slug);
                }
                let w = windows.entry(client_id.clone()).or_default();
                for (kind, _, result, cell) in &c.cells {
                    w.requests += cell.count;
                    if *result == OK {
                        if kind.issues() {
                            w.tokens += cell.count;
                        }
                    } else {
                        w.refused += cell.count;
                    }
                }
            }
        }
    });
    let sensitivity = s.usage.config.sensitivity;
    let mut out = vec![];
    for (client_id, tracked) in baselines.iter_mut() {
        let w = windows.get(client_id).copied().unwrap_or_default();
        for a in observe(&mut tracked.baseline, w, &sensitivity) {
            out.push((client_id.clone(), a));
        }
    }
    out
}
