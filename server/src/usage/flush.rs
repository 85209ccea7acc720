//! Every few seconds (ENTENTE_USAGE_FLUSH_SECS) this replica writes the minutes it has counted
//! since the last final write: open minutes are rewritten with their running totals until they
//! close, so a failed write is simply retried by the next one. Nothing here runs per request.

use entente_store::usage::MinuteRow;

use super::recorder::KEEP_SECONDS;
use crate::state::{AppState, now};

/// A minute is final this long after it ends (a request counts in the second it answers).
const GRACE: i64 = 2;

pub async fn run(s: AppState) {
    if !s.usage.config.enabled {
        return std::future::pending().await;
    }
    let mut tick = tokio::time::interval(s.usage.config.flush_every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = flush(&s, now()).await {
            metrics::counter!("entente_usage_flush_failures_total").increment(1);
            tracing::warn!(error = %e, "writing usage rollups failed; the next flush retries");
        }
    }
}

/// Writes every minute not yet final; how many rows were written.
pub async fn flush(s: &AppState, now: i64) -> anyhow::Result<usize> {
    let usage = &s.usage;
    let current = now.div_euclid(60) * 60;
    let written = *lock(&usage.written_through);
    let mut from = written.unwrap_or(current - KEEP_SECONDS);
    // Minutes whose seconds were partly dropped (the database was down for minutes) are lost
    // rather than overwritten with partial counts.
    let whole = (usage.recorder.dropped_before() + 59).div_euclid(60) * 60;
    if whole > from {
        if written.is_some() {
            let lost = (whole - from) / 60;
            metrics::counter!("entente_usage_minutes_lost_total").increment(lost as u64);
            tracing::warn!(
                minutes = lost,
                "usage minutes were dropped before they could be written"
            );
        }
        from = whole;
    }
    let rows: Vec<MinuteRow> = usage
        .recorder
        .minutes(from, now + 1)
        .into_iter()
        .flat_map(|(minute, groups)| {
            groups.into_iter().map(move |(group, cell)| MinuteRow {
                minute,
                group,
                cell,
            })
        })
        .collect();
    s.store.put_usage(&s.replica, &rows).await?;
    let final_before = (now - GRACE).div_euclid(60) * 60;
    *lock(&usage.written_through) = Some(from.max(final_before));
    metrics::counter!("entente_usage_rows_written_total").increment(rows.len() as u64);
    Ok(rows.len())
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}
