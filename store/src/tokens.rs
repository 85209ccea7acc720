//! Revoked token ids and the assertion replay cache.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, SqlErr};
use serde_json::json;

use crate::changes::{publish, topic};
use crate::entities::{assertion_jti, refresh_token, revocation_mark, revoked_token};
use crate::{Actor, Result, Store, audit};

impl Store {
    /// Records a revoked token id until its expiry. Idempotent: an id already revoked is
    /// answered from a plain read, without opening a write transaction (on SQLite,
    /// `BEGIN IMMEDIATE` holds the one writer lock).
    #[tracing::instrument(level = "debug", name = "db.revoke_token", skip_all)]
    pub async fn revoke_token(&self, actor: &Actor, jti: &str, exp: i64, now: i64) -> Result<()> {
        if revoked_token::Entity::find_by_id(jti.to_owned())
            .one(self.db())
            .await?
            .is_some()
        {
            return Ok(());
        }
        // Checked again inside: another request may have revoked it meanwhile.
        let txn = self.write().await?;
        if revoked_token::Entity::find_by_id(jti.to_owned())
            .one(&txn)
            .await?
            .is_none()
        {
            revoked_token::ActiveModel {
                jti: Set(jti.to_owned()),
                exp: Set(exp),
                revoked_at: Set(now),
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                actor,
                entente_domain::audit::AuditAction::TokenRevoke,
                &format!("token:{jti}"),
                json!({"exp": exp}),
                now,
            )
            .await?;
            publish(&txn, topic::REVOCATIONS, now).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Revoked ids whose tokens have not expired yet.
    pub async fn live_revocations(&self, now: i64) -> Result<Vec<revoked_token::Model>> {
        Ok(revoked_token::Entity::find()
            .filter(revoked_token::Column::Exp.gt(now))
            .all(self.db())
            .await?)
    }

    /// Remembers an assertion's `jti` until its expiry; false if it was seen before (replay).
    /// One INSERT against a primary key: correct across replicas that share the database.
    pub async fn remember_assertion(&self, client_id: &str, jti: &str, exp: i64) -> Result<bool> {
        let res = assertion_jti::ActiveModel {
            client_id: Set(client_id.to_owned()),
            jti: Set(jti.to_owned()),
            exp: Set(exp),
        }
        .insert(self.db())
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Drops expired replay-cache, revocation and refresh-token rows.
    pub async fn purge_expired(&self, now: i64) -> Result<u64> {
        let a = assertion_jti::Entity::delete_many()
            .filter(assertion_jti::Column::Exp.lt(now))
            .exec(self.db())
            .await?;
        let r = revoked_token::Entity::delete_many()
            .filter(revoked_token::Column::Exp.lt(now))
            .exec(self.db())
            .await?;
        let m = revocation_mark::Entity::delete_many()
            .filter(revocation_mark::Column::Exp.lt(now))
            .exec(self.db())
            .await?;
        let f = refresh_token::Entity::delete_many()
            .filter(refresh_token::Column::AbsoluteExp.lt(now))
            .exec(self.db())
            .await?;
        Ok(a.rows_affected + r.rows_affected + m.rows_affected + f.rows_affected)
    }
}
