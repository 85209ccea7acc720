//! Anomaly alerts: every window (ENTENTE_ALERT_WINDOW_SECS) each client's tokens and refusals
//! in that window are judged against its exponentially weighted baseline (`domain::anomaly`);
//! an anomaly is stored, written to the audit log as `security.usage_anomaly` and counted. The
//! baselines live in memory (a restart warms them up again). In cluster mode one replica (the
//! holder of a lease) judges the sum of every replica's traffic, shared through Redis, so a
//! spike raises one alert, not one per replica.

use std::collections::HashMap;

use entente_domain::anomaly::{Anomaly, Baseline, Window, observe};
use entente_domain::usage::OK;
use entente_store::alerts::Seen;

use crate::state::usage::recorder::Second;
use crate::state::{AppState, now};

/// A client's baseline and whose client it is.
#[derive(Debug, Default, Clone)]
pub struct Tracked {
    pub baseline: Baseline,
    pub partner_id: String,
    pub partner_slug: String,
    /// Windows in a row without a request (a client quiet for long is forgotten).
    pub quiet: u32,
}

/// Windows of silence after which a client's baseline is dropped.
const FORGET_AFTER: u32 = 120;
const LEASE: &str = "usage-alerts";

pub type Baselines = HashMap<String, Tracked>;

pub async fn run(s: AppState) {
    if !s.usage.config.enabled {
        return std::future::pending().await;
    }
    let mut baselines = Baselines::new();
    let window = s.usage.config.alert_window.as_secs() as i64;
    // After the second ends (and, in cluster mode, once every replica has shared it).
    let mut tick = tokio::time::interval_at(
        super::after_second(std::time::Duration::from_millis(400)),
        s.usage.config.alert_window,
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    // Windows are judged back to back from here: a tick that comes late (a busy runtime, a
    // slow database) judges every window that ended since the last one, so none is skipped
    // and none is judged twice.
    let mut next = now();
    loop {
        tick.tick().await;
        let to = now();
        if s.limits.redis.is_some() {
            let ttl = (window * 3).max(10);
            match s.store.try_lease(LEASE, &s.replica, ttl, to).await {
                Ok(true) => {}
                Ok(false) => {
                    // Another replica judges; its baselines are the ones that count.
                    baselines.clear();
                    next = to;
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "the usage-alerts lease could not be checked");
                    continue;
                }
            }
        }
        for from in due_windows(&mut next, to, window) {
            judge_window(&s, &mut baselines, from, from + window).await;
        }
    }
}

/// Windows a late tick catches up on at most (after a long stall only the latest are worth
/// judging).
const MAX_CATCH_UP: i64 = 10;

/// The starts of the whole windows that ended by `to` since `next`, oldest first; `next`
/// moves past them. Only windows whose seconds are still kept are judged: an older one would
/// read as silence and drag every baseline down (then normal traffic would look like a spike).
fn due_windows(next: &mut i64, to: i64, window: i64) -> Vec<i64> {
    let window = window.max(1);
    let kept = (crate::state::usage::recorder::KEEP_SECONDS - 1) / window * window;
    let reach = (window * MAX_CATCH_UP).min(kept.max(window));
    *next = (*next).max(to - reach);
    if *next > to {
        // The clock stepped back: start again from now rather than wait for it.
        *next = to;
    }
    let mut due = vec![];
    while *next + window <= to {
        due.push(*next);
        *next += window;
    }
    due
}

/// Judges the window `[from, to)` and records what it raised.
async fn judge_window(s: &AppState, baselines: &mut Baselines, from: i64, to: i64) {
    let seconds = match &s.limits.redis {
        None => s.usage.recorder.seconds(from, to),
        Some(_) => match super::share::seconds(s, from, to).await {
            Some(shared) => shared
                .into_iter()
                .map(|(t, sec)| (t, std::sync::Arc::new(sec)))
                .collect(),
            None => s.usage.recorder.seconds(from, to),
        },
    };
    let mut it = seconds.iter().map(|(t, sec)| (*t, sec.as_ref()));
    for (client_id, anomaly) in judge(&s.usage.config.sensitivity, baselines, &mut it) {
        let Some(t) = baselines.get(&client_id) else {
            continue;
        };
        let seen = Seen {
            replica: &s.replica,
            partner_id: &t.partner_id,
            partner_slug: &t.partner_slug,
            client_id: &client_id,
            window_start: from,
            window_secs: to - from,
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

/// Judges every client's window of these seconds (clients with a baseline and no traffic count
/// a quiet window); the anomalies found.
pub fn judge(
    sensitivity: &entente_domain::anomaly::Sensitivity,
    baselines: &mut Baselines,
    seconds: &mut dyn Iterator<Item = (i64, &Second)>,
) -> Vec<(String, Anomaly)> {
    let mut windows: HashMap<String, Window> = HashMap::new();
    {
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
    }
    let mut out = vec![];
    for (client_id, tracked) in baselines.iter_mut() {
        let w = windows.get(client_id).copied().unwrap_or_default();
        tracked.quiet = if w.requests == 0 {
            tracked.quiet + 1
        } else {
            0
        };
        for a in observe(&mut tracked.baseline, w, sensitivity) {
            out.push((client_id.clone(), a));
        }
    }
    baselines.retain(|_, t| t.quiet < FORGET_AFTER);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_tick_judges_every_window_once() {
        let mut next = 100;
        // On time: the second that just ended.
        assert_eq!(due_windows(&mut next, 101, 1), [100]);
        // Too early (a tick that drifted before the boundary): nothing yet, nothing twice.
        assert_eq!(due_windows(&mut next, 101, 1), Vec::<i64>::new());
        // Late by more than a second: both windows, in order.
        assert_eq!(due_windows(&mut next, 103, 1), [101, 102]);
        assert_eq!(next, 103);
        // Longer windows end on their own boundaries.
        let mut next = 100;
        assert_eq!(due_windows(&mut next, 104, 5), Vec::<i64>::new());
        assert_eq!(due_windows(&mut next, 111, 5), [100, 105]);
        // After a long stall, only the latest windows.
        let mut next = 0;
        let due = due_windows(&mut next, 1000, 1);
        assert_eq!(due.len() as i64, MAX_CATCH_UP);
        assert_eq!(due.last(), Some(&999));
        // Minute windows: never further back than the recorder keeps seconds (300).
        let mut next = 0;
        let due = due_windows(&mut next, 10_000, 60);
        assert!(due.iter().all(|from| *from >= 10_000 - 300), "{due:?}");
        assert_eq!(due.last(), Some(&(10_000 - 60)));
        assert_eq!(next, 10_000);
        // The clock stepped back: nothing judged twice, and judging resumes from the new now.
        let mut next = 5_000;
        assert_eq!(due_windows(&mut next, 4_000, 60), Vec::<i64>::new());
        assert_eq!(due_windows(&mut next, 4_060, 60), [4_000]);
    }
}
