//! Every minute: key rotation (publish, activate, retire), purging expired rows and sessions,
//! usage rollups past their retention, pruning the sign-in throttle.

use std::time::Duration;

use entente_domain::keyring::RotationPolicy;
use entente_domain::sealing::MasterKey;
use entente_store::{Actor, Store};

use crate::state::signing_keys;
use crate::state::{AppState, now};

const MAINTENANCE_INTERVAL: Duration = Duration::from_secs(60);
/// The rotation lease outlives two ticks, so its holder keeps it while alive and another
/// replica takes over within this long after it stops.
const ROTATION_LEASE: &str = "key-rotation";
const ROTATION_LEASE_TTL: i64 = 150;

/// Applies the rotation plan if this replica holds the rotation lease: with several replicas
/// on one database exactly one rotates. Returns whether anything changed.
pub async fn rotate_keys(
    store: &Store,
    master: &MasterKey,
    policy: &RotationPolicy,
    replica: &str,
    now: i64,
) -> anyhow::Result<bool> {
    if !store
        .try_lease(ROTATION_LEASE, replica, ROTATION_LEASE_TTL, now)
        .await?
    {
        return Ok(false);
    }
    signing_keys::rotate(store, master, policy, &Actor::new("system"), now).await
}

/// Deletes usage rollups older than the retention period (ENTENTE_USAGE_RETENTION_DAYS).
pub async fn prune_usage(s: &AppState, now: i64) -> anyhow::Result<u64> {
    let keep = i64::from(s.usage.config.retention_days) * 86_400;
    let n = s.store.prune_usage(now - keep).await?;
    if n > 0 {
        tracing::info!(rows = n, "usage rollups past retention deleted");
    }
    Ok(n)
}

/// Every hour, one replica (under a lease) verifies the audit chain since the last checkpoint
/// and signs its head.
const CHECKPOINT_LEASE: &str = "audit-checkpoint";
const CHECKPOINT_EVERY: i64 = 3600;

pub async fn checkpoint_audit(s: &AppState, now: i64) -> anyhow::Result<()> {
    // The first checkpoint comes an hour after the first audited event, as every later one an
    // hour after the one before.
    let since = match s.store.last_audit_checkpoint().await? {
        Some(c) => Some(c.at),
        None => s.store.first_audit_event_at().await?,
    };
    let due = since.is_some_and(|t| now - t >= CHECKPOINT_EVERY);
    if !due
        || !s
            .store
            .try_lease(CHECKPOINT_LEASE, &s.replica, ROTATION_LEASE_TTL, now)
            .await?
    {
        return Ok(());
    }
    if let Some(c) = crate::audit_checkpoints::checkpoint_now(&s.store, &s.master, now).await? {
        tracing::info!(seq = c.seq, "audit checkpoint signed");
    }
    Ok(())
}

pub async fn run(s: AppState) {
    let mut tick = tokio::time::interval(MAINTENANCE_INTERVAL);
    loop {
        tick.tick().await;
        if let Err(e) = rotate_keys(&s.store, &s.master, &s.rotation(), &s.replica, now()).await {
            tracing::warn!(error = %e, "key rotation check failed");
        }
        if let Err(e) = checkpoint_audit(&s, now()).await {
            // A broken chain is not signed over: it is logged until someone looks.
            tracing::error!(error = %e, "audit checkpoint not signed");
        }
        if let Err(e) = s.store.purge_expired(now()).await {
            tracing::warn!(error = %e, "purging expired rows failed");
        }
        if let Err(e) = s.store.session_purge(now()).await {
            tracing::warn!(error = %e, "purging expired sessions failed");
        }
        if let Err(e) = prune_usage(&s, now()).await {
            tracing::warn!(error = %e, "deleting old usage rollups failed");
        }
        s.login_throttle.prune();
        s.apply_throttle.prune();
        s.sso_throttle.prune();
        s.limits.prune();
    }
}
