//! The operations' ports implemented by the running service (apply a change to this replica's
//! caches now, check a JWKS URL against the SSRF rules) and by the host's CLI (which serves no
//! cache: replicas hear of its changes through the change feed).

use std::sync::Arc;

use entente_domain::environment::Environment;
use entente_domain::keyring::RotationPolicy;
use entente_domain::keys::SigningAlgorithm;
use entente_domain::sealing::MasterKey;
use entente_operations::{
    BoxFuture, KeyChecks, OpError, Operations, Providers, Publish, Signing, Throttles,
};
use entente_store::{Actor, Store, StoreError};

use crate::state::AppState;
use crate::state::issuer_keys::FetchPolicy;

struct Replica(AppState);

impl Publish for Replica {
    fn changed(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            // Best effort: if the database hiccups, the background poll applies it shortly.
            if let Err(e) = self.0.poll_changes().await {
                tracing::warn!(error = %e, "applying a change to this replica now failed");
            }
        })
    }
}

struct Fetch(FetchPolicy);

impl KeyChecks for Fetch {
    fn check_jwks_uri(&self, uri: String) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move { crate::partner_clients::check_jwks_uri(&uri, &self.0).await })
    }

    fn probe_jwks_uri(
        &self,
        uri: String,
        algorithms: String,
    ) -> BoxFuture<'_, Result<usize, String>> {
        Box::pin(async move {
            let rsa_default = rsa_default(&algorithms);
            crate::state::issuer_keys::IssuerKeys::new(self.0)
                .map_err(|e| e.to_string())?
                .probe(&uri, rsa_default)
                .await
        })
    }
}

impl KeyChecks for Replica {
    fn check_jwks_uri(&self, uri: String) -> BoxFuture<'_, Result<String, String>> {
        let policy = *self.0.issuer_keys.policy();
        Box::pin(async move { crate::partner_clients::check_jwks_uri(&uri, &policy).await })
    }

    fn probe_jwks_uri(
        &self,
        uri: String,
        algorithms: String,
    ) -> BoxFuture<'_, Result<usize, String>> {
        Box::pin(async move {
            let rsa_default = rsa_default(&algorithms);
            self.0.issuer_keys.probe(&uri, rsa_default).await
        })
    }
}

impl Signing for Replica {
    fn defaults(&self) -> RotationPolicy {
        self.0.rotation_defaults
    }

    fn rotate<'a>(
        &'a self,
        actor: &'a Actor,
        environment: Environment,
        immediate: bool,
        now: i64,
    ) -> BoxFuture<'a, Result<String, OpError>> {
        Box::pin(async move {
            let s = &self.0;
            let kid = crate::state::signing_keys::rotate_now(
                &s.store,
                &s.master,
                s.rotation().algorithm,
                environment,
                immediate,
                actor,
                now,
            )
            .await
            .map_err(op_error)?;
            s.reload_keys().await.map_err(op_error)?;
            Ok(kid)
        })
    }

    fn revoke<'a>(
        &'a self,
        actor: &'a Actor,
        kid: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<String>, OpError>> {
        Box::pin(async move {
            crate::state::signing_keys::emergency_revoke(&self.0, actor, kid, now)
                .await
                .map_err(op_error)
        })
    }
}

impl Providers for Replica {
    fn check_provider(&self, issuer: String, discover: bool) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            crate::state::issuer_keys::ssrf::check_url(&issuer, self.0.issuer_keys.policy())
                .map_err(|e| e.replace("JWKS URL", "issuer"))?;
            if discover {
                crate::console::sign_in::check_provider(&self.0, &issuer).await?;
            }
            Ok(())
        })
    }

    fn seal_secret(&self, partner_id: &str, secret: &str) -> Vec<u8> {
        self.0.master.seal(
            secret.as_bytes(),
            &crate::console::sign_in::secret_context(partner_id),
        )
    }
}

/// The host's keys: written to the database, which every replica reads.
struct HostKeys {
    store: Store,
    master: MasterKey,
    algorithm: SigningAlgorithm,
}

impl Signing for HostKeys {
    fn defaults(&self) -> RotationPolicy {
        RotationPolicy {
            algorithm: self.algorithm,
            ..Default::default()
        }
    }

    fn rotate<'a>(
        &'a self,
        actor: &'a Actor,
        environment: Environment,
        immediate: bool,
        now: i64,
    ) -> BoxFuture<'a, Result<String, OpError>> {
        Box::pin(async move {
            crate::state::signing_keys::rotate_now(
                &self.store,
                &self.master,
                self.algorithm,
                environment,
                immediate,
                actor,
                now,
            )
            .await
            .map_err(op_error)
        })
    }

    fn revoke<'a>(
        &'a self,
        actor: &'a Actor,
        kid: &'a str,
        now: i64,
    ) -> BoxFuture<'a, Result<Option<String>, OpError>> {
        Box::pin(async move {
            let (was, environment) = self.store.revoke_signing_key(actor, kid, now).await?;
            if was != entente_store::enums::KeyStateColumn::Active {
                return Ok(None);
            }
            self.rotate(actor, environment.into(), true, now)
                .await
                .map(Some)
        })
    }
}

/// A failure of the key machinery: the store's refusals as they are, anything else logged.
fn op_error(e: anyhow::Error) -> OpError {
    match e.downcast::<StoreError>() {
        Ok(s) => s.into(),
        Err(e) => {
            tracing::error!(error = %e, "a signing key operation failed");
            OpError::Unavailable
        }
    }
}

/// The algorithm an issuer's RSA keys without an `alg` are read with: its only RSA one.
fn rsa_default(algorithms: &str) -> Option<jsonwebtoken::Algorithm> {
    entente_domain::federation::rules::parse_algorithms(algorithms)
        .ok()
        .and_then(|a| entente_domain::jwks::sole_rsa(&a))
}

struct Nothing;

impl Publish for Nothing {
    fn changed(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

impl AppState {
    /// The operations, acting on this replica. Built per use (a few reference counts): the
    /// state does not hold them, so nothing holds itself.
    pub fn ops(&self) -> Operations {
        Operations::new(
            self.store.clone(),
            self.hasher.clone(),
            self.issuer.clone(),
            Arc::new(Replica(self.clone())),
            Arc::new(Replica(self.clone())),
            Arc::new(Replica(self.clone())),
        )
        .with_providers(Arc::new(Replica(self.clone())))
        .with_throttles(Throttles {
            sign_in: self.login_throttle.clone(),
            applications: self.apply_throttle.clone(),
        })
    }
}

/// The operations for the host's CLI: new keys use `algorithm`.
pub fn host_ops(
    store: Store,
    master: MasterKey,
    issuer: String,
    fetch: FetchPolicy,
    algorithm: SigningAlgorithm,
) -> Operations {
    let hasher = crate::startup::secret_hasher(&master);
    Operations::new(
        store.clone(),
        hasher,
        issuer,
        Arc::new(Nothing),
        Arc::new(Fetch(fetch)),
        Arc::new(HostKeys {
            store,
            master,
            algorithm,
        }),
    )
}
