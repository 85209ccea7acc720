//! The live signing keys: the one that signs, the ones that verify, and the pre-serialised JWKS.
//! Rotation applies `entente_domain::keyring::plan`; the change feed makes every replica reload.

use std::collections::HashMap;
use std::sync::Arc;

use entente_domain::environment::Environment;
use entente_domain::keyring::{KeyRecord, KeyState, RotationPolicy, Transition, plan};
use entente_domain::keys::{self, SigningAlgorithm};
use entente_domain::sealing::MasterKey;
use entente_domain::verified::{KeyPrint, KeyRef};
use entente_store::entities::signing_key;
use entente_store::enums::{EnvironmentColumn, KeyStateColumn};
use entente_store::{Actor, Store};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey};

pub use super::signer::Signer;

#[derive(Default)]
pub struct KeySet {
    /// None when there is no active key or it cannot be decrypted: issuance answers 503 and
    /// never falls back to another key (security case H58).
    pub signer: Option<Arc<Signer>>,
    /// Published keys by kid: algorithm, key and print (for the memory of verified tokens).
    pub verifiers: HashMap<String, (Algorithm, DecodingKey, KeyPrint)>,
    pub jwks_json: axum::body::Bytes,
    pub etag: String,
    pub records: Vec<KeyRecord>,
}

impl KeySet {
    /// The published key `kid` names, to verify one of this environment's tokens.
    pub fn verifier(&self, kid: &str) -> Option<KeyRef<'_>> {
        self.verifiers.get(kid).map(|(alg, key, print)| KeyRef {
            alg: *alg,
            key,
            print,
        })
    }
}

