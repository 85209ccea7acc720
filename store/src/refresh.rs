//! Refresh token families (rotation with reuse detection) and revocation marks: lineage keys
//! whose revocation reaches every token derived from them.

use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use crate::changes::{publish, topic};
use crate::entities::{refresh_token, revocation_mark};
use crate::{Actor, Result, Store, audit};

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshUse {
    /// It was current: it is now used and its successor is stored.
    Rotated,
    /// It had been used before: the whole family is now revoked (RFC 9700 §4.14.2).
    Reused { family_id: String },
    /// Unknown, revoked, or lost a race to a concurrent use of the same token.
    Invalid,
}

/// Revocation keys are kept this long when the longest-lived token they reach is unknown.
pub const MARK_RETENTION: i64 = 86_400;

impl Store {
    /// Starts a family or stores a successor (caller supplies the hash, never the token).
    #[tracing::instrument(level = "debug", name = "db.insert_refresh", skip_all)]
    pub async fn insert_refresh(&self, row: refresh_token::Model) -> Result<()> {
        refresh_token::ActiveModel::from(row)
            .insert(self.db())
            .await?;
        Ok(())
    }

    #[tracing::instrument(level = "debug", name = "db.refresh_by_hash", skip_all)]
    pub async fn refresh_by_hash(&self, hash: &str) -> Result<Option<refresh_token::Model>> {
        Ok(refresh_token::Entity::find_by_id(hash.to_owned())
            .one(self.db())
            .await?)
    }

    /// Marks `old` used and stores `successor`, atomically; exactly one concurrent caller wins
    /// (the conditional UPDATE). A token already used means reuse: the family is revoked.
    #[tracing::instrument(level = "debug", name = "db.rotate_refresh", skip_all)]
    pub async fn rotate_refresh(
        &self,
        old_hash: &str,
        successor: refresh_token::Model,
        now: i64,
    ) -> Result<RefreshUse> {
        let txn = self.write().await?;
        // FOR UPDATE (PostgreSQL; SQLite's IMMEDIATE transaction already serialises): concurrent
        // presentations of one token queue here, so exactly one rotates and the rest see it used.
        let Some(old) = refresh_token::Entity::find_by_id(old_hash.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await?
        else {
            return Ok(RefreshUse::Invalid);
        };
        if old.revoked {
            return Ok(RefreshUse::Invalid);
        }
        if old.used_at.is_some() {
            revoke_family_in(
                &txn,
                &Actor::new(format!("client:{}", old.client_id)),
                &old.family_id,
                old.absolute_exp,
                entente_domain::audit::AuditAction::RefreshReuseDetected,
                now,
            )
            .await?;
            txn.commit().await?;
            return Ok(RefreshUse::Reused {
                family_id: old.family_id,
            });
        }
        let res = refresh_token::Entity::update_many()
            .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
            .filter(refresh_token::Column::TokenHash.eq(old_hash))
            .filter(refresh_token::Column::UsedAt.is_null())
            .filter(refresh_token::Column::Revoked.eq(false))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Ok(RefreshUse::Invalid);
        }
        refresh_token::ActiveModel::from(successor)
            .insert(&txn)
            .await?;
        txn.commit().await?;
        Ok(RefreshUse::Rotated)
    }

    /// Revokes a refresh family and every access token issued from it.
    pub async fn revoke_family(
        &self,
        actor: &Actor,
        family_id: &str,
        exp: i64,
        action: entente_domain::audit::AuditAction,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        revoke_family_in(&txn, actor, family_id, exp, action, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Revokes a lineage key (`t:<jti>`, `c:<client>`, `p:<partner>`, `s:<subject>`): every
    /// token carrying it and issued up to now becomes inactive, and refresh families that
    /// derive from it die.
    pub async fn revoke_mark(&self, actor: &Actor, target: &str, exp: i64, now: i64) -> Result<()> {
        self.revoke_lineage(actor, target, &[], None, exp, now)
            .await
    }

    /// Revokes `target` and every token derived from it — with the other keys the same tokens
    /// may carry (`also`: a pairwise subject's per-audience copies) and, for a partner, every
    /// refresh family of `partner_id` — in one transaction with one audit event.
    pub async fn revoke_lineage(
        &self,
        actor: &Actor,
        target: &str,
        also: &[String],
        partner_id: Option<&str>,
        exp: i64,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        for key in std::iter::once(target).chain(also.iter().map(String::as_str)) {
            put_mark(&txn, key, exp, now).await?;
            let families = refresh_token::Entity::update_many()
                .col_expr(refresh_token::Column::Revoked, Expr::value(true));
            let families = match key.split_once(':') {
                Some(("c", id)) => Some(families.filter(refresh_token::Column::ClientId.eq(id))),
                Some(("s", _)) => Some(families.filter(refresh_token::Column::SubjectKey.eq(key))),
                Some(("t", _)) => Some(
                    families.filter(refresh_token::Column::Lineage.contains(format!("\"{key}\""))),
                ),
                _ => None,
            };
            if let Some(f) = families {
                f.exec(&txn).await?;
            }
        }
        if let Some(p) = partner_id {
            refresh_token::Entity::update_many()
                .col_expr(refresh_token::Column::Revoked, Expr::value(true))
                .filter(refresh_token::Column::PartnerId.eq(p))
                .exec(&txn)
                .await?;
        }
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::LineageRevoke,
            target,
            json!({"exp": exp, "pairwise_keys": also.len()}),
            now,
        )
        .await?;
        publish(&txn, topic::REVOCATIONS, now).await?;
        txn.commit().await?;
        Ok(())
    }

    pub async fn live_marks(&self, now: i64) -> Result<Vec<revocation_mark::Model>> {
        Ok(revocation_mark::Entity::find()
            .filter(revocation_mark::Column::Exp.gt(now))
            .all(self.db())
            .await?)
    }
}

async fn revoke_family_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    family_id: &str,
    exp: i64,
    action: entente_domain::audit::AuditAction,
    now: i64,
) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::Revoked, Expr::value(true))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .exec(txn)
        .await?;
    put_mark(txn, &format!("f:{family_id}"), exp, now).await?;
    audit::record(
        txn,
        actor,
        action,
        &format!("refresh_family:{family_id}"),
        json!({"security": action == entente_domain::audit::AuditAction::RefreshReuseDetected}),
        now,
    )
    .await?;
    publish(txn, topic::REVOCATIONS, now).await?;
    Ok(())
}

/// Upsert: concurrent revocations of the same key (e.g. many reuses of one refresh token)
/// must not collide on the primary key.
pub(crate) async fn put_mark(
    db: &impl sea_orm::ConnectionTrait,
    target: &str,
    exp: i64,
    now: i64,
) -> Result<()> {
    use sea_orm::sea_query::OnConflict;
    revocation_mark::Entity::insert(revocation_mark::ActiveModel {
        target: Set(target.to_owned()),
        exp: Set(exp),
        revoked_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(revocation_mark::Column::Target)
            .update_columns([
                revocation_mark::Column::Exp,
                revocation_mark::Column::RevokedAt,
            ])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}
