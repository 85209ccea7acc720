//! Signing keys at rest: the private part sealed under the master key, the state machine in
//! `entente_domain::keyring`. State moves are conditional updates so two replicas applying the
//! same plan cannot both win.

use entente_domain::keyring::RotationPolicy;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;

use crate::changes::{publish, topic};
use entente_domain::keyring::KeyState;

use crate::entities::{audience, audit_event, key_policy, lease, signing_key, trust_rule};
use crate::enums::KeyStateColumn;
use crate::{Actor, Result, Store, StoreError, audit};

impl Store {
    pub async fn signing_keys(&self) -> Result<Vec<signing_key::Model>> {
        // Production's first ("production" < "sandbox"), newest first within each.
        Ok(signing_key::Entity::find()
            .order_by_asc(signing_key::Column::Environment)
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
        let details =
            json!({"algorithm": key.algorithm, "state": key.state, "environment": key.environment});
        signing_key::ActiveModel::from(key).insert(&txn).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::KeyCreate,
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
                entente_domain::audit::AuditAction::KeyState,
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

    /// The rotation policy an administrator set, if any (else the server's defaults apply).
    pub async fn key_policy(&self) -> Result<Option<key_policy::Model>> {
        Ok(key_policy::Entity::find_by_id(1).one(self.db()).await?)
    }

    /// Replaces the rotation policy (checked by the caller against the longest token
    /// lifetime); every replica reloads it with the keys.
    pub async fn set_key_policy(
        &self,
        actor: &Actor,
        policy: &RotationPolicy,
        now: i64,
    ) -> Result<()> {
        let txn = self.write().await?;
        let before = key_policy::Entity::find_by_id(1).one(&txn).await?;
        let am = key_policy::ActiveModel {
            id: Set(1),
            rotation_interval: Set(policy.rotation_interval),
            publish_lead: Set(policy.publish_lead),
            retirement_grace: Set(policy.max_token_lifetime),
            updated_at: Set(now),
        };
        if before.is_some() {
            am.update(&txn).await?;
        } else {
            am.insert(&txn).await?;
        }
        let shape = |i: i64, l: i64, g: i64| json!({"rotation_interval": i, "publish_lead": l, "retirement_grace": g});
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::KeyPolicy,
            "key:policy",
            json!({
                "before": before.map(|b| shape(b.rotation_interval, b.publish_lead, b.retirement_grace)),
                "after": shape(policy.rotation_interval, policy.publish_lead, policy.max_token_lifetime),
            }),
            now,
        )
        .await?;
        publish(&txn, topic::KEYS, now).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The longest lifetime of any access token Entente may sign today (audiences' lifetimes
    /// and trust rules' overrides): the floor of the retirement grace.
    pub async fn longest_token_lifetime(&self) -> Result<i64> {
        let audiences = audience::Entity::find()
            .all(self.db())
            .await?
            .into_iter()
            .map(|a| a.token_lifetime);
        let rules = trust_rule::Entity::find()
            .all(self.db())
            .await?
            .into_iter()
            .filter_map(|r| r.lifetime);
        Ok(audiences.chain(rules).max().unwrap_or(0))
    }

    /// Emergency revocation: the key leaves the JWKS at once and what it signed stops
    /// verifying (conditional on its state, so a concurrent rotation is not undone).
    /// Returns the state the key was in, and its environment.
    pub async fn revoke_signing_key(
        &self,
        actor: &Actor,
        kid: &str,
        now: i64,
    ) -> Result<(KeyStateColumn, crate::enums::EnvironmentColumn)> {
        let txn = self.write().await?;
        let key = signing_key::Entity::find_by_id(kid.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("signing key {kid}")))?;
        entente_domain::keyring::check_revoke(key.state.into()).map_err(StoreError::Invalid)?;
        let res = signing_key::Entity::update_many()
            .col_expr(
                signing_key::Column::State,
                sea_orm::sea_query::Expr::value(KeyStateColumn::Revoked.as_str()),
            )
            .col_expr(
                signing_key::Column::StateSince,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(signing_key::Column::Kid.eq(kid))
            .filter(signing_key::Column::State.eq(key.state))
            .exec(&txn)
            .await?;
        if res.rows_affected != 1 {
            return Err(StoreError::Stale(
                "the key changed state meanwhile; look again".into(),
            ));
        }
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::KeyRevoke,
            &format!("key:{kid}"),
            json!({"before": key.state, "after": KeyStateColumn::Revoked}),
            now,
        )
        .await?;
        publish(&txn, topic::KEYS, now).await?;
        txn.commit().await?;
        Ok((key.state, key.environment))
    }

    /// The key's history from the audit log: (when, action, state after).
    pub async fn key_timeline(&self, kid: &str) -> Result<Vec<(i64, String, String)>> {
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::Target.eq(format!("key:{kid}")))
            .order_by_asc(audit_event::Column::Id)
            .all(self.db())
            .await?;
        Ok(events
            .into_iter()
            .map(|e| {
                let d: serde_json::Value = serde_json::from_str(&e.details).unwrap_or_default();
                let state = d
                    .get("after")
                    .or_else(|| d.get("state"))
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_owned();
                (e.at, e.action, state)
            })
            .collect())
    }

    /// Takes or renews the lease `name` for `holder` until `now + ttl` if it is free, expired,
    /// or already `holder`'s: with several replicas, exactly one holds it at a time.
    pub async fn try_lease(&self, name: &str, holder: &str, ttl: i64, now: i64) -> Result<bool> {
        use sea_orm::sea_query::{ExprTrait, OnConflict};
        let am = lease::ActiveModel {
            name: Set(name.to_owned()),
            holder: Set(holder.to_owned()),
            expires_at: Set(now + ttl),
        };
        let n = lease::Entity::insert(am)
            .on_conflict(
                OnConflict::column(lease::Column::Name)
                    .update_columns([lease::Column::Holder, lease::Column::ExpiresAt])
                    .action_and_where(
                        lease::Column::ExpiresAt
                            .lt(now)
                            .or(lease::Column::Holder.eq(holder)),
                    )
                    .to_owned(),
            )
            .exec_without_returning(self.db())
            .await?;
        Ok(n == 1)
    }
}
