//! Whether a change widens production access today: the state the domain's rules compare,
//! read inside the transaction that would apply the change.

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{ClaimPass, ScopeMapping};
use entente_domain::governance::{self, RuleReach};
use entente_domain::lifecycle::Stage;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter};

use super::Change;
use super::subject::{partner_of, rule_of};
use crate::catalog::audience_by_identifier_in;
use crate::entities::{audience, change_request, grant, partner, trust_rule};
use crate::enums::{EnvironmentColumn, PartnerStage, RequestStatusColumn};
use crate::federation::{NewTrustRule, trusted_issuer_in};
use crate::{Actor, Result, StoreError};

/// Whether `change` widens production access today (read inside `txn`), with the partner.
pub(super) async fn needs_approval(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
) -> Result<(partner::Model, bool)> {
    let mut p = partner_of(txn, actor, change).await?;
    // While a promotion waits, the partner counts as production: what the approver was shown
    // cannot be widened underneath the request.
    if p.stage == PartnerStage::Sandbox && pending_promotion(txn, &p).await? {
        p.stage = PartnerStage::Production;
    }
    let needs = match change {
        Change::Promote { .. } => governance::stage_change_needs_approval(Stage::Production),
        // Reactivation restores whatever the partner had; it always waits for a second person.
        Change::Reactivate { .. } => true,
        Change::Grant {
            audience, scopes, ..
        } => {
            let a = audience_by_identifier_in(txn, audience).await?;
            let before = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                .one(txn)
                .await?
                .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                .unwrap_or_default();
            governance::grant_needs_approval(effective_for(&p, &a), &before, scopes)
        }
        Change::Grants { grants, .. } => {
            let mut widens = false;
            for g in grants {
                let a = audience_by_identifier_in(txn, &g.audience).await?;
                let before = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                    .one(txn)
                    .await?
                    .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                    .unwrap_or_default();
                widens |=
                    governance::grant_needs_approval(effective_for(&p, &a), &before, &g.scopes);
            }
            widens
        }
        Change::TrustRule {
            issuer,
            audience,
            rule,
            ..
        } => {
            let i = trusted_issuer_in(txn, &p.id, issuer).await?;
            let a = audience_by_identifier_in(txn, audience).await?;
            let before = trust_rule::Entity::find()
                .filter(trust_rule::Column::IssuerId.eq(&i.id))
                .filter(trust_rule::Column::AudienceId.eq(&a.id))
                .one(txn)
                .await?;
            governance::rule_needs_approval(
                effective_for(&p, &a),
                before.as_ref().map(reach_of).as_ref(),
                &reach_of_new(rule),
            )
        }
        Change::EnableTrustRule { rule_id } => {
            let before = rule_of(txn, &p, rule_id).await?;
            let after = RuleReach {
                enabled: true,
                ..reach_of(&before)
            };
            let a = audience::Entity::find_by_id(before.audience_id.clone())
                .one(txn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("audience of rule {rule_id}")))?;
            governance::rule_needs_approval(effective_for(&p, &a), Some(&reach_of(&before)), &after)
        }
        Change::EnableIssuer { issuer, .. } => {
            let i = trusted_issuer_in(txn, &p.id, issuer).await?;
            !i.enabled && effective(&p) == Stage::Production
        }
        // New production credentials always have a second person look at them, and what a
        // partner asks for itself always waits for an administrator.
        Change::ProductionClient { .. } | Change::AddScopes { .. } => true,
    };
    Ok((p, needs))
}

async fn pending_promotion(txn: &DatabaseTransaction, p: &partner::Model) -> Result<bool> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::PartnerId.eq(&p.id))
        .filter(change_request::Column::Kind.eq("promote"))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .count(txn)
        .await?
        > 0)
}

/// A suspended partner counts as the stage it returns to: widening a suspended production
/// partner's access takes effect at reactivation, so it needs approval too.
fn effective(p: &partner::Model) -> Stage {
    match (p.stage, p.resume_stage) {
        (PartnerStage::Suspended, Some(resume)) => resume.into(),
        (s, _) => s.into(),
    }
}

/// The stage that decides approval for access to `a`: a sandbox audience is never production
/// access, whatever the partner's stage.
fn effective_for(p: &partner::Model, a: &audience::Model) -> Stage {
    if a.environment == EnvironmentColumn::Sandbox {
        Stage::Sandbox
    } else {
        effective(p)
    }
}

pub(super) fn reach_of(m: &trust_rule::Model) -> RuleReach {
    let claims: Vec<ClaimPass> = serde_json::from_str(&m.claims).unwrap_or_default();
    let mappings: Vec<ScopeMapping> = serde_json::from_str(&m.mappings).unwrap_or_default();
    RuleReach {
        enabled: m.enabled,
        scopes: ScopeSet::from_tokens(m.scopes.split_whitespace()),
        claims: claims.iter().map(claim_name).collect(),
        mappings: mappings.iter().map(mapping_name).collect(),
        pairwise: m.pairwise,
        delegation: m.delegation,
        delegation_only: m.delegation_only,
        max_depth: u8::try_from(m.max_depth).unwrap_or(u8::MAX),
        refresh: m.refresh,
        lifetime: m.lifetime,
        refresh_lifetime: m.refresh_lifetime,
    }
}

fn claim_name(c: &ClaimPass) -> String {
    format!("{}→{}", c.from, c.to)
}

fn mapping_name(m: &ScopeMapping) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn reach_of_new(r: &NewTrustRule) -> RuleReach {
    RuleReach {
        enabled: true,
        scopes: r.scopes.clone(),
        claims: r.claims.iter().map(claim_name).collect(),
        mappings: r.mappings.iter().map(mapping_name).collect(),
        pairwise: r.pairwise,
        delegation: r.delegation,
        delegation_only: r.delegation_only,
        max_depth: r.max_depth,
        refresh: r.refresh,
        lifetime: r.lifetime,
        refresh_lifetime: r.refresh_lifetime,
    }
}
