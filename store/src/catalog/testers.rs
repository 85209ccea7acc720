//! Sandbox testers' own clients. A partner's admins turn them on or off; turning them off
//! disables every tester's client in the same transaction, so none keeps working.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use super::clients::set_client_enabled_in;
use crate::changes::{publish, topic};
use crate::entities::{client, partner};
use crate::enums::EnvironmentColumn;
use crate::{Actor, Result, Store, StoreError, audit};

/// What a tester's client's `owner` starts with: the tester, as the portal names its people.
pub const TESTER_OWNER: &str = "portal:";

impl Store {
    /// Lets the partner's sandbox testers each get a sandbox client of their own, or stops it
    /// (their clients are disabled at once); audited with before and after.
    pub async fn set_tester_clients(
        &self,
        actor: &Actor,
        partner_id: &str,
        allowed: bool,
        now: i64,
    ) -> Result<partner::Model> {
        let txn = self.write().await?;
        let before = partner::Entity::find_by_id(partner_id.to_owned())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("partner {partner_id}")))?;
        if before.testers_get_clients == allowed {
            return Ok(before);
        }
        let mut m: partner::ActiveModel = before.clone().into();
        m.testers_get_clients = Set(allowed);
        m.updated_at = Set(now);
        let model = m.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerTesterClients,
            &format!("partner:{}", model.slug),
            json!({"partner": model.slug, "before": before.testers_get_clients, "after": allowed}),
            now,
        )
        .await?;
        if !allowed {
            for c in testers_clients(&txn, partner_id).await? {
                set_client_enabled_in(&txn, actor, c, false, now).await?;
            }
        }
        publish(&txn, topic::CATALOG, now).await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The sandbox client the tester `owner` holds at `partner_id`, if any.
    pub async fn tester_client(
        &self,
        partner_id: &str,
        owner: &str,
    ) -> Result<Option<client::Model>> {
        Ok(client::Entity::find()
            .filter(client::Column::PartnerId.eq(partner_id))
            .filter(client::Column::Owner.eq(owner))
            .filter(client::Column::Environment.eq(EnvironmentColumn::Sandbox))
            .one(self.db())
            .await?)
    }
}

/// Every enabled tester's client of the partner.
async fn testers_clients(
    txn: &sea_orm::DatabaseTransaction,
    partner_id: &str,
) -> Result<Vec<client::Model>> {
    Ok(client::Entity::find()
        .filter(client::Column::PartnerId.eq(partner_id))
        .filter(client::Column::Owner.starts_with(TESTER_OWNER))
        .filter(client::Column::Environment.eq(EnvironmentColumn::Sandbox))
        .filter(client::Column::Enabled.eq(true))
        .all(txn)
        .await?)
}
