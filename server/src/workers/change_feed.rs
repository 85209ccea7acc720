//! The change feed: every 250 ms this replica reads what changed (catalog, keys, revocations)
//! and reloads it; a successful read keeps the replica fresh (ENTENTE_MAX_STALENESS).

use std::time::Duration;

use crate::state::AppState;

/// How often the change feed is polled: changes made elsewhere apply within this (plus a reload).
pub const FEED_INTERVAL: Duration = Duration::from_millis(250);

pub async fn run(s: AppState) {
    let mut tick = tokio::time::interval(FEED_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut reachable = true;
    loop {
        tick.tick().await;
        // A poll against a database that stopped answering must not hang the feed: staleness
        // is measured from the last poll that succeeded.
        let ok = match tokio::time::timeout(Duration::from_secs(5), s.poll_changes()).await {
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
