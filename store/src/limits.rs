//! Rate-limit tiers and the settings of partners and clients. Every change is audited and
//! published on the catalog topic, so every replica enforces it within one change-feed read.

use entente_domain::rate_limit::{
    ClientLimit, PartnerLimits, Rate, Setting, SubjectLimit, TierView, Tiers, check_tier_name,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;

use crate::changes::{publish, topic};
use crate::entities::{client, rate_limit, rate_tier};
use crate::{Actor, Result, Store, StoreError, audit};

/// Whose limit a setting is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Partner {
        slug: String,
    },
    /// A client, optionally named with its partner (which must then be the client's).
    Client {
        partner_slug: Option<String>,
        client_id: String,
    },
}

/// A tier's rate from its row (rows are only written through `Rate::new`).
pub fn tier_rate(t: &rate_tier::Model) -> Option<Rate> {
    Rate::new(t.per_second, t.burst).ok()
}

/// The tiers of these rows, for resolving settings.
pub fn tiers_of(rows: &[rate_tier::Model]) -> Tiers {
    Tiers::new(
        rows.iter()
            .filter_map(|t| tier_rate(t).map(|r| (t.name.clone(), r, t.is_default))),
    )
}

/// The setting a row holds; `None` for a row that names nothing usable.
pub fn setting_of(row: &rate_limit::Model) -> Option<Setting> {
    match (&row.tier, row.per_second, row.burst) {
        (Some(t), _, _) => Some(Setting::Tier(t.clone())),
        (None, Some(p), Some(b)) => Rate::new(p, b).ok().map(Setting::Custom),
        _ => None,
    }
}

fn setting_json(s: Option<&Setting>) -> serde_json::Value {
    match s {
        None => serde_json::Value::Null,
        Some(Setting::Tier(t)) => json!({ "tier": t }),
        Some(Setting::Custom(r)) => json!({ "per_second": r.per_second, "burst": r.burst }),
    }
}

impl Store {
    /// The tiers in force, for resolving settings.
    pub async fn tiers(&self) -> Result<Tiers> {
        Ok(tiers_of(&self.rate_tiers().await?))
    }

    /// Every tier with how many settings name it.
    pub async fn tier_views(&self) -> Result<Vec<TierView>> {
        let tiers = self.rate_tiers().await?;
        let limits = self.rate_limits().await?;
        Ok(tiers
            .iter()
            .map(|t| TierView {
                name: t.name.clone(),
                per_second: u32::try_from(t.per_second).unwrap_or(0),
                burst: u32::try_from(t.burst).unwrap_or(0),
                default: t.is_default,
                used_by: limits
                    .iter()
                    .filter(|l| l.tier.as_deref() == Some(t.name.as_str()))
                    .count() as u64,
            })
            .collect())
    }

    /// A partner's limit and its clients' (resource servers have their own, `client_limit`).
    pub async fn partner_limits(&self, slug: &str) -> Result<PartnerLimits> {
        let p = crate::catalog::partner_by_slug_in(self.db(), slug).await?;
        let tiers = self.tiers().await?;
        let own = self.setting(&format!("partner:{}", p.id)).await?;
        let clients = client::Entity::find()
            .filter(client::Column::PartnerId.eq(p.id.as_str()))
            .order_by_asc(client::Column::CreatedAt)
            .all(self.db())
            .await?;
        let mut rows = Vec::with_capacity(clients.len());
        for c in clients {
            let s = self.setting(&format!("client:{}", c.client_id)).await?;
            rows.push((c.client_id, c.name, s));
        }
        let (limit, clients) = tiers.partner_view(own.as_ref(), rows);
        Ok(PartnerLimits {
            partner: p.slug,
            name: p.name,
            limit,
            clients,
        })
    }

