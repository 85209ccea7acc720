//! Partner records and the onboarding facts behind the checklist (`entente_domain::onboarding`).

use entente_domain::onboarding::{self, ChecklistItem, Facts, IssuerCheck, PartnerRecord};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::catalog::partner_by_slug_in;
use crate::entities::{partner, partner_record, trusted_issuer};
use crate::{Actor, Result, Store, StoreError, audit};

/// A partner's record with what the server established about it.
#[derive(Debug, Clone)]
pub struct Onboarding {
    pub partner: partner::Model,
    pub record: PartnerRecord,
    pub questionnaire_accepted_by: Option<String>,
    pub facts: Facts,
    pub checklist: Vec<ChecklistItem>,
}

fn record_of(row: Option<&partner_record::Model>) -> PartnerRecord {
    row.and_then(|r| serde_json::from_str(&r.record).ok())
        .unwrap_or_default()
}

/// Gathers the checklist's facts inside `db` (a transaction when gating a promotion).
pub(crate) async fn onboarding_in(
    db: &impl ConnectionTrait,
    p: partner::Model,
    now: i64,
) -> Result<Onboarding> {
    let row = partner_record::Entity::find_by_id(p.id.clone())
        .one(db)
        .await?;
    let issuers = trusted_issuer::Entity::find()
        .filter(trusted_issuer::Column::PartnerId.eq(&p.id))
        .filter(trusted_issuer::Column::Enabled.eq(true))
        .all(db)
        .await?;
    let last_issuer_change = issuers.iter().map(|i| i.updated_at).max();
    let issuer_check = match (
        last_issuer_change,
        row.as_ref().and_then(|r| r.issuer_check_at),
    ) {
        (None, _) => IssuerCheck::NoIssuer,
        (Some(_), None) => IssuerCheck::NotChecked,
        (Some(changed), Some(at)) if at < changed => IssuerCheck::Outdated,
        (Some(_), Some(at)) => match row.as_ref() {
            Some(r) if r.issuer_check_ok => IssuerCheck::Passed { at },
            Some(r) => IssuerCheck::Failed(r.issuer_check_detail.clone().unwrap_or_default()),
            None => IssuerCheck::NotChecked,
        },
    };
    let facts = Facts {
        record: record_of(row.as_ref()),
        questionnaire_accepted_at: row.as_ref().and_then(|r| r.questionnaire_accepted_at),
        issuer_check,
        first_exchange_at: p.first_exchange_at,
    };
    Ok(Onboarding {
        checklist: onboarding::checklist(&facts, now),
        record: facts.record.clone(),
        questionnaire_accepted_by: row.and_then(|r| r.questionnaire_accepted_by),
        facts,
        partner: p,
    })
}

/// Creates the partner's record row if it has none (every later write is then an update).
async fn ensure_row(db: &impl ConnectionTrait, partner_id: &str, now: i64) -> Result<()> {
    partner_record::Entity::insert(partner_record::ActiveModel {
        partner_id: Set(partner_id.to_owned()),
        record: Set("{}".into()),
        questionnaire_accepted_at: Set(None),
        questionnaire_accepted_by: Set(None),
        issuer_check_at: Set(None),
        issuer_check_ok: Set(false),
        issuer_check_detail: Set(None),
        updated_at: Set(now),
    })
    .on_conflict_do_nothing()
    .exec(db)
    .await?;
    Ok(())
}

impl Store {
    pub async fn onboarding(&self, slug: &str, now: i64) -> Result<Onboarding> {
        let p = self.partner_by_slug(slug).await?;
        onboarding_in(self.db(), p, now).await
    }

    /// Replaces the partner's record (legal name, agreement, contacts, escalation path).
    pub async fn set_partner_record(
        &self,
        actor: &Actor,
        slug: &str,
        record: PartnerRecord,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        set_partner_record_in(&txn, actor, slug, record, now).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn accept_questionnaire(&self, actor: &Actor, slug: &str, now: i64) -> Result<()> {
        let txn = self.write().await?;
        let p = partner_by_slug_in(&txn, slug).await?;
        crate::reserved::check_partner(actor, &p)?;
        ensure_row(&txn, &p.id, now).await?;
        partner_record::Entity::update_many()
            .col_expr(
                partner_record::Column::QuestionnaireAcceptedAt,
                Expr::value(now),
            )
            .col_expr(
                partner_record::Column::QuestionnaireAcceptedBy,
                Expr::value(actor.name.clone()),
            )
            .filter(partner_record::Column::PartnerId.eq(&p.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerQuestionnaireAccept,
            &format!("partner:{slug}"),
            json!({}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Records what the server found fetching the partner's issuer keys (`detail`: per issuer).
    pub async fn record_issuer_check(
        &self,
        actor: &Actor,
        slug: &str,
        ok: bool,
        detail: &str,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let p = partner_by_slug_in(&txn, slug).await?;
        crate::reserved::check_partner(actor, &p)?;
        ensure_row(&txn, &p.id, now).await?;
        partner_record::Entity::update_many()
            .col_expr(partner_record::Column::IssuerCheckAt, Expr::value(now))
            .col_expr(partner_record::Column::IssuerCheckOk, Expr::value(ok))
            .col_expr(
                partner_record::Column::IssuerCheckDetail,
                Expr::value(detail.to_owned()),
            )
            .filter(partner_record::Column::PartnerId.eq(&p.id))
            .exec(&txn)
            .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerIssuerCheck,
            &format!("partner:{slug}"),
            json!({"ok": ok, "detail": detail}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Notes the partner's first successful token exchange; later calls change nothing. Called
    /// off the token path, once per partner and process.
    pub async fn mark_first_exchange(&self, partner_id: &str, now: i64) -> Result<bool> {
        let res = partner::Entity::update_many()
            .col_expr(partner::Column::FirstExchangeAt, Expr::value(now))
            .filter(partner::Column::Id.eq(partner_id))
            .filter(partner::Column::FirstExchangeAt.is_null())
            .exec(self.db())
            .await?;
        Ok(res.rows_affected == 1)
    }
}

/// `Store::set_partner_record` inside a caller's transaction.
pub(crate) async fn set_partner_record_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    slug: &str,
    record: PartnerRecord,
    now: i64,
) -> Result<()> {
    record.check().map_err(StoreError::Invalid)?;
    let p = partner_by_slug_in(txn, slug).await?;
    crate::reserved::check_partner(actor, &p)?;
    ensure_row(txn, &p.id, now).await?;
    let before = partner_record::Entity::find_by_id(p.id.clone())
        .one(txn)
        .await?;
    let after = serde_json::to_string(&record)
        .map_err(|e| StoreError::Invalid(format!("the record cannot be stored: {e}")))?;
    partner_record::Entity::update_many()
        .col_expr(partner_record::Column::Record, Expr::value(after))
        .col_expr(partner_record::Column::UpdatedAt, Expr::value(now))
        .filter(partner_record::Column::PartnerId.eq(&p.id))
        .exec(txn)
        .await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::PartnerRecord,
        &format!("partner:{slug}"),
        json!({"before": record_of(before.as_ref()), "after": record}),
        now,
    )
    .await?;
    Ok(())
}
