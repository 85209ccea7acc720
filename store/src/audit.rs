//! Audit events, written in the same transaction as the change they describe.

use entente_domain::audit::AuditAction;
use std::collections::HashMap;

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

/// An event about a client, attributed to the client's partner (named by slug in `details`) so
/// the partner's audit view and the portal's recent events show it.
pub(crate) async fn record_client(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    client: &crate::entities::client::Model,
    mut details: serde_json::Value,
    now: i64,
) -> Result<()> {
    if let Some(pid) = &client.partner_id
        && let Some(p) = crate::entities::partner::Entity::find_by_id(pid.clone())
            .one(db)
            .await?
        && let Some(map) = details.as_object_mut()
    {
        map.insert("partner".into(), serde_json::Value::String(p.slug));
    }
    record(
        db,
        actor,
        action,
        &format!("client:{}", client.client_id),
        details,
        now,
    )
    .await
}

pub(crate) async fn record(
    db: &impl ConnectionTrait,
    actor: &Actor,
    action: AuditAction,
    target: &str,
    mut details: serde_json::Value,
    now: i64,
) -> Result<()> {
    // Labelled as the caller's: correlation for them, never Entente's request id.
    if let Some(id) = &actor.caller_request_id
        && let Some(map) = details.as_object_mut()
    {
        map.insert("caller_request_id".into(), id.clone().into());
    }
    audit_event::ActiveModel {
        at: Set(now),
        actor: Set(actor.name.clone()),
        action: Set(action.as_str().to_owned()),
        target: Set(target.to_owned()),
        partner: Set(partner_of(target, &details)),
        details: Set(details.to_string()),
        request_id: Set(actor.request_id.clone()),
        trace_id: Set(actor.trace_id.clone()),
        source: Set(actor.source.clone()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Which audit events to list: every filter optional, newest first, `before` an event id (the
/// next page starts below the last one shown).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact actor (`admin:alice@example.com`, `cli:root`, …) or, without a colon, any actor
    /// whose name contains it.
    pub actor: Option<String>,
    pub partner: Option<String>,
    /// Exactly what an event acted on (`client:c_…`, `partner:acme`).
    pub target: Option<String>,
    /// An action (`partner.suspend`) or a family (`partner.`).
    pub action: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: u64,
}

/// Events per page unless the caller asks for another number (at most `MAX`).
const DEFAULT_LIMIT: u64 = 100;
const MAX: u64 = 10_000;

impl AuditFilter {
    /// The filter from query parameters (`actor`, `partner`, `target`, `action`, `since`, `until`,
    /// `before`, `limit`); a sentence for what cannot be read.
    pub fn from_query(q: &HashMap<String, String>, now: i64) -> std::result::Result<Self, String> {
        let text = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let time = |k: &str| {
            text(k)
                .map(|v| {
                    entente_domain::audit::parse_time(&v, now).map_err(|e| format!("{k}: {e}"))
                })
                .transpose()
        };
        let number = |k: &str| {
            text(k)
                .map(|v| {
                    v.parse::<u64>()
                        .map_err(|_| format!("{k} must be a positive number"))
                })
                .transpose()
        };
        let limit = number("limit")?.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX).contains(&limit) {
            return Err(format!("limit must be between 1 and {MAX}"));
        }
        Ok(Self {
            actor: text("actor"),
            partner: text("partner"),
            target: text("target"),
            action: text("action"),
            since: time("since")?,
            until: time("until")?,
            before: number("before")?
                .map(|b| i64::try_from(b).map_err(|_| "before is not an event id".to_string()))
                .transpose()?,
            limit,
        })
    }
}

impl Store {
    /// A security event that changes nothing else (a sign-in, a failed one).
    pub async fn record_event(
        &self,
        actor: &Actor,
        action: AuditAction,
        target: &str,
        details: serde_json::Value,
        now: i64,
    ) -> Result<()> {
        record(self.db(), actor, action, target, details, now).await
    }

    /// One page of audit events matching `f`, newest first.
    pub async fn audit_events(&self, f: &AuditFilter) -> Result<Vec<audit_event::Model>> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let mut q = audit_event::Entity::find().order_by_desc(audit_event::Column::Id);
        if let Some(a) = f.actor.as_deref().filter(|a| !a.is_empty()) {
            q = if a.contains(':') {
                q.filter(audit_event::Column::Actor.eq(a))
            } else {
                q.filter(audit_event::Column::Actor.contains(a))
            };
        }
        if let Some(p) = f.partner.as_deref().filter(|p| !p.is_empty()) {
            q = q.filter(audit_event::Column::Partner.eq(p));
        }
        if let Some(t) = f.target.as_deref().filter(|t| !t.is_empty()) {
            q = q.filter(audit_event::Column::Target.eq(t));
        }
        if let Some(a) = f.action.as_deref().filter(|a| !a.is_empty()) {
            q = if a.ends_with('.') {
                q.filter(audit_event::Column::Action.starts_with(a))
            } else {
                q.filter(audit_event::Column::Action.eq(a))
            };
        }
        if let Some(t) = f.since {
            q = q.filter(audit_event::Column::At.gte(t));
        }
        if let Some(t) = f.until {
            q = q.filter(audit_event::Column::At.lt(t));
        }
        if let Some(id) = f.before {
            q = q.filter(audit_event::Column::Id.lt(id));
        }
        Ok(q.limit(f.limit.clamp(1, 10_000)).all(self.db()).await?)
    }

    pub async fn recent_audit_events(&self, limit: u64) -> Result<Vec<audit_event::Model>> {
        Ok(audit_event::Entity::find()
            .order_by_desc(audit_event::Column::Id)
            .limit(limit)
            .all(self.db())
            .await?)
    }
}
