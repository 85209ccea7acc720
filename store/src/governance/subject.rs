//! What a change or a request is about: its partner (locked for the decision) and the rule it
//! names.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};

use super::Change;
use crate::catalog::partner_by_slug_in;
use crate::entities::{change_request, partner, trust_rule};
use crate::{Actor, Result, StoreError};

/// The partner a change is about, its row locked for the rest of the transaction (on
/// PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers): a decision and a
/// direct edit of the same partner never interleave.
pub(super) async fn partner_of(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
) -> Result<partner::Model> {
    let id = match change {
        Change::EnableTrustRule { rule_id } => {
            trust_rule::Entity::find_by_id(rule_id.to_owned())
                .one(txn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("trust rule {rule_id}")))?
                .partner_id
        }
        other => {
            let slug = other.partner().unwrap_or_default();
            partner_by_slug_in(txn, slug).await?.id
        }
    };
    let p = partner::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("the partner".into()))?;
    crate::reserved::check_partner(actor, &p)?;
    Ok(p)
}

pub(super) async fn rule_of(
    db: &impl ConnectionTrait,
    p: &partner::Model,
    rule_id: &str,
) -> Result<trust_rule::Model> {
    trust_rule::Entity::find_by_id(rule_id.to_owned())
        .filter(trust_rule::Column::PartnerId.eq(&p.id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("trust rule {rule_id} of {}", p.slug)))
}

pub(super) async fn slug_of(
    db: &impl ConnectionTrait,
    r: &change_request::Model,
) -> Result<Option<String>> {
    Ok(partner::Entity::find_by_id(r.partner_id.clone())
        .one(db)
        .await?
        .map(|p| p.slug))
}
