//! Audit events, written in the same transaction as the change they describe.

use entente_domain::audit::AuditAction;
use std::collections::HashMap;

use entente_domain::audit_chain::{self, ChainedEvent};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::entities::{audit_chain_head, audit_event};
use crate::{Actor, Result, Store, StoreError};

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
    db: &DatabaseTransaction,
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
    txn: &DatabaseTransaction,
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
    let details = details.to_string();
    let mut event = ChainedEvent {
        seq: 0,
        at: now,
        actor: actor.name.clone(),
        action: action.as_str().to_owned(),
        target: target.to_owned(),
        partner: partner_of(target, &ChainedEvent::details_of(&details)),
        details: ChainedEvent::details_of(&details),
        request_id: actor.request_id.clone(),
        trace_id: actor.trace_id.clone(),
        source: actor.source.clone(),
    };
    let (seq, hash) = chain_next(txn, &mut event).await?;
    audit_event::ActiveModel {
        at: Set(now),
        actor: Set(event.actor),
        action: Set(event.action),
        target: Set(event.target),
        partner: Set(event.partner),
        details: Set(details),
        request_id: Set(event.request_id),
        trace_id: Set(event.trace_id),
        source: Set(event.source),
        seq: Set(Some(seq)),
        hash: Set(Some(hash)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Gives `event` the next place in the chain and returns it with its hash, moving the head.
/// The head row is locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite's
/// IMMEDIATE transaction already serialises): audited changes pass one at a time, so two
/// never take the same place.
async fn chain_next(txn: &DatabaseTransaction, event: &mut ChainedEvent) -> Result<(i64, String)> {
    let head = audit_chain_head::Entity::find_by_id(1)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::Invalid("the audit chain has no head row".into()))?;
    let prev = audit_chain::from_hex(&head.hash)
        .ok_or_else(|| StoreError::Invalid("the audit chain's head hash is not a hash".into()))?;
    event.seq = head.seq + 1;
    let hash = audit_chain::to_hex(&audit_chain::link(&prev, event));
    audit_chain_head::ActiveModel {
        id: Set(1),
        seq: Set(event.seq),
        hash: Set(hash.clone()),
    }
    .update(txn)
    .await?;
    Ok((event.seq, hash))
}

/// The chain's view of a stored event.
pub fn chained(e: &audit_event::Model) -> ChainedEvent {
    ChainedEvent {
        seq: e.seq.unwrap_or(0),
        at: e.at,
        actor: e.actor.clone(),
        action: e.action.clone(),
        target: e.target.clone(),
        partner: e.partner.clone(),
        details: ChainedEvent::details_of(&e.details),
        request_id: e.request_id.clone(),
        trace_id: e.trace_id.clone(),
        source: e.source.clone(),
    }
}

/// What `verify_audit_chain` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainState {
    /// Every event from `from` to `last_seq` verifies, and the head row agrees.
    Verified {
        from: i64,
        last_seq: i64,
        head: String,
        events: u64,
    },
    /// The first event (or place) that does not verify.
    Broken(audit_chain::Broken),
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
        let txn = self.write().await?;
        record(&txn, actor, action, target, details, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Chains the events written before the chain existed, oldest first: once, on the first
    /// start after the upgrade that made the chain. After that an event without a place was
    /// written around Entente, and `verify` names it rather than this legitimising it.
    pub(crate) async fn chain_audit_backlog(&self) -> Result<u64> {
        let mut placed = 0u64;
        loop {
            let txn = self.write().await?;
            let head = audit_chain_head::Entity::find_by_id(1)
                .lock_exclusive()
                .one(&txn)
                .await?;
            let begun = head.is_some_and(|h| h.seq > 0);
            if begun && placed == 0 {
                return Ok(0);
            }
            let backlog = audit_event::Entity::find()
                .filter(audit_event::Column::Seq.is_null())
                .order_by_asc(audit_event::Column::Id)
                .limit(1000)
                .all(&txn)
                .await?;
            if backlog.is_empty() {
                return Ok(placed);
            }
            for e in backlog {
                let mut event = chained(&e);
                let (seq, hash) = chain_next(&txn, &mut event).await?;
                audit_event::ActiveModel {
                    id: Set(e.id),
                    seq: Set(Some(seq)),
                    hash: Set(Some(hash)),
                    ..Default::default()
                }
                .update(&txn)
                .await?;
                placed += 1;
            }
            txn.commit().await?;
        }
    }

    /// Walks the audit chain from `from` (1 when absent) in sequence order: every event must
    /// follow the one before without a gap, carry the hash its content gives, and the head row
    /// must name the last. An event without a place (written around Entente) breaks it too.
    pub async fn verify_audit_chain(&self, from: Option<i64>) -> Result<ChainState> {
        let from = from.unwrap_or(1).max(1);
        let unplaced = audit_event::Entity::find()
            .filter(audit_event::Column::Seq.is_null())
            .order_by_asc(audit_event::Column::Id)
            .one(self.db())
            .await?;
        if let Some(e) = unplaced {
            return Ok(ChainState::Broken(audit_chain::Broken {
                seq: 0,
                why: format!(
                    "event id {} has no place in the chain: it was written around Entente",
                    e.id
                ),
            }));
        }
        let mut prev = if from == 1 {
            audit_chain::GENESIS
        } else {
            let before = audit_event::Entity::find()
                .filter(audit_event::Column::Seq.eq(from - 1))
                .one(self.db())
                .await?;
            match before
                .and_then(|e| e.hash)
                .as_deref()
                .and_then(audit_chain::from_hex)
            {
                Some(h) => h,
                None => {
                    return Ok(ChainState::Broken(audit_chain::Broken {
                        seq: from - 1,
                        why: format!("event {} is missing or has no hash", from - 1),
                    }));
                }
            }
        };
        let (mut next, mut events) = (from, 0u64);
        loop {
            let page = audit_event::Entity::find()
                .filter(audit_event::Column::Seq.gte(next))
                .order_by_asc(audit_event::Column::Seq)
                .limit(1000)
                .all(self.db())
                .await?;
            if page.is_empty() {
                break;
            }
            let walked = page
                .iter()
                .map(|e| (chained(e), e.hash.clone().unwrap_or_default()));
            match audit_chain::verify(next, prev, walked) {
                Ok(v) => {
                    prev = v.head;
                    next = v.last_seq + 1;
                    events += v.events;
                }
                Err(b) => return Ok(ChainState::Broken(b)),
            }
        }
        let head = audit_chain_head::Entity::find_by_id(1)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::Invalid("the audit chain has no head row".into()))?;
        let last_seq = next - 1;
        let broken =
            |seq: i64, why: String| Ok(ChainState::Broken(audit_chain::Broken { seq, why }));
        if head.seq > last_seq {
            return broken(
                last_seq + 1,
                format!(
                    "the chain's head is at event {} but the events end at {last_seq}: the \
                     newest events were deleted",
                    head.seq
                ),
            );
        }
        if head.seq < last_seq {
            return broken(
                head.seq + 1,
                format!(
                    "events {} to {last_seq} lie beyond the chain's head: they were written \
                     around Entente",
                    head.seq + 1
                ),
            );
        }
        if last_seq >= from && head.hash != audit_chain::to_hex(&prev) {
            return broken(
                last_seq,
                "the chain's head names another hash for the newest event".into(),
            );
        }
        Ok(ChainState::Verified {
            from,
            last_seq,
            head: audit_chain::to_hex(&prev),
            events,
        })
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