    /// One page of partners (by slug, `search` in slug or name) with their clients' limits:
    /// three queries whatever the page size.
    pub async fn partner_limits_page(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<PartnerLimits>, u64)> {
        let (partners, total) = self.partners_page(search, offset, limit).await?;
        let tiers = self.tiers().await?;
        let settings: std::collections::HashMap<String, Setting> = self
            .rate_limits()
            .await?
            .iter()
            .filter_map(|r| setting_of(r).map(|s| (r.subject.clone(), s)))
            .collect();
        let ids: Vec<String> = partners.iter().map(|p| p.id.clone()).collect();
        let clients = client::Entity::find()
            .filter(client::Column::PartnerId.is_in(ids))
            .order_by_asc(client::Column::CreatedAt)
            .all(self.db())
            .await?;
        let page = partners
            .into_iter()
            .map(|p| {
                let rows = clients
                    .iter()
                    .filter(|c| c.partner_id.as_deref() == Some(p.id.as_str()))
                    .map(|c| {
                        (
                            c.client_id.clone(),
                            c.name.clone(),
                            settings.get(&format!("client:{}", c.client_id)).cloned(),
                        )
                    });
                let (limit, clients) =
                    tiers.partner_view(settings.get(&format!("partner:{}", p.id)), rows);
                PartnerLimits {
                    partner: p.slug,
                    name: p.name,
                    limit,
                    clients,
                }
            })
            .collect();
        Ok((page, total))
    }

    /// Any client's limit: a partner's client follows its partner, a resource server the
    /// default tier.
    pub async fn client_limit(&self, client_id: &str) -> Result<ClientLimit> {
        let c = self.client(client_id).await?;
        if let Some(pid) = &c.partner_id {
            let p = self.partner_by_id(pid).await?;
            let all = self.partner_limits(&p.slug).await?;
            return all
                .clients
                .into_iter()
                .find(|x| x.client_id == client_id)
                .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")));
        }
        let tiers = self.tiers().await?;
        let setting = self.setting(&format!("client:{client_id}")).await?;
        Ok(ClientLimit {
            client_id: c.client_id,
            name: c.name,
            limit: SubjectLimit {
                effective: tiers.resource_server(setting.as_ref()),
                setting,
                current: None,
                current_sandbox: None,
            },
        })
    }

    async fn setting(&self, subject: &str) -> Result<Option<Setting>> {
        Ok(rate_limit::Entity::find_by_id(subject.to_owned())
            .one(self.db())
            .await?
            .as_ref()
            .and_then(setting_of))
    }

    pub async fn rate_tiers(&self) -> Result<Vec<rate_tier::Model>> {
        Ok(rate_tier::Entity::find()
            .order_by_asc(rate_tier::Column::Name)
            .all(self.db())
            .await?)
    }

    pub async fn rate_limits(&self) -> Result<Vec<rate_limit::Model>> {
        Ok(rate_limit::Entity::find()
            .order_by_asc(rate_limit::Column::Subject)
            .all(self.db())
            .await?)
    }

