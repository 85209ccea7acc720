//! Signing keys at rest: the private part sealed under the master key, the state machine in
//! `entente_domain::keyring`. State moves are conditional updates so two replicas applying the
//! same plan cannot both win.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::changes::{publish, topic};
use entente_domain::keyring::KeyState;

use crate::entities::signing_key;
use crate::enums::KeyStateColumn;
use crate::{Actor, Result, Store, audit};

impl Store {
    pub async fn signing_keys(&self) -> Result<Vec<signing_key::Model>> {
        Ok(signing_key::Entity::find()
            .order_by_desc(signing_key::Column::CreatedAt)
            .all(self.db())
            .await?)
    }

    pub async fn insert_signing_key(
        &self,
        actor: &Actor,
        key: signing_key::Model,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let kid = key.kid.clone();
        let details = json!({"algorithm": key.algorithm, "state": key.state});
        signing_key::ActiveModel::from(key).insert(&txn).await?;
        audit::record(
            &txn,
            actor,
            "key.create",
            &format!("key:{kid}"),
            details,
            now,
        )
        .await?;
        publish(&txn, topic::KEYS, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Moves a key from `from` to `to`; returns false when another writer moved it first.
    pub async fn move_signing_key(
        &self,
        actor: &Actor,
        kid: &str,
        from: KeyState,
        to: KeyState,
        now: i64,
    ) -> Result<bool> {
        let (from, to) = (KeyStateColumn::from(from), KeyStateColumn::from(to));
        let txn = self.write().await?;
        let res = signing_key::Entity::update_many()
            .col_expr(
                signing_key::Column::State,
                sea_orm::sea_query::Expr::value(to.as_str()),
            )
            .col_expr(
                signing_key::Column::StateSince,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(signing_key::Column::Kid.eq(kid))
            .filter(signing_key::Column::State.eq(from))
            .exec(&txn)
            .await?;
        if res.rows_affected == 1 {
            audit::record(
                &txn,
                actor,
                "key.state",
                &format!("key:{kid}"),
                json!({"before": from, "after": to}),
                now,
            )
            .await?;
            publish(&txn, topic::KEYS, now).await?;
        }
        txn.commit().await?;
        Ok(res.rows_affected == 1)
    }
}
