//! Background work, supervised: the change feed (every 250 ms), the usage flush (every few
//! seconds) and maintenance (every minute: key rotation, purges, usage retention, pruning the
//! sign-in throttle). A worker that dies stops the process
//! with an error instead of leaving a replica that silently stops hearing changes.

pub mod change_feed;
pub mod cluster;
pub mod maintenance;

use tokio::task::JoinSet;

pub use change_feed::FEED_INTERVAL;

use crate::state::AppState;

pub struct Workers(JoinSet<&'static str>);

impl Workers {
    pub fn spawn(state: &AppState) -> Self {
        let mut set = JoinSet::new();
        let s = state.clone();
        set.spawn(async move {
            change_feed::run(s).await;
            "change feed"
        });
        let s = state.clone();
        set.spawn(async move {
            maintenance::run(s).await;
            "maintenance"
        });
        let s = state.clone();
        set.spawn(async move {
            crate::usage::flush::run(s).await;
            "usage flush"
        });
        let s = state.clone();
        set.spawn(async move {
            crate::usage::share::run(s).await;
            "usage sharing"
        });
        let s = state.clone();
        set.spawn(async move {
            crate::usage::alerts::run(s).await;
            "usage alerts"
        });
        let s = state.clone();
        set.spawn(async move {
            cluster::run(s).await;
            "cluster heartbeat"
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
