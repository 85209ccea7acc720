//! Every few seconds (ENTENTE_USAGE_FLUSH_SECS) this replica writes the minutes it has counted
//! since the last final write: open minutes are rewritten with their running totals until they
//! close, so a failed write is simply retried by the next one. Nothing here runs per request.

use entente_store::usage::MinuteRow;

use crate::state::usage::recorder::KEEP_SECONDS;
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

/// Where a flush at `now` starts (the first minute not yet final, or, after minutes were
/// dropped from memory, the first minute still whole there) and how many minutes were lost.
pub fn plan(written: Option<i64>, dropped_before: i64, now: i64) -> (i64, u64) {
    let current = now.div_euclid(60) * 60;
    let from = written.unwrap_or(current - KEEP_SECONDS);
    // Minutes whose seconds were partly dropped (the database was down for minutes) are lost
    // rather than overwritten with partial counts.
    let whole = (dropped_before + 59).div_euclid(60) * 60;
    if whole > from {
        let lost = if written.is_some() {
            (whole - from) / 60
        } else {
            0
        };
        (whole, u64::try_from(lost).unwrap_or(0))
    } else {
        (from, 0)
    }
}

/// Minutes before this one are final at `now`.
pub fn final_before(now: i64) -> i64 {
    (now - GRACE).div_euclid(60) * 60
}

/// Writes every minute not yet final; how many rows were written. One flush at a time (the
/// worker, the last one at shutdown): an older snapshot never overwrites a newer one.
pub async fn flush(s: &AppState, now: i64) -> anyhow::Result<usize> {
    let usage = &s.usage;
    let _one = usage.flushing.lock().await;
    let written = *lock(&usage.written_through);
    let (from, lost) = plan(written, usage.recorder.dropped_before(), now);
    if lost > 0 {
        metrics::counter!("entente_usage_minutes_lost_total").increment(lost);
        tracing::warn!(
            minutes = lost,
            "usage minutes were dropped before they could be written"
        );
    }
    let mut rows: Vec<MinuteRow> = usage
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
    // One order for every writer: concurrent upserts of the same keys never deadlock.
    rows.sort_unstable_by(|a, b| (a.minute, &a.group).cmp(&(b.minute, &b.group)));
    s.store.put_usage(&s.replica, &rows).await?;
    *lock(&usage.written_through) = Some(from.max(final_before(now)));
    metrics::counter!("entente_usage_rows_written_total").increment(rows.len() as u64);
    Ok(rows.len())
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flushes_rewrite_open_minutes_and_skip_minutes_not_whole_in_memory() {
        // The first flush starts five minutes back (all that memory holds).
        assert_eq!(plan(None, 0, 10_000), (9_960 - KEEP_SECONDS, 0));
        // Later flushes start at the first minute not final.
        assert_eq!(plan(Some(9_960), 0, 10_000), (9_960, 0));
        // A minute is final two seconds after it ends.
        assert_eq!(final_before(10_021), 9_960);
        assert_eq!(final_before(10_022), 10_020);
        assert_eq!(final_before(10_021 + 60), 10_020);
        // After an outage, minutes partly dropped from memory are counted as lost, not
        // rewritten with what is left of them.
        assert_eq!(plan(Some(9_600), 9_661, 10_000), (9_720, 2));
        // Seconds dropped at a minute boundary lose nothing of the next minute.
        assert_eq!(plan(Some(9_600), 9_660, 10_000), (9_660, 1));
        assert_eq!(plan(Some(9_960), 9_661, 10_000), (9_960, 0));
    }
}
