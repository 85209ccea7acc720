//! Every minute: key rotation (publish, activate, retire), purging expired rows and sessions,
//! pruning the sign-in throttle.

use std::time::Duration;

use entente_store::Actor;

use crate::state::signing_keys;
use crate::state::{AppState, now};

const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);

pub async fn run(s: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    loop {
        tick.tick().await;
        if let Err(e) = signing_keys::rotate(
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
