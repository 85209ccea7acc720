//! Glue between the token endpoint and the domain's federation decision: which keys to load
//! before deciding, and how a decision becomes signed tokens and stored refresh families.

use std::collections::HashMap;
use std::sync::Arc;

use entente_domain::federation::exchange::Grant;
use entente_domain::federation::{Keys, subject, validate};
use entente_domain::jwks::VerifyingKey;
use entente_domain::jws::{self, OneOrMany};
use entente_domain::token::{ACCESS_TOKEN_TYP, AccessTokenClaims};
use entente_domain::{OAuthError, ScopeSet};
use entente_store::entities::refresh_token;
use jsonwebtoken::{Algorithm, DecodingKey, Header};

use crate::federation_snapshot::KeySource;
use crate::issuer_keys::IssuerKeys;
use crate::keyring::KeySet;
use crate::snapshot::Snapshot;
use crate::state::AppState;

/// Verification material for one decision, gathered before it (the domain does no I/O).
/// `revoked` answers for Entente's own tokens (the live map when serving, a loaded copy in the CLI).
pub struct KeyView<R> {
    pub issuers: HashMap<String, Arc<Vec<VerifyingKey>>>,
    pub own: Arc<KeySet>,
    pub revoked: R,
}

impl<R: Fn(&AccessTokenClaims) -> bool> Keys for KeyView<R> {
    fn issuer_keys(&self, issuer_id: &str) -> &[VerifyingKey] {
        self.issuers.get(issuer_id).map_or(&[], |k| k.as_slice())
    }
    fn own_key(&self, kid: &str) -> Option<(Algorithm, &DecodingKey)> {
        self.own.verifiers.get(kid).map(|(a, k)| (*a, k))
    }
    fn own_token_revoked(&self, claims: &AccessTokenClaims) -> bool {
        (self.revoked)(claims)
    }
}

pub async fn gather_keys<'a>(
    state: &'a AppState,
    snapshot: &Snapshot,
    partner_id: &str,
    tokens: &[Option<&str>],
    now: i64,
) -> KeyView<impl Fn(&AccessTokenClaims) -> bool + 'a> {
    KeyView {
        issuers: gather_issuer_keys(&state.issuer_keys, snapshot, partner_id, tokens, now).await,
        own: state.keys(),
        revoked: move |c: &AccessTokenClaims| state.is_revoked(c),
    }
}

/// Loads the keys of the partner issuers that the presented tokens claim to come from. Only the
/// requesting partner's issuers are considered (keys are per (issuer, kid), case A7); header
/// `jku`/`x5u`/`jwk` are never read (case A5).
pub async fn gather_issuer_keys(
    fetcher: &IssuerKeys,
    snapshot: &Snapshot,
    partner_id: &str,
    tokens: &[Option<&str>],
    now: i64,
) -> HashMap<String, Arc<Vec<VerifyingKey>>> {
    let mut issuers = HashMap::new();
    for token in tokens.iter().flatten() {
        let Some(iss) = validate::peek_issuer(token) else {
            continue;
        };
        let Some(issuer) = snapshot.federation.issuer(partner_id, &iss) else {
            continue;
        };
        let kid = jws::peek_header(token)
            .ok()
            .and_then(|h| h.kid)
            .filter(|k| jws::sane_kid(k));
        let keys = match snapshot.federation.source(&issuer.id) {
            Some(KeySource::Static(k)) => k.clone(),
            Some(KeySource::Uri(u)) => fetcher.keys(&issuer.id, u, kid.as_deref(), now).await,
            None => continue,
        };
        issuers.insert(issuer.id.clone(), keys);
    }
    issuers
}

/// Signs an RFC 9068 access token with the active key; no other key is ever used (case H58).
pub fn sign(state: &AppState, claims: &AccessTokenClaims) -> Result<String, OAuthError> {
    let keys = state.keys();
    let signer = keys.signer.as_ref().ok_or_else(OAuthError::unavailable)?;
    let mut header = Header::new(signer.alg);
    header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
    header.kid = Some(signer.kid.clone());
    jsonwebtoken::encode(&header, claims, &signer.key).map_err(|e| {
        tracing::error!(error = %e, "signing failed");
        OAuthError::unavailable()
    })
}

pub fn new_jti() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The access token claims for a federation grant.
pub fn claims_for(
    state: &AppState,
    client_id: &str,
    partner_slug: &str,
    grant: &Grant,
    now: i64,
) -> AccessTokenClaims {
    AccessTokenClaims {
        iss: state.issuer.clone(),
        sub: grant.sub.clone(),
        aud: OneOrMany::One(grant.audience.clone()),
        client_id: client_id.to_owned(),
        scope: Some(grant.scope.to_string()),
        iat: now,
        exp: now + grant.lifetime,
        jti: new_jti(),
        partner: Some(partner_slug.to_owned()),
        act: grant.act.clone(),
        lineage: grant.lineage.clone(),
        trust_rule: grant.trust_rule.clone(),
        extra: grant.claims.clone(),
    }
}

/// Refresh tokens: `ent_rt_` + 256 random bits; only a keyed hash is stored.
pub fn new_refresh_token() -> String {
    format!("ent_rt_{}", entente_domain::secret::random_token(32))
}

pub fn refresh_hash(state: &AppState, token: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state.hasher.hash(token))
}

/// A refresh token row for `grant`'s terms. `family_id` is shared by all its successors.
#[allow(clippy::too_many_arguments)]
pub fn refresh_row(
    state: &AppState,
    token: &str,
    family_id: &str,
    client_id: &str,
    partner_id: &str,
    rule_id: &str,
    grant: &Grant,
    subject_key: &str,
    absolute_exp: i64,
    now: i64,
) -> refresh_token::Model {
    refresh_token::Model {
        token_hash: refresh_hash(state, token),
        family_id: family_id.to_owned(),
        client_id: client_id.to_owned(),
        partner_id: partner_id.to_owned(),
        rule_id: rule_id.to_owned(),
        audience: grant.audience.clone(),
        scope: grant.scope.to_string(),
        sub: grant.sub.clone(),
        act: grant.act.as_ref().map(|a| a.to_string()),
        claims: serde_json::Value::Object(grant.claims.clone()).to_string(),
        lineage: serde_json::to_string(&grant.lineage).unwrap_or_else(|_| "[]".into()),
        subject_key: subject_key.to_owned(),
        absolute_exp,
        created_at: now,
        used_at: None,
        revoked: false,
    }
}

/// The grant a stored family stands for, renewed with today's scope and lifetime.
pub fn grant_from_row(row: &refresh_token::Model, scope: ScopeSet, lifetime: i64) -> Grant {
    let mut lineage: Vec<String> = serde_json::from_str(&row.lineage).unwrap_or_default();
    let family = subject::family_key(&row.family_id);
    if !lineage.contains(&family) {
        lineage.push(family);
    }
    Grant {
        audience: row.audience.clone(),
        scope,
        lifetime,
        sub: row.sub.clone(),
        act: row
            .act
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok()),
        claims: serde_json::from_str(&row.claims).unwrap_or_default(),
        lineage,
        issued_token_type: entente_domain::federation::TT_ACCESS_TOKEN,
        refresh: None,
        replay: None,
        trust_rule: Some(row.rule_id.clone()),
    }
}
