//! Shared state of the running service: store, caches kept fresh by the change feed, key set.

pub mod federation_snapshot;
pub mod issuer_keys;
pub mod partner_labels;
pub mod rate_checks;
pub mod revocations;
pub mod signer;
pub mod signing_keys;
pub mod snapshot;
pub mod test_idp;
pub mod usage;
pub mod verified_tokens;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use entente_domain::environment::Environment;
use entente_domain::keyring::RotationPolicy;
use entente_domain::sealing::MasterKey;
use entente_domain::secret::SecretHasher;
use entente_domain::token::AccessTokenClaims;
use entente_store::Store;
use entente_store::changes::topic;

use revocations::{any_revoked, load_revocations, revoked_in};
use signing_keys::KeySet;
use snapshot::Snapshot;

#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl AppState {
    /// Notes a successful token exchange for the onboarding checklist: the first one per
    /// partner and process writes (in the background, conditionally); the rest cost one lookup.
    pub fn note_exchange(&self, partner_id: &str, subject_token: Option<&str>, now: i64) {
        if !self.first_exchange_note {
            return;
        }
        {
            let mut seen = match self.exchanges_seen.lock() {
                Ok(g) => g,
                Err(p) => p.into_inner(),
            };
            if seen.contains(partner_id) {
                return;
            }
            // The sandbox test IdP's tokens prove nothing about the partner's own identity
            // provider (looked at only until the partner's first real exchange).
            let issuer = subject_token.and_then(entente_domain::federation::validate::peek_issuer);
            if issuer.as_deref() == Some(self.test_idp.issuer.as_str()) {
                return;
            }
            seen.insert(partner_id.to_owned());
        }
        let state = self.clone();
        let partner_id = partner_id.to_owned();
        tokio::spawn(async move {
            if let Err(e) = state.store.mark_first_exchange(&partner_id, now).await {
                tracing::warn!(error = %e, "recording a partner's first token exchange failed");
                // The next exchange tries again.
                if let Ok(mut seen) = state.exchanges_seen.lock() {
                    seen.remove(&partner_id);
                }
            }
        });
    }
}

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
    /// The configured rotation defaults; an administrator's policy (reloaded with the keys)
    /// replaces their periods.
    pub rotation_defaults: RotationPolicy,
    pub rotation: RwLock<Arc<RotationPolicy>>,
    /// This process among the replicas (the holder of leases it takes).
    pub replica: String,
    pub snapshot: RwLock<Arc<Snapshot>>,
    /// Production's signing keys.
    pub keys: RwLock<Arc<KeySet>>,
    /// The sandbox's own signing keys (never used for production tokens, nor the reverse).
    pub sandbox_keys: RwLock<Arc<KeySet>>,
    /// `{issuer}/sandbox`: the sandbox's issuer identifier.
    pub sandbox_issuer: String,
    /// The sandbox's test identity provider (subject tokens for made-up users).
    pub test_idp: test_idp::TestIdp,
    /// Revoked lineage keys (`t:<jti>`, `f:`, `c:`, `p:`, `s:`) → when they were revoked.
    pub revoked: RwLock<HashMap<String, i64>>,
    pub issuer_keys: issuer_keys::IssuerKeys,
    /// Key of pairwise subject identifiers, derived from the master key.
    pub pairwise_secret: Vec<u8>,
    pub feed_position: AtomicI64,
    /// One reload at a time: two overlapping polls could otherwise install an older snapshot
    /// over a newer one.
    pub reload_lock: tokio::sync::Mutex<()>,
    /// One catalog read and build at a time, held on the blocking thread itself: a reload
    /// whose caller gave up (a timed-out poll, a closed request) still finishes there, and the
    /// next one waits for it instead of holding a second catalog in memory beside it.
    pub catalog_build: Arc<std::sync::Mutex<()>>,
    pub discovery_json: axum::body::Bytes,
    pub sandbox_discovery_json: axum::body::Bytes,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    /// Reverse proxies whose forwarding headers are believed.
    pub trusted_proxies: Vec<entente_domain::forwarded::IpNet>,
    pub forwarded_header: entente_domain::forwarded::ForwardedHeader,
    pub login_throttle: Arc<entente_operations::LoginThrottle>,
    pub apply_throttle: Arc<entente_operations::LoginThrottle>,
    pub sso_throttle: entente_operations::LoginThrottle,
    /// Rate limits of the token service and failed client authentication.
    pub limits: crate::limits::Limits,
    /// Usage counted in memory, flushed to per-minute rollups by a worker.
    pub usage: usage::Usage,
    /// Partners named in `/metrics` (the rest are `other`).
    pub partner_labels: partner_labels::PartnerLabels,
    /// Longest time without a successful change-feed read before this replica stops answering.
    pub max_staleness: std::time::Duration,
    pub started: std::time::Instant,
    /// Milliseconds after `started` of the last successful change-feed read.
    pub fresh_at_ms: AtomicU64,
    pub shutting_down: AtomicBool,
    /// States of federated sign-ins completed here, until their flow expires (single use).
    pub sso_used: std::sync::Mutex<HashMap<String, i64>>,
    /// Checked discovery documents of partners' sign-in providers, by issuer, with when they
    /// were fetched (a sign-in's start costs the provider no request each time).
    pub sso_discovery: std::sync::Mutex<
        HashMap<String, (std::time::Instant, entente_domain::sso::ProviderEndpoints)>,
    >,
    /// Partners whose first successful token exchange this process has already recorded.
    pub exchanges_seen: std::sync::Mutex<std::collections::HashSet<String>>,
    /// `ENTENTE_FIRST_EXCHANGE_NOTE`: off skips the note (and the checklist item stays open).
    pub first_exchange_note: bool,
    /// Signatures verified before (partner tokens exchanged, Entente tokens introspected);
    /// `None` when ENTENTE_VERIFIED_TOKENS is 0.
    pub verified: Option<Arc<verified_tokens::VerifiedTokenCache>>,
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

    /// An environment's signing keys.
    pub fn keys_of(&self, env: Environment) -> Arc<KeySet> {
        match env {
            Environment::Production => read(&self.keys),
            Environment::Sandbox => read(&self.sandbox_keys),
        }
    }

    /// An environment's issuer identifier.
    pub fn issuer_of(&self, env: Environment) -> &str {
        match env {
            Environment::Production => &self.issuer,
            Environment::Sandbox => &self.sandbox_issuer,
        }
    }

    /// Revoked through its lineage, or issued to a partner that does not hold tokens now.
    pub fn is_revoked(&self, claims: &AccessTokenClaims) -> bool {
        self.is_revoked_in(&self.snapshot(), claims)
    }

    /// As `is_revoked`, against a snapshot the caller already holds.
    pub fn is_revoked_in(&self, snapshot: &Snapshot, claims: &AccessTokenClaims) -> bool {
        // Only tokens of the two issuers reach here (each verified with its own keys).
        let env = if claims.iss == self.sandbox_issuer {
            Environment::Sandbox
        } else {
            Environment::Production
        };
        if claims
            .partner
            .as_deref()
            .is_some_and(|p| !snapshot.partner_holds_tokens(p, env))
        {
            return true;
        }
        match self.revoked.read() {
            Ok(g) => revoked_in(&g, claims),
            Err(p) => revoked_in(&p.into_inner(), claims),
        }
    }

    pub fn any_revoked<'k>(&self, keys: impl Iterator<Item = &'k String>, since: i64) -> bool {
        match self.revoked.read() {
            Ok(g) => any_revoked(&g, keys, since),
            Err(p) => any_revoked(&p.into_inner(), keys, since),
        }
    }

    /// Remembers a one-time assertion id until `exp`: false if seen before (a replay). In Redis
    /// in cluster mode, else in the shared database; when neither can answer, the assertion is
    /// refused with 503 (a replay cache fails closed, security case H54).
    pub async fn remember_jti(
        &self,
        scope: &str,
        jti: &str,
        exp: i64,
    ) -> Result<bool, entente_domain::OAuthError> {
        match &self.limits.redis {
            Some(redis) => redis.remember(scope, jti, exp).await.ok_or_else(|| {
                tracing::warn!("Redis is unreachable: refusing an assertion (replay cache)");
                entente_domain::OAuthError::unavailable()
            }),
            None => self
                .store
                .remember_assertion(scope, jti, exp)
                .await
                .map_err(|e| {
                    tracing::error!(error = %e, "replay cache unavailable; refusing the assertion");
                    entente_domain::OAuthError::unavailable()
                }),
        }
    }

    /// Applies a revocation here at once; other replicas hear it through the change feed.
    pub fn mark_revoked(&self, key: &str, at: i64) {
        match self.revoked.write() {
            Ok(mut g) => g.insert(key.to_owned(), at),
            Err(p) => p.into_inner().insert(key.to_owned(), at),
        };
    }

    /// Reads the catalog and swaps in a new snapshot; requests keep the old one until the swap.
    pub async fn reload_catalog(&self) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        let (store, at) = (self.store.clone(), now());
        let subjects = self.limits.subjects.clone();
        let previous = self.snapshot();
        let runtime = tokio::runtime::Handle::current();
        let one_build = self.catalog_build.clone();
        // Reading a large catalog is mostly decoding rows, which the database driver does in
        // the task that awaits them, and building its indexes is more CPU: tens of
        // milliseconds at 10,000 partners. Both run on a blocking thread, so a runtime worker
        // never holds the requests queued behind it for that long.
        let (snapshot, loaded, partners) = tokio::task::spawn_blocking(move || {
            let _one = one_build
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let data = runtime.block_on(store.load_catalog(at))?;
            let loaded = started.elapsed();
            let partners = data.partners.len();
            let snapshot = Snapshot::build_after(data, Some(&subjects), Some(&previous));
            anyhow::Ok((snapshot, loaded, partners))
        })
        .await??;
        write(&self.snapshot, Arc::new(snapshot));
        let took = started.elapsed();
        // The whole reload, and its database read apart (the rest builds the indexes).
        metrics::histogram!("entente_catalog_reload_seconds").record(took.as_secs_f64());
        metrics::histogram!("entente_catalog_load_seconds").record(loaded.as_secs_f64());
        metrics::gauge!("entente_catalog_partners").set(partners as f64);
        tracing::debug!(
            partners,
            took_ms = took.as_millis() as u64,
            read_ms = loaded.as_millis() as u64,
            "catalog reloaded"
        );
        Ok(())
    }

    /// The rotation policy in force.
    pub fn rotation(&self) -> RotationPolicy {
        *read(&self.rotation)
    }

    pub async fn reload_keys(&self) -> anyhow::Result<()> {
        let stored = self.store.key_policy().await?;
        let policy = self.rotation_defaults.with_periods(
            stored.map(|p| (p.rotation_interval, p.publish_lead, p.retirement_grace)),
        );
        write(&self.rotation, Arc::new(policy));
        let models = self.store.signing_keys().await?;
        write(
            &self.keys,
            Arc::new(signing_keys::build(
                &models,
                Environment::Production,
                &self.master,
            )),
        );
        write(
            &self.sandbox_keys,
            Arc::new(signing_keys::build(
                &models,
                Environment::Sandbox,
                &self.master,
            )),
        );
        Ok(())
    }

    pub async fn reload_revocations(&self) -> anyhow::Result<()> {
        let started = now();
        let mut map = load_revocations(&self.store, started).await?;
        let mut g = match self.revoked.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        // A revocation applied here while the rows were being read is kept: it is committed,
        // and dropping it until the next poll would let a revoked token look active.
        for (k, at) in g.iter() {
            if *at >= started - 1 {
                map.entry(k.clone()).or_insert(*at);
            }
        }
        *g = map;
        Ok(())
    }

    pub async fn reload_all(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.reload_lock.lock().await;
        let pos = self.store.latest_change().await?;
        self.reload_catalog().await?;
        self.reload_keys().await?;
        self.reload_revocations().await?;
        self.feed_position.store(pos, Ordering::SeqCst);
        Ok(())
    }

    /// One poll of the change feed: reloads what changed since the last poll.
    pub async fn poll_changes(&self) -> anyhow::Result<()> {
        let _one_at_a_time = self.reload_lock.lock().await;
        // Fresh as of when the read began, not when it ended: a read that crawls through a
        // failing connection must not stretch ENTENTE_MAX_STALENESS by its own duration.
        let began = self.elapsed_ms();
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
        self.fresh_at_ms.fetch_max(began, Ordering::Relaxed);
        Ok(())
    }

    /// Ready: the change feed is fresh (a database blip shorter than ENTENTE_MAX_STALENESS
    /// does not take every replica out at once), a signing key is loaded, not shutting down.
    pub fn ready(&self) -> bool {
        // Production's signer: the sandbox answers 503 on its own endpoints without one, and
        // must not take a replica out of service.
        !self.stale() && !self.shutting_down.load(Ordering::Relaxed) && self.keys().signer.is_some()
    }

    /// Records a successful read of the change feed.
    pub fn mark_fresh(&self) {
        self.fresh_at_ms
            .fetch_max(self.elapsed_ms(), Ordering::Relaxed);
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// True when the change feed has not been read for longer than `max_staleness`: this
    /// replica may then be missing revocations made elsewhere, so it must not vouch for tokens.
    pub fn stale(&self) -> bool {
        let now = self.elapsed_ms();
        let fresh = self.fresh_at_ms.load(Ordering::Relaxed);
        now.saturating_sub(fresh)
            > u64::try_from(self.max_staleness.as_millis()).unwrap_or(u64::MAX)
    }

    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::Relaxed);
    }
}
