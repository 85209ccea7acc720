//! Start-up: migrate, make sure a signing key exists, load caches, start background tasks, serve.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use entente_domain::keyring::RotationPolicy;
use entente_domain::secret::SecretHasher;
use entente_store::{Actor, Store};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::keyring;
use crate::oauth::discovery;
use crate::state::{AppState, Inner, now};

/// How often the change feed is polled: changes made elsewhere apply within this (plus a reload).
pub const FEED_INTERVAL: Duration = Duration::from_millis(250);

/// Derivation label of the pairwise-subject key.
pub const PAIRWISE_PURPOSE: &str = "entente pairwise subject v1";

/// Pepper for client-secret hashes, derived from the master key.
pub fn secret_hasher(master: &entente_domain::sealing::MasterKey) -> SecretHasher {
    SecretHasher::new(&master.derive("entente client-secret pepper v1"))
}

pub async fn build_state(
    config: Config,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> anyhow::Result<AppState> {
    let store = Store::connect(&config.database_url)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database (ENTENTE_DATABASE_URL): {e}"))?;
    store.migrate().await?;
    let rotation = RotationPolicy {
        algorithm: config.signing_alg,
        ..RotationPolicy::default()
    };
    keyring::rotate(
        &store,
        &config.master_key,
        &rotation,
        &Actor::new("system"),
        now(),
    )
    .await?;
    let state = AppState(Arc::new(Inner {
        discovery_json: serde_json::to_vec(&discovery::metadata(&config.issuer))?.into(),
        issuer: config.issuer,
        hasher: secret_hasher(&config.master_key),
        issuer_keys: crate::issuer_keys::IssuerKeys::new(config.fetch)?,
        pairwise_secret: config.master_key.derive(PAIRWISE_PURPOSE),
        master: config.master_key,
        store,
        rotation,
        snapshot: Default::default(),
        keys: Default::default(),
        revoked: Default::default(),
        feed_position: AtomicI64::new(0),
        reload_lock: tokio::sync::Mutex::new(()),
        db_ok: AtomicBool::new(true),
        metrics,
    }));
    state.reload_all().await?;
    first_admin_invite(&state).await?;
    Ok(state)
}

/// With no administrator yet, prints a one-time URL (1 hour, single use) to create the first.
async fn first_admin_invite(state: &AppState) -> anyhow::Result<()> {
    if state.store.count_admins().await? > 0 {
        return Ok(());
    }
    let token = entente_domain::secret::random_token(32);
    state
        .store
        .create_invite(state.hasher.hash(&token), "admin", now() + 3600)
        .await?;
    tracing::warn!(
        "no administrator exists yet: open {}/setup?token={token} within one hour to create the first one (or run `entente admin create`)",
        state.issuer
    );
    Ok(())
}

/// Background work: the change feed (every 250 ms) and key rotation (every minute).
pub fn spawn_tasks(state: &AppState) {
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FEED_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let ok = match s.poll_changes().await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(error = %e, "change feed poll failed");
                    false
                }
            };
            if s.db_ok.swap(ok, Ordering::Relaxed) != ok {
                tracing::info!(database_reachable = ok, "database reachability changed");
            }
        }
    });
    let s = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(60));
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
        }
    });
}

pub async fn run(
    config: Config,
    listener: TcpListener,
    metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
) -> anyhow::Result<()> {
    let state = build_state(config, metrics).await?;
    spawn_tasks(&state);
    let app = crate::http::router(state.clone()).merge(crate::console::router(&state)?);
    tracing::info!(addr = %listener.local_addr()?, "entente is serving");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing in-flight requests");
}