/// The key set of one environment (each has its own keys and JWKS).
pub fn build(models: &[signing_key::Model], env: Environment, master: &MasterKey) -> KeySet {
    let column = EnvironmentColumn::from(env);
    let models: Vec<&signing_key::Model> =
        models.iter().filter(|m| m.environment == column).collect();
    let records: Vec<KeyRecord> = models.iter().copied().filter_map(record).collect();
    let mut verifiers = HashMap::new();
    let mut public = Vec::new();
    for m in &models {
        let Some(r) = record(m) else { continue };
        if !r.state.is_published() {
            continue;
        }
        if let Ok(jwk) = serde_json::from_str::<Jwk>(&m.public_jwk)
            && let Ok(dk) = DecodingKey::from_jwk(&jwk)
        {
            let print = entente_domain::verified::key_print(&jwk, r.algorithm.jwt_algorithm());
            verifiers.insert(m.kid.clone(), (r.algorithm.jwt_algorithm(), dk, print));
            public.push(jwk);
        }
    }
    let signer = entente_domain::keyring::signing_key(&records).and_then(|active| {
        let m = models.iter().find(|m| m.kid == active.kid)?;
        match master.open(&m.private_sealed, &m.kid) {
            Ok(der) => {
                let alg = active.algorithm.jwt_algorithm();
                let header_b64 = super::signer::encoded_header(
                    alg,
                    entente_domain::token::ACCESS_TOKEN_TYP,
                    &m.kid,
                )
                .ok()?;
                Some(Arc::new(Signer {
                    kid: m.kid.clone(),
                    alg,
                    key: keys::encoding_key(active.algorithm, &der),
                    header_b64,
                }))
            }
            Err(_) => {
                tracing::error!(kid = %m.kid, "the active signing key cannot be decrypted with this master key; token issuance is unavailable");
                None
            }
        }
    });
    let jwks_json = axum::body::Bytes::from(
        serde_json::to_vec(&serde_json::json!({ "keys": public })).unwrap_or_default(),
    );
    // A content digest, not a secret: the same key set gives the same ETag on every replica.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &jwks_json);
    let etag = format!(
        "\"{}\"",
        digest.as_ref()[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    KeySet {
        signer,
        verifiers,
        jwks_json,
        etag,
        records,
    }
}

fn record(m: &signing_key::Model) -> Option<KeyRecord> {
    Some(KeyRecord {
        kid: m.kid.clone(),
        algorithm: m.algorithm.parse().ok()?,
        state: m.state.into(),
        created_at: m.created_at,
        state_since: m.state_since,
    })
}

/// Applies every transition due at `now`, in each environment's keys (one policy for both).
/// Returns whether anything changed.
pub async fn rotate(
    store: &Store,
    master: &MasterKey,
    policy: &RotationPolicy,
    actor: &Actor,
    now: i64,
) -> anyhow::Result<bool> {
    let models = store.signing_keys().await?;
    let mut changed = false;
    for env in Environment::ALL {
        let column = EnvironmentColumn::from(env);
        let records: Vec<KeyRecord> = models
            .iter()
            .filter(|m| m.environment == column)
            .filter_map(record)
            .collect();
        let steps = plan(&records, policy, now);
        for step in &steps {
            match step {
                Transition::Create { algorithm, state } => {
                    create_key(store, master, *algorithm, *state, env, actor, now).await?;
                }
                Transition::Move { kid, to } => {
                    if let Some(from) = records.iter().find(|r| &r.kid == kid).map(|r| r.state) {
                        store.move_signing_key(actor, kid, from, *to, now).await?;
                    }
                }
            }
        }
        changed |= !steps.is_empty();
    }
    Ok(changed)
}

pub async fn create_key(
    store: &Store,
    master: &MasterKey,
    alg: SigningAlgorithm,
    state: KeyState,
    env: Environment,
    actor: &Actor,
    now: i64,
) -> anyhow::Result<String> {
    let k = tokio::task::spawn_blocking(move || keys::generate(alg)).await??;
    let model = signing_key::Model {
        kid: k.kid.clone(),
        algorithm: alg.as_str().to_owned(),
        state: state.into(),
        private_sealed: master.seal(&k.private_der, &k.kid),
        public_jwk: serde_json::to_string(&k.public_jwk)?,
        created_at: now,
        state_since: now,
        environment: env.into(),
    };
    store.insert_signing_key(actor, model, now).await?;
    Ok(k.kid)
}

/// Manual rotation (`entente key rotate`): publish a successor now; it starts signing after the
/// publish lead, or at once with `immediate` (the old key stays published as retiring).
pub async fn rotate_now(
    store: &Store,
    master: &MasterKey,
    alg: SigningAlgorithm,
    env: Environment,
    immediate: bool,
    actor: &Actor,
    now: i64,
) -> anyhow::Result<String> {
    let kid = create_key(store, master, alg, KeyState::Pending, env, actor, now).await?;
    if immediate {
        let column = EnvironmentColumn::from(env);
        let old: Vec<String> = store
            .signing_keys()
            .await?
            .into_iter()
            .filter(|k| k.state == KeyStateColumn::Active && k.environment == column)
            .map(|k| k.kid)
            .collect();
        store
            .move_signing_key(actor, &kid, KeyState::Pending, KeyState::Active, now)
            .await?;
        for o in old {
            store
                .move_signing_key(actor, &o, KeyState::Active, KeyState::Retiring, now)
                .await?;
        }
    }
    Ok(kid)
}

/// Emergency revocation: the key leaves the JWKS at once (this replica reloads now, the others
/// within a second through the change feed) and tokens it signed stop verifying. If it was the
/// signing key, a successor is made and signs at once (no pre-publication: the old key cannot
/// be trusted any longer; resource servers refetch the JWKS on an unknown `kid`). Returns the
/// successor's kid, if one was needed.
pub async fn emergency_revoke(
    state: &crate::state::AppState,
    actor: &Actor,
    kid: &str,
    now: i64,
) -> anyhow::Result<Option<String>> {
    let (was, env) = state.store.revoke_signing_key(actor, kid, now).await?;
    let successor = if was == KeyStateColumn::Active {
        let alg = state.rotation().algorithm;
        Some(
            rotate_now(
                &state.store,
                &state.master,
                alg,
                env.into(),
                true,
                actor,
                now,
            )
            .await?,
        )
    } else {
        None
    };
    state.reload_keys().await?;
    Ok(successor)
}
