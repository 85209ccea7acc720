//! Partners and their lifecycle: creation, stage changes, suspension and reactivation.

use entente_domain::lifecycle::{self, Stage};
use entente_domain::names;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use super::{NewPartner, PartnerStage, invalid};
use crate::changes::{publish, topic};
use crate::entities::{partner, refresh_token};
use crate::refresh::{MARK_RETENTION, put_mark};
use crate::{Actor, Result, Store, StoreError, audit, new_id};

/// Moves a partner from `from` to `to` only if it is still in `from` (a concurrent change makes
/// this a conflict instead of silently undoing it, e.g. a stage change over a suspension).
#[allow(clippy::too_many_arguments)]
async fn move_stage(
    txn: &sea_orm::DatabaseTransaction,
    id: &str,
    from: PartnerStage,
    to: PartnerStage,
    resume: Option<PartnerStage>,
    reason: Option<String>,
    enabled: bool,
    now: i64,
) -> Result<partner::Model> {
    let res = partner::Entity::update_many()
        .col_expr(partner::Column::Stage, Expr::value(to.as_str()))
        .col_expr(
            partner::Column::ResumeStage,
            Expr::value(resume.map(|r| r.as_str())),
        )
        .col_expr(partner::Column::SuspendedReason, Expr::value(reason))
        // Replicas of an older version gate on `enabled` only: keep it in step.
        .col_expr(partner::Column::Enabled, Expr::value(enabled))
        .col_expr(partner::Column::UpdatedAt, Expr::value(now))
        .filter(partner::Column::Id.eq(id))
        .filter(partner::Column::Stage.eq(from))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Stale(
            "the partner's stage changed meanwhile; look again and retry".into(),
        ));
    }
    partner::Entity::find_by_id(id.to_owned())
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("partner".into()))
}

/// The lineage revocation key of a partner (`entente_domain::federation::subject::partner_key`).
fn partner_mark(slug: &str) -> String {
    entente_domain::federation::subject::partner_key(slug)
}

