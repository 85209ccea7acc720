//! Background work, supervised: the change feed (every 250 ms) and maintenance (every minute:
//! key rotation, purges, pruning the sign-in throttle). A worker that dies stops the process
//! with an error instead of leaving a replica that silently stops hearing changes.

use std::sync::atomic::Ordering;
use std::time::Duration;

use entente_store::Actor;
use tokio::task::JoinSet;

use crate::keyring;
use crate::state::{AppState, now};

/// How often the change feed is polled: changes made elsewhere apply within this (plus a reload).
pub const FEED_INTERVAL: Duration = Duration::from_millis(250);
const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);

pub struct Workers(JoinSet<&'static str>);

impl Workers {
    pub fn spawn(state: &AppState) -> Self {
        let mut set = JoinSet::new();
        let s = state.clone();
        set.spawn(async move {
            change_feed(s).await;
            "change feed"
        });
        let s = state.clone();
        set.spawn(async move {
            maintenance(s).await;
            "maintenance"
        });
        Self(set)
    }

    /// Resolves when a worker has stopped (they run forever unless they panic): the error to exit with.
    pub async fn first_failure(&mut self) -> anyhow::Error {
        match self.0.join_next().await {
            Some(Ok(name)) => anyhow::anyhow!("the {name} worker stopped"),
            Some(Err(e)) if e.is_panic() => anyhow::anyhow!("a background worker panicked: {e}"),
            Some(Err(e)) => anyhow::anyhow!("a background worker was cancelled: {e}"),
            None => anyhow::anyhow!("no background worker is running"),
        }
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.0.abort_all();
    }
}

async fn change_feed(s: AppState) {
    let mut tick = tokio::time::interval(FEED_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
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
        if s.db_ok.swap(ok, Ordering::Relaxed) != ok {
            tracing::info!(database_reachable = ok, "database reachability changed");
        }
    }
}

async fn maintenance(s: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    loop {
        tick.tick().await;
        if let Err(e) = keyring::rotate(
            &s.store,
            &s.master,
            &s.rotation,
            &Actor::new("system"),
            now(),
        )
        .await
        {
            tracing::warn!(error = %e, "key rotation check failed");
        }
        if let Err(e) = s.store.purge_expired(now()).await {
            tracing::warn!(error = %e, "purging expired rows failed");
        }
        if let Err(e) = s.store.session_purge(now()).await {
            tracing::warn!(error = %e, "purging expired sessions failed");
        }
        s.login_throttle.prune();
    }
}
