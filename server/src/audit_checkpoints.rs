//! Signed checkpoints of the audit chain: every hour (and on demand, `entente audit
//! checkpoint`) the chain is verified since the last checkpoint and its head signed with the
//! audit key, an Ed25519 key of its own sealed under the master key. Exported with the public
//! key (`entente audit checkpoints`), they verify offline with that key alone, and `entente
//! audit verify --checkpoints FILE` checks the database against a copy kept elsewhere.

use entente_domain::audit_chain::{self, CheckpointClaims};
use entente_domain::keys::{SigningAlgorithm, generate};
use entente_domain::sealing::MasterKey;
use entente_store::Store;
use entente_store::audit::ChainState;
use entente_store::entities::{audit_checkpoint, audit_key};
use serde::{Deserialize, Serialize};

/// Where the audit key's public part is published, as a JWK Set (empty until the first
/// checkpoint makes the key): anyone holding a checkpoint can fetch it once and keep it.
pub const KEY_PATH: &str = "/.well-known/entente-audit-keys.json";

/// `GET /.well-known/entente-audit-keys.json`.
pub async fn key_set(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let keys: Vec<serde_json::Value> = match state.store.audit_key().await {
        Ok(Some(k)) => serde_json::from_str(&k.public_jwk).into_iter().collect(),
        Ok(None) => vec![],
        Err(e) => {
            tracing::warn!(error = %e, "reading the audit key failed");
            return StatusCode::SERVICE_UNAVAILABLE.into_response();
        }
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
        ],
        serde_json::json!({ "keys": keys }).to_string(),
    )
        .into_response()
}

/// Sealing context of the audit key (each sealed secret is bound to its purpose).
const KEY_CONTEXT: &str = "audit-key";

/// What `entente audit checkpoints` writes and `verify --checkpoints` reads.
#[derive(Debug, Serialize, Deserialize)]
pub struct Export {
    /// The audit key's public JWK (Ed25519, `kid` its RFC 7638 thumbprint).
    pub key: jsonwebtoken::jwk::Jwk,
    pub checkpoints: Vec<Signed>,
}

/// One checkpoint as exported: its claims and the compact JWS that signs them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Signed {
    pub seq: i64,
    pub head: String,
    pub at: i64,
    pub kid: String,
    pub jws: String,
}

async fn key(store: &Store, master: &MasterKey, now: i64) -> anyhow::Result<audit_key::Model> {
    if let Some(k) = store.audit_key().await? {
        return Ok(k);
    }
    let g = generate(SigningAlgorithm::EdDsa)?;
    let made = audit_key::Model {
        kid: g.kid.clone(),
        private_sealed: master.seal(&g.private_der, KEY_CONTEXT),
        public_jwk: serde_json::to_string(&g.public_jwk)?,
        created_at: now,
    };
    Ok(store.keep_audit_key(made).await?)
}

/// Verifies the chain since the last checkpoint and signs its head. None when nothing was
/// audited since; an error naming the break when the chain does not verify (nothing signed).
pub async fn checkpoint_now(
    store: &Store,
    master: &MasterKey,
    now: i64,
) -> anyhow::Result<Option<Signed>> {
    let last = store.last_audit_checkpoint().await?;
    if let Some(c) = &last {
        let claims = [CheckpointClaims {
            seq: c.seq,
            head: c.head.clone(),
            iat: c.at,
        }];
        let at = store.audit_hash_at(c.seq).await?;
        audit_chain::check_against(&claims, |_| at.clone())
            .map_err(|b| anyhow::anyhow!("event {}: {}", b.seq, b.why))?;
    }
    let from = last.as_ref().map_or(1, |c| c.seq + 1);
    let (seq, head) = match store.verify_audit_chain(Some(from)).await? {
        ChainState::Verified { last_seq, head, .. } if last_seq >= from => (last_seq, head),
        ChainState::Verified { .. } => return Ok(None),
        ChainState::Broken(b) => {
            anyhow::bail!("the audit chain breaks at event {}: {}", b.seq, b.why)
        }
    };
    let k = key(store, master, now).await?;
    let private = master
        .open(&k.private_sealed, KEY_CONTEXT)
        .map_err(|e| anyhow::anyhow!("the audit key: {e}"))?;
    let claims = CheckpointClaims {
        seq,
        head: head.clone(),
        iat: now,
    };
    let jws = audit_chain::sign_checkpoint(&private, &k.kid, &claims)?;
    store
        .add_audit_checkpoint(audit_checkpoint::Model {
            seq,
            head: head.clone(),
            at: now,
            kid: k.kid.clone(),
            jws: jws.clone(),
        })
        .await?;
    Ok(Some(Signed {
        seq,
        head,
        at: now,
        kid: k.kid,
        jws,
    }))
}

/// The audit key's public part and every checkpoint.
pub async fn export(store: &Store) -> anyhow::Result<Option<Export>> {
    let Some(k) = store.audit_key().await? else {
        return Ok(None);
    };
    let checkpoints = store
        .audit_checkpoints()
        .await?
        .into_iter()
        .map(|c| Signed {
            seq: c.seq,
            head: c.head,
            at: c.at,
            kid: c.kid,
            jws: c.jws,
        })
        .collect();
    Ok(Some(Export {
        key: serde_json::from_str(&k.public_jwk)?,
        checkpoints,
    }))
}

/// Checks the stored chain against checkpoints (each signature verified with the export's
/// key): the event at each checkpoint's place must hold the hash it signed.
pub async fn check(
    store: &Store,
    export: &Export,
) -> anyhow::Result<Result<usize, audit_chain::Broken>> {
    let mut claims = Vec::with_capacity(export.checkpoints.len());
    for c in &export.checkpoints {
        let opened = audit_chain::open_checkpoint(&c.jws, &export.key)
            .map_err(|e| anyhow::anyhow!("checkpoint {}: {e}", c.seq))?;
        claims.push(opened);
    }
    let mut hashes = std::collections::HashMap::new();
    for c in &claims {
        hashes.insert(c.seq, store.audit_hash_at(c.seq).await?);
    }
    Ok(
        audit_chain::check_against(&claims, |seq| hashes.get(&seq).cloned().flatten())
            .map(|()| claims.len()),
    )
}