impl Store {
    pub async fn create_partner(
        &self,
        actor: &Actor,
        p: NewPartner,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = create_partner_in(&txn, actor, p, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// A host-only partner (`reserved`): the one that holds the admin API's clients. Only the
    /// host makes one.
    pub async fn create_host_partner(
        &self,
        actor: &Actor,
        p: NewPartner,
        now: i64,
    ) -> Result<partner::Model> {
        if !actor.is_host() {
            return Err(StoreError::Forbidden(
                "only the host makes the partner that holds the admin API's clients".into(),
            ));
        }
        let txn = self.write().await?;
        let model = create_partner_of_kind(&txn, actor, p, true, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// An ordinary stage change (`lifecycle::check_transition`), audited with before and after.
    pub async fn set_partner_stage(
        &self,
        actor: &Actor,
        slug: &str,
        to: Stage,
        now: i64,
    ) -> Result<partner::Model> {
        self.move_partner_stage(actor, slug, to, "", now).await
    }

    /// A stage change with the reason its actor gave (kept in the audit event when not empty).
    pub async fn move_partner_stage(
        &self,
        actor: &Actor,
        slug: &str,
        to: Stage,
        reason: &str,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = set_partner_stage_in(&txn, actor, slug, to, reason, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The kill switch: in one transaction the partner stops getting tokens (its clients no
    /// longer authenticate), every outstanding token derived from it is revoked through its
    /// lineage key, its refresh families end, and the reason is recorded, with a notice to its
    /// contacts (delivery arrives with webhooks).
    pub async fn suspend_partner(
        &self,
        actor: &Actor,
        slug: &str,
        reason: &str,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = suspend_partner_in(&txn, actor, slug, reason, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// Back to the stage the partner was suspended from. Tokens revoked by the suspension stay
    /// revoked; new ones can be obtained again.
    pub async fn reactivate_partner(
        &self,
        actor: &Actor,
        slug: &str,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let model = reactivate_partner_in(&txn, actor, slug, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// One page of partners by slug, filtered by part of a slug or name; and how many match.
    pub async fn partners_page(
        &self,
        search: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<partner::Model>, u64)> {
        use sea_orm::sea_query::ExprTrait;
        use sea_orm::{PaginatorTrait, QuerySelect};
        let mut q = partner::Entity::find().order_by_asc(partner::Column::Slug);
        if let Some(t) = search.map(str::trim).filter(|t| !t.is_empty()) {
            let t = t.to_lowercase();
            q = q.filter(
                partner::Column::Slug
                    .contains(&t)
                    .or(
                        sea_orm::sea_query::Expr::expr(sea_orm::sea_query::Func::lower(
                            sea_orm::sea_query::Expr::col(partner::Column::Name),
                        ))
                        .like(format!("%{t}%")),
                    ),
            );
        }
        let total = q.clone().count(self.db()).await?;
        let rows = q
            .offset(crate::bounded(offset))
            .limit(crate::bounded(limit))
            .all(self.db())
            .await?;
        Ok((rows, total))
    }

    /// The first partners (by slug) in a stage.
    pub async fn partners_in_stage(
        &self,
        stage: PartnerStage,
        limit: u64,
    ) -> Result<Vec<partner::Model>> {
        use sea_orm::QuerySelect;
        Ok(partner::Entity::find()
            .filter(partner::Column::Stage.eq(stage))
            .order_by_asc(partner::Column::Slug)
            .limit(limit)
            .all(self.db())
            .await?)
    }

    pub async fn list_partners(&self) -> Result<Vec<partner::Model>> {
        Ok(partner::Entity::find()
            .order_by_asc(partner::Column::Slug)
            .all(self.db())
            .await?)
    }

    pub async fn partner_by_id(&self, id: &str) -> Result<partner::Model> {
        partner::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("partner {id}")))
    }

    pub async fn partner_by_slug(&self, slug: &str) -> Result<partner::Model> {
        partner_by_slug_in(self.db(), slug).await
    }

    /// How many partners are in each stage (stages with none are absent).
    pub async fn partners_by_stage(&self) -> Result<Vec<(String, i64)>> {
        use sea_orm::QuerySelect;
        Ok(partner::Entity::find()
            .select_only()
            .column(partner::Column::Stage)
            .column_as(partner::Column::Id.count(), "n")
            .group_by(partner::Column::Stage)
            .into_tuple::<(String, i64)>()
            .all(self.db())
            .await?)
    }
}

pub(crate) async fn set_partner_stage_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    to: Stage,
    reason: &str,
    now: i64,
) -> Result<partner::Model> {
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    lifecycle::check_transition(before.stage.into(), to).map_err(invalid)?;
    let from = before.stage;
    let enabled = !matches!(to, Stage::Offboarded);
    let model = move_stage(txn, &before.id, from, to.into(), None, None, enabled, now).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerStage,
        &format!("partner:{slug}"),
        if reason.trim().is_empty() {
            json!({"before": from, "after": model.stage})
        } else {
            json!({"before": from, "after": model.stage, "reason": reason.trim()})
        },
        now,
    )
    .await?;
    if to == Stage::Offboarded {
        // An offboarded partner's outstanding tokens die with it.
        put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    }
    publish(txn, topic::CATALOG, now).await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    Ok(model)
}

pub(crate) async fn reactivate_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    now: i64,
) -> Result<partner::Model> {
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    if before.stage != PartnerStage::Suspended {
        return Err(invalid("the partner is not suspended".into()));
    }
    let to = before.resume_stage.unwrap_or(PartnerStage::Sandbox);
    let cleared = before.suspended_reason.clone();
    let model = move_stage(
        txn,
        &before.id,
        PartnerStage::Suspended,
        to,
        None,
        None,
        true,
        now,
    )
    .await?;
    // Tokens signed by a replica that had not yet heard of the suspension carry a later
    // `iat` than its mark: marking again now keeps every token from before reactivation dead.
    put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerReactivate,
        &format!("partner:{slug}"),
        json!({"before": PartnerStage::Suspended, "after": to, "suspended_reason": cleared}),
        now,
    )
    .await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

pub(crate) async fn partner_by_slug_in(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<partner::Model> {
    partner::Entity::find()
        .filter(partner::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("partner {slug}")))
}

/// `Store::create_partner` inside a caller's transaction.
pub(crate) async fn create_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: NewPartner,
    now: i64,
) -> Result<partner::Model> {
    create_partner_of_kind(txn, actor, p, false, now).await
}

async fn create_partner_of_kind(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: NewPartner,
    host_only: bool,
    now: i64,
) -> Result<partner::Model> {
    names::check_slug(&p.slug).map_err(invalid)?;
    names::check_display_name(&p.name).map_err(invalid)?;
    if matches!(p.stage, Stage::Suspended | Stage::Offboarded) {
        return Err(invalid(format!(
            "a partner cannot start {}",
            p.stage.as_str()
        )));
    }
    let model = partner::ActiveModel {
        id: Set(new_id()),
        slug: Set(p.slug.clone()),
        name: Set(p.name.trim().to_owned()),
        stage: Set(p.stage.into()),
        // Kept for replicas of an older version, which read it.
        environment: Set(if p.stage == Stage::Production {
            "production".into()
        } else {
            "sandbox".into()
        }),
        enabled: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        resume_stage: Set(None),
        suspended_reason: Set(None),
        first_exchange_at: Set(None),
        host_only: Set(host_only),
        testers_get_clients: Set(false),
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("partner {}", p.slug)))?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerCreate,
        &format!("partner:{}", model.slug),
        json!({"name": model.name, "stage": model.stage, "host_only": host_only}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(model)
}

/// `Store::suspend_partner` inside a caller's transaction.
pub(crate) async fn suspend_partner_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    reason: &str,
    now: i64,
) -> Result<partner::Model> {
    let reason = reason.trim();
    if reason.is_empty() || reason.len() > 1000 {
        return Err(invalid("give a reason of at most 1000 characters".into()));
    }
    let before = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &before)?;
    lifecycle::check_suspend(before.stage.into()).map_err(invalid)?;
    let from = before.stage;
    let id = before.id.clone();
    let model = move_stage(
        txn,
        &id,
        from,
        PartnerStage::Suspended,
        Some(from),
        Some(reason.to_owned()),
        false,
        now,
    )
    .await?;
    put_mark(txn, &partner_mark(slug), now + MARK_RETENTION, now).await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::Revoked, Expr::value(true))
        .filter(refresh_token::Column::PartnerId.eq(id))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerSuspend,
        &format!("partner:{slug}"),
        json!({"before": from, "after": PartnerStage::Suspended, "reason": reason}),
        now,
    )
    .await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerNotice,
        &format!("partner:{slug}"),
        json!({"notice": "suspended", "reason": reason, "to": "the partner's contacts", "delivery": "pending webhooks"}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    Ok(model)
}
