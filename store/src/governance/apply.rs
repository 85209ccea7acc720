//! Applying a change: the same code the direct edits use, so the same checks, audit events and
//! change-feed notices.

use entente_domain::ScopeSet;
use entente_domain::lifecycle::Stage;
use sea_orm::{DatabaseTransaction, EntityTrait};

use super::{Change, invalid};
use crate::catalog::{
    audience_by_identifier_in, partner_by_slug_in, reactivate_partner_in, set_grant_in,
    set_partner_stage_in,
};
use crate::entities::grant;
use crate::federation::{
    set_trust_rule_enabled_in, set_trust_rule_in, set_trusted_issuer_enabled_in,
};
use crate::{Actor, Result};

/// Applies `change` inside `txn` with the same code the direct edits use (and so the same
/// checks, audit events and change-feed notices).
pub(super) async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
    now: i64,
) -> Result<Option<String>> {
    let mut id = None;
    match change {
        Change::Promote { partner } => {
            // Promotion waits for a complete onboarding checklist, when filed and when approved.
            let p = partner_by_slug_in(txn, partner).await?;
            let o = crate::onboarding::onboarding_in(txn, p, now).await?;
            entente_domain::onboarding::check_ready(&o.checklist).map_err(invalid)?;
            set_partner_stage_in(txn, actor, partner, Stage::Production, "", now).await?;
        }
        Change::Reactivate { partner } => {
            reactivate_partner_in(txn, actor, partner, now).await?;
        }
        Change::Grant {
            partner,
            audience,
            scopes,
        } => {
            set_grant_in(txn, actor, partner, audience, scopes, now).await?;
        }
        Change::TrustRule {
            partner,
            issuer,
            audience,
            rule,
        } => {
            let m =
                set_trust_rule_in(txn, actor, partner, issuer, audience, rule.clone(), now).await?;
            id = Some(m.id);
        }
        Change::EnableTrustRule { rule_id } => {
            set_trust_rule_enabled_in(txn, actor, rule_id, true, now).await?;
            id = Some(rule_id.clone());
        }
        Change::EnableIssuer { partner, issuer } => {
            set_trusted_issuer_enabled_in(txn, actor, partner, issuer, true, now).await?;
        }
        Change::Grants { partner, grants } => {
            for g in grants {
                set_grant_in(txn, actor, partner, &g.audience, &g.scopes, now).await?;
            }
        }
        Change::AddScopes {
            partner,
            audience,
            scopes,
        } => {
            let p = partner_by_slug_in(txn, partner).await?;
            let a = audience_by_identifier_in(txn, audience).await?;
            let held = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                .one(txn)
                .await?
                .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                .unwrap_or_default();
            let after = ScopeSet::from_tokens(held.iter().chain(scopes.iter()).map(str::to_owned));
            set_grant_in(txn, actor, partner, audience, &after, now).await?;
        }
        Change::ProductionClient {
            partner,
            name,
            scopes,
            grant_types,
        } => {
            let p = partner_by_slug_in(txn, partner).await?;
            let c = crate::catalog::NewClient {
                secret_hash: None,
                owner: None,
                ..crate::catalog::NewClient::partner_secret(
                    p.id,
                    name.clone(),
                    scopes.clone(),
                    grant_types.clone(),
                    vec![],
                )
            }
            .in_environment(Some(entente_domain::environment::Environment::Production));
            let m = crate::catalog::create_client_in(
                txn,
                actor,
                c,
                entente_domain::secret::new_client_id(),
                now,
            )
            .await?;
            id = Some(m.client_id);
        }
    }
    Ok(id)
}
