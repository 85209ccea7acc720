//! Refresh token families (started by a token exchange under a rule that allows them): opaque
//! tokens stored as keyed hashes, rows that carry the family's terms.

use base64::Engine;
use entente_domain::ScopeSet;
use entente_domain::federation::exchange::Grant;
use entente_domain::federation::subject;
use entente_domain::ids::{PartnerId, RuleId};
use entente_store::entities::refresh_token;

use crate::state::AppState;

/// Refresh tokens: `ent_rt_` + 256 random bits; only a keyed hash is stored.
pub fn new_refresh_token() -> String {
    format!("ent_rt_{}", entente_domain::secret::random_token(32))
}

pub fn refresh_hash(state: &AppState, token: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(state.hasher.hash(token))
}

/// A refresh token row for `grant`'s terms. `family_id` is shared by all its successors.
#[allow(clippy::too_many_arguments)]
pub fn refresh_row(
    state: &AppState,
    token: &str,
    family_id: &str,
    client_id: &str,
    partner_id: &PartnerId,
    rule_id: &RuleId,
    grant: &Grant,
    subject_key: &str,
    absolute_exp: i64,
    now: i64,
) -> refresh_token::Model {
    refresh_token::Model {
        token_hash: refresh_hash(state, token),
        family_id: family_id.to_owned(),
        client_id: client_id.to_owned(),
        partner_id: partner_id.to_string(),
        rule_id: rule_id.to_string(),
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
        trust_rule: Some(RuleId::from(row.rule_id.as_str())),
    }
}
