//! Usage anomaly alerts: recorded with a security audit event in one transaction, listed newest
//! first.

use entente_domain::anomaly::{AlertView, Anomaly};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde_json::json;

use crate::entities::usage_alert;
use crate::usage::Filter;
use crate::{Actor, Result, Store, audit};

/// Where an anomaly was seen.
#[derive(Debug, Clone)]
pub struct Seen<'a> {
    pub replica: &'a str,
    pub partner_id: &'a str,
    pub partner_slug: &'a str,
    pub client_id: &'a str,
    pub window_start: i64,
    pub window_secs: i64,
}

impl Store {
    pub async fn record_alert(&self, seen: &Seen<'_>, a: &Anomaly, now: i64) -> Result<i64> {
        let txn = self.db().begin().await?;
        let row = usage_alert::ActiveModel {
            at: Set(now),
            replica: Set(seen.replica.to_owned()),
            partner_id: Set(seen.partner_id.to_owned()),
            client_id: Set(seen.client_id.to_owned()),
            kind: Set(a.kind.as_str().to_owned()),
            window_start: Set(seen.window_start),
            window_secs: Set(seen.window_secs),
            observed: Set(a.observed),
            expected: Set(a.expected),
            score: Set(a.score),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            &Actor::new("system"),
            entente_domain::audit::AuditAction::SecurityUsageAnomaly,
            &format!("client:{}", seen.client_id),
            json!({
                "partner": seen.partner_slug,
                "kind": a.kind.as_str(),
                "observed": a.observed,
                "expected": a.expected,
                "score": a.score,
                "window_start": seen.window_start,
                "window_secs": seen.window_secs,
                "alert": row.id,
            }),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(row.id)
    }

    /// Alerts since `since`, newest first, at most `limit`.
    pub async fn alerts(
        &self,
        filter: &Filter,
        since: i64,
        limit: u64,
    ) -> Result<Vec<usage_alert::Model>> {
        let mut q = usage_alert::Entity::find()
            .filter(usage_alert::Column::At.gte(since))
            .order_by_desc(usage_alert::Column::Id)
            .limit(limit);
        if let Some(p) = &filter.partner_id {
            q = q.filter(usage_alert::Column::PartnerId.eq(p.as_str()));
        }
        if let Some(c) = &filter.client_id {
            q = q.filter(usage_alert::Column::ClientId.eq(c.as_str()));
        }
        Ok(q.all(self.db()).await?)
    }
}

impl Store {
    /// Alerts as shown: partners by slug.
    pub async fn alert_views(
        &self,
        filter: &Filter,
        since: i64,
        limit: u64,
    ) -> Result<Vec<AlertView>> {
        let slugs = self.partner_slugs().await?;
        Ok(self
            .alerts(filter, since, limit)
            .await?
            .into_iter()
            .map(|a| AlertView {
                id: a.id,
                at: a.at,
                partner: slugs.get(&a.partner_id).cloned().unwrap_or(a.partner_id),
                client_id: a.client_id,
                kind: a.kind,
                observed: a.observed,
                expected: a.expected,
                score: a.score,
                window_start: a.window_start,
                window_secs: a.window_secs,
            })
            .collect())
    }
}
