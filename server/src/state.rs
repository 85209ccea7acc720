//! Shared state of the running service: store, caches kept fresh by the change feed, key set.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use entente_domain::keyring::RotationPolicy;
use entente_domain::sealing::MasterKey;
use entente_domain::secret::SecretHasher;
use entente_store::Store;
use entente_store::changes::topic;

use crate::keyring::{self, KeySet};
use crate::snapshot::Snapshot;

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

pub struct Inner {
    pub issuer: String,
    pub store: Store,
    pub master: MasterKey,
    pub hasher: SecretHasher,
    pub rotation: RotationPolicy,
    pub snapshot: RwLock<Arc<Snapshot>>,
    pub keys: RwLock<Arc<KeySet>>,
    /// Revoked token ids → their expiry.
    pub revoked: RwLock<HashMap<String, i64>>,
    pub feed_position: AtomicI64,
    pub db_ok: AtomicBool,
    pub discovery_json: axum::body::Bytes,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads never wait on a writer for long; a poisoned lock still holds the last good value.
fn read<T: ?Sized>(l: &RwLock<Arc<T>>) -> Arc<T> {
    match l.read() {
        Ok(g) => g.clone(),
        Err(p) => p.into_inner().clone(),
    }
}

fn write<T: ?Sized>(l: &RwLock<Arc<T>>, v: Arc<T>) {
    match l.write() {
        Ok(mut g) => *g = v,
        Err(p) => *p.into_inner() = v,
    }
}

impl Inner {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        read(&self.snapshot)
    }

    pub fn keys(&self) -> Arc<KeySet> {
        read(&self.keys)
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        match self.revoked.read() {
            Ok(g) => g.contains_key(jti),
            Err(p) => p.into_inner().contains_key(jti),
        }
    }

    pub fn mark_revoked(&self, jti: &str, exp: i64) {
        match self.revoked.write() {
            Ok(mut g) => g.insert(jti.to_owned(), exp),
            Err(p) => p.into_inner().insert(jti.to_owned(), exp),
        };
    }

    pub async fn reload_catalog(&self) -> anyhow::Result<()> {
        let data = self.store.load_catalog(now()).await?;
        write(&self.snapshot, Arc::new(Snapshot::build(data)));
        Ok(())
    }

    pub async fn reload_keys(&self) -> anyhow::Result<()> {
        let models = self.store.signing_keys().await?;
        write(&self.keys, Arc::new(keyring::build(&models, &self.master)));
        Ok(())
    }

    pub async fn reload_revocations(&self) -> anyhow::Result<()> {
        let rows = self.store.live_revocations(now()).await?;
        let map = rows.into_iter().map(|r| (r.jti, r.exp)).collect();
        match self.revoked.write() {
            Ok(mut g) => *g = map,
            Err(p) => *p.into_inner() = map,
        }
        Ok(())
    }

    pub async fn reload_all(&self) -> anyhow::Result<()> {
        let pos = self.store.latest_change().await?;
        self.reload_catalog().await?;
        self.reload_keys().await?;
        self.reload_revocations().await?;
        self.feed_position.store(pos, Ordering::SeqCst);
        Ok(())
    }

    /// One poll of the change feed: reloads what changed since the last poll.
    pub async fn poll_changes(&self) -> anyhow::Result<()> {
        let since = self.feed_position.load(Ordering::SeqCst);
        let set = self.store.changes_since(since).await?;
        for t in &set.topics {
            match t.as_str() {
                topic::CATALOG => self.reload_catalog().await?,
                topic::KEYS => self.reload_keys().await?,
                topic::REVOCATIONS => self.reload_revocations().await?,
                _ => {}
            }
        }
        self.feed_position.store(set.latest, Ordering::SeqCst);
        Ok(())
    }

    pub fn ready(&self) -> bool {
        self.db_ok.load(Ordering::Relaxed) && self.keys().signer.is_some()
    }
}
