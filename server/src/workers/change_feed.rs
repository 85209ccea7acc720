//! The change feed: this replica reads what changed (catalog, keys, revocations) and reloads it
//! every 250 ms, and at once when PostgreSQL notifies a commit (LISTEN/NOTIFY: a change made on
//! any replica reaches the others in milliseconds; the poll is the fallback when notifications
//! are lost, and the only feed on SQLite). A successful read keeps the replica fresh
//! (ENTENTE_MAX_STALENESS).

use std::time::Duration;

use crate::state::AppState;

/// How often the change feed is polled: changes made elsewhere apply within this (plus a reload).
pub const FEED_INTERVAL: Duration = Duration::from_millis(250);

/// The longest one poll may take (less when ENTENTE_MAX_STALENESS is short).
const POLL_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(s: AppState) {
    let woken = std::sync::Arc::new(tokio::sync::Notify::new());
    // One future for both, so that stopping the worker stops the listener too.
    tokio::join!(listen(s.clone(), woken.clone()), poll(s, woken));
}

async fn poll(s: AppState, woken: std::sync::Arc<tokio::sync::Notify>) {
    let mut tick = tokio::time::interval(FEED_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reachable = true;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = woken.notified() => {}
        }
        // A poll against a database that stopped answering must not hang the feed: staleness
        // is measured from the start of the last poll that succeeded, and a poll gives up well
        // within the bound so that the next one tries a fresh connection.
        let limit = (s.max_staleness / 2).clamp(Duration::from_millis(500), POLL_TIMEOUT);
        let ok = match tokio::time::timeout(limit, s.poll_changes()).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "change feed poll failed");
                false
            }
            Err(_) => {
                tracing::warn!("change feed poll timed out");
                false
            }
        };
        if ok != reachable {
            reachable = ok;
            tracing::info!(database_reachable = ok, "database reachability changed");
        }
    }
}

/// Wakes the feed on every PostgreSQL notification; reconnects after a second when the
/// listening connection is lost (the poll carries on meanwhile).
async fn listen(s: AppState, woken: std::sync::Arc<tokio::sync::Notify>) {
    loop {
        match s.store.listen_changes(|| woken.notify_one()).await {
            Ok(false) => return,
            Ok(true) => {}
            Err(e) => tracing::debug!(error = %e, "listening for change notifications failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}