    /// Creates or updates a tier. `default`: `Some(true)` makes it the default tier (the one
    /// before loses it), `Some(false)` stops it being the default, `None` leaves that as is.
    pub async fn set_rate_tier(
        &self,
        actor: &Actor,
        name: &str,
        rate: Rate,
        default: Option<bool>,
        now: i64,
    ) -> Result<rate_tier::Model> {
        check_tier_name(name).map_err(StoreError::Invalid)?;
        let txn = self.write().await?;
        let before = rate_tier::Entity::find_by_id(name.to_owned())
            .one(&txn)
            .await?;
        let is_default = default.unwrap_or(before.as_ref().is_some_and(|b| b.is_default));
        if is_default {
            rate_tier::Entity::update_many()
                .col_expr(
                    rate_tier::Column::IsDefault,
                    sea_orm::sea_query::Expr::value(false),
                )
                .filter(rate_tier::Column::Name.ne(name))
                .exec(&txn)
                .await?;
        }
        let am = rate_tier::ActiveModel {
            name: Set(name.to_owned()),
            per_second: Set(i64::from(rate.per_second)),
            burst: Set(i64::from(rate.burst)),
            is_default: Set(is_default),
            updated_at: Set(now),
        };
        let model = if before.is_some() {
            am.update(&txn).await?
        } else {
            am.insert(&txn).await?
        };
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::RateTierSet,
            &format!("rate_tier:{name}"),
            json!({
                "before": before.as_ref().map(|b| json!({
                    "per_second": b.per_second, "burst": b.burst, "default": b.is_default
                })),
                "after": { "per_second": rate.per_second, "burst": rate.burst, "default": is_default },
            }),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Deletes a tier that no partner or client uses (409 otherwise: move them first).
    pub async fn delete_rate_tier(&self, actor: &Actor, name: &str, now: i64) -> Result<()> {
        let txn = self.write().await?;
        let before = rate_tier::Entity::find_by_id(name.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("tier {name}")))?;
        let users = rate_limit::Entity::find()
            .filter(rate_limit::Column::Tier.eq(name))
            .count(&txn)
            .await?;
        if users > 0 {
            return Err(StoreError::Stale(format!(
                "tier {name} is in use by {users} partner or client setting(s); move them to another tier first"
            )));
        }
        rate_tier::Entity::delete_by_id(name.to_owned())
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::RateTierDelete,
            &format!("rate_tier:{name}"),
            json!({ "before": { "per_second": before.per_second, "burst": before.burst, "default": before.is_default } }),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Sets (or with `None` clears) the limit of a partner or client.
    pub async fn set_rate_limit(
        &self,
        actor: &Actor,
        subject: &Subject,
        setting: Option<&Setting>,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let (key, partner_id, client_id, target, partner_slug) = resolve(&txn, subject).await?;
        if let Some(slug) = partner_slug.as_deref().filter(|s| !s.is_empty()) {
            let p = crate::catalog::partner_by_slug_in(&txn, slug).await?;
            crate::reserved::check_partner(actor, &p)?;
        }
        if let Some(Setting::Tier(t)) = setting
            && rate_tier::Entity::find_by_id(t.clone())
                .one(&txn)
                .await?
                .is_none()
        {
            return Err(StoreError::NotFound(format!("tier {t}")));
        }
        let before = rate_limit::Entity::find_by_id(key.clone())
            .one(&txn)
            .await?;
        let before_setting = before.as_ref().and_then(setting_of);
        match setting {
            None => {
                rate_limit::Entity::delete_by_id(key.clone())
                    .exec(&txn)
                    .await?;
            }
            Some(s) => {
                let (tier, per_second, burst) = match s {
                    Setting::Tier(t) => (Some(t.clone()), None, None),
                    Setting::Custom(r) => (
                        None,
                        Some(i64::from(r.per_second)),
                        Some(i64::from(r.burst)),
                    ),
                };
                let am = rate_limit::ActiveModel {
                    subject: Set(key.clone()),
                    partner_id: Set(partner_id),
                    client_id: Set(client_id),
                    tier: Set(tier),
                    per_second: Set(per_second),
                    burst: Set(burst),
                    updated_at: Set(now),
                };
                if before.is_some() {
                    am.update(&txn).await?;
                } else {
                    am.insert(&txn).await?;
                }
            }
        }
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::RateLimitSet,
            &target,
            json!({
                "partner": partner_slug,
                "before": setting_json(before_setting.as_ref()),
                "after": setting_json(setting),
            }),
            now,
        )
        .await?;
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The row key, partner id, client id, audit target and partner slug of a subject.
async fn resolve(
    db: &impl ConnectionTrait,
    subject: &Subject,
) -> Result<(
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
)> {
    match subject {
        Subject::Partner { slug } => {
            let p = crate::catalog::partner_by_slug_in(db, slug).await?;
            Ok((
                format!("partner:{}", p.id),
                Some(p.id),
                None,
                format!("partner:{slug}"),
                Some(slug.clone()),
            ))
        }
        Subject::Client {
            partner_slug,
            client_id,
        } => {
            let c = client::Entity::find_by_id(client_id.clone())
                .one(db)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("client {client_id}")))?;
            let slug = match partner_slug {
                Some(slug) => {
                    let p = crate::catalog::partner_by_slug_in(db, slug).await?;
                    if c.partner_id.as_deref() != Some(p.id.as_str()) {
                        // Same answer as an unknown client: ids of other partners stay private.
                        return Err(StoreError::NotFound(format!("client {client_id}")));
                    }
                    Some(slug.clone())
                }
                None => match c.partner_id.as_deref() {
                    Some(pid) => Some(
                        crate::entities::partner::Entity::find_by_id(pid.to_owned())
                            .one(db)
                            .await?
                            .map(|p| p.slug)
                            .unwrap_or_default(),
                    ),
                    None => None,
                },
            };
            Ok((
                format!("client:{client_id}"),
                c.partner_id.clone(),
                Some(client_id.clone()),
                format!("client:{client_id}"),
                slug,
            ))
        }
    }
}
