//! Audit events, written in the same transaction as the change they describe.

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::entities::audit_event;
use crate::{Actor, Result, Store};

/// The partner an event concerns: named by its target (`partner:acme`, `grant:acme:…`,
/// `issuer:acme:…`) or by a `partner` field of its details.
fn partner_of(target: &str, details: &serde_json::Value) -> Option<String> {
    let (kind, rest) = target.split_once(':')?;
    if matches!(kind, "partner" | "grant" | "issuer") {
        return Some(rest.split(':').next().unwrap_or(rest).to_owned());
    }
    details
        .get("partner")
        .and_then(|p| p.as_str())
        .map(str::to_owned)
}

pub(crate) async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: &str,
    target: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<()> {
    audit_event::ActiveModel {
        at: Set(now),
        actor: Set(actor.name.clone()),
        action: Set(action.to_owned()),
        target: Set(target.to_owned()),
        partner: Set(partner_of(target, &details)),
        details: Set(details.to_string()),
        request_id: Set(actor.request_id.clone()),
        source: Set(actor.source.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

impl Store {
    pub async fn recent_audit_events(&self, limit: u64) -> Result<Vec<audit_event::Model>> {
        Ok(audit_event::Entity::find()
            .order_by_desc(audit_event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }
}
