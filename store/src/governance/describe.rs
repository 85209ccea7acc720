//! How a request reads to its approver: its target, its one line, and the partner's access a
//! promotion was filed against.

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::Change;
use super::approval::reach_of;
use super::subject::rule_of;
use crate::Result;
use crate::entities::{audience, grant, partner, trust_rule, trusted_issuer};
use crate::enums::EnvironmentColumn;

/// What a request is about and one line for the approver (a rule's request names its issuer,
/// audience and scopes, and shares the rule's target with edits of it).
pub(super) async fn describe(
    txn: &DatabaseTransaction,
    p: &partner::Model,
    change: &Change,
) -> Result<(String, String)> {
    if let Change::EnableTrustRule { rule_id } = change {
        let r = rule_of(txn, p, rule_id).await?;
        let (issuer, audience) = rule_names(txn, &r).await?;
        return Ok((
            format!("trust_rule:{}:{issuer}:{audience}", p.slug),
            format!(
                "enable {}'s trust rule {rule_id}: tokens from {issuer} for \"{}\" on {audience}",
                p.slug, r.scopes
            ),
        ));
    }
    Ok((change.target(), change.summary()))
}

async fn rule_names(txn: &DatabaseTransaction, r: &trust_rule::Model) -> Result<(String, String)> {
    let issuer = trusted_issuer::Entity::find_by_id(r.issuer_id.clone())
        .one(txn)
        .await?
        .map_or_else(|| r.issuer_id.clone(), |i| i.issuer);
    let audience = audience::Entity::find_by_id(r.audience_id.clone())
        .one(txn)
        .await?
        .map_or_else(|| r.audience_id.clone(), |a| a.identifier);
    Ok((issuer, audience))
}

/// The partner's production access as an approver reads it: grants on production APIs, then
/// enabled trust rules of enabled issuers for production APIs (sandbox access never carries over). A promotion records it when filed and is refused if it changed before approval.
pub(super) async fn access_of(txn: &DatabaseTransaction, p: &partner::Model) -> Result<String> {
    let mut lines = vec![];
    for g in grant::Entity::find()
        .filter(grant::Column::PartnerId.eq(&p.id))
        .all(txn)
        .await?
    {
        let Some(aud) = audience::Entity::find_by_id(g.audience_id.clone())
            .one(txn)
            .await?
            .filter(|a| a.environment == EnvironmentColumn::Production)
        else {
            continue;
        };
        lines.push(format!("grant on {}: {}", aud.identifier, g.scopes));
    }
    let issuers: std::collections::HashMap<String, trusted_issuer::Model> =
        trusted_issuer::Entity::find()
            .filter(trusted_issuer::Column::PartnerId.eq(&p.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
    for r in trust_rule::Entity::find()
        .filter(trust_rule::Column::PartnerId.eq(&p.id))
        .filter(trust_rule::Column::Enabled.eq(true))
        .all(txn)
        .await?
    {
        if !issuers.get(&r.issuer_id).is_some_and(|i| i.enabled)
            || !audience::Entity::find_by_id(r.audience_id.clone())
                .one(txn)
                .await?
                .is_some_and(|a| a.environment == EnvironmentColumn::Production)
        {
            continue;
        }
        let (issuer, audience) = rule_names(txn, &r).await?;
        let reach = reach_of(&r);
        lines.push(format!(
            "trust rule {issuer} → {audience}: {} (claims: {}; {}{}{})",
            r.scopes,
            if reach.claims.is_empty() {
                "sub only".to_owned()
            } else {
                reach.claims.join(", ")
            },
            if r.pairwise {
                "pairwise subject"
            } else {
                "public subject"
            },
            if r.delegation { ", delegation" } else { "" },
            if r.refresh { ", refresh tokens" } else { "" },
        ));
    }
    lines.sort();
    if lines.is_empty() {
        lines.push("no grants and no trust rules".into());
    }
    Ok(lines.join("\n"))
}
