//! Sandbox testers' own clients. A partner's admins turn them on or off; turning them off
//! disables every tester's client in the same transaction, so none keeps working.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use serde_json::json;

use super::NewClient;
use super::clients::{
    check_client_cap, create_client_in, rotate_client_secret_in, set_client_enabled_in,
};
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
        // Locked: a tester asking for credentials meanwhile waits, then sees the switch.
        let before = partner::Entity::find_by_id(partner_id.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("partner {partner_id}")))?;
        crate::reserved::check_partner(actor, &before)?;
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

    /// The tester `owner`'s own sandbox client at `partner_id` with `new`'s secret,
    /// in one transaction under the partner's lock: refused unless the partner's admins allow
    /// testers' clients; created from `new` on the first ask; otherwise its secrets end at once
    /// and `hash` replaces them. A client someone turned off stays off. `true`: created.
    pub async fn issue_tester_secret(
        &self,
        actor: &Actor,
        partner_id: &str,
        owner: &str,
        new: NewClient,
        client_id: String,
        now: i64,
    ) -> Result<(client::Model, bool)> {
        let txn = self.write().await?;
        let p = partner::Entity::find_by_id(partner_id.to_owned())
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("partner {partner_id}")))?;
        if !p.testers_get_clients {
            return Err(StoreError::Forbidden(format!(
                "{}'s admins have not let sandbox testers get their own client: ask one of them to turn it on under Team in the portal",
                p.name
            )));
        }
        let existing = client::Entity::find()
            .filter(client::Column::PartnerId.eq(partner_id))
            .filter(client::Column::Owner.eq(owner))
            .filter(client::Column::Environment.eq(EnvironmentColumn::Sandbox))
            .one(&txn)
            .await?;
        let out = match existing {
            Some(c) if !c.enabled => {
                return Err(StoreError::Forbidden(
                    "your own sandbox client is turned off: a partner admin turns it on again on the portal's Clients page".into(),
                ));
            }
            Some(c) => {
                let hash = new
                    .secret_hash
                    .clone()
                    .ok_or_else(|| StoreError::Invalid("a tester's client has a secret".into()))?;
                rotate_client_secret_in(&txn, actor, &c, hash, 0, now).await?;
                (c, false)
            }
            None => {
                check_client_cap(&txn, actor, partner_id, self.caps().clients_per_partner).await?;
                let m = create_client_in(&txn, actor, new, client_id, now).await?;
                (m, true)
            }
        };
        txn.commit().await?;
        Ok(out)
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

/// Turns off the own sandbox client of the partner user `email` (when they leave testing:
/// turned off, or given another role), in the caller's transaction.
pub(crate) async fn stop_tester_client_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    partner_id: &str,
    email: &str,
    now: i64,
) -> Result<()> {
    let owner = format!("{TESTER_OWNER}{email}");
    if let Some(c) = client::Entity::find()
        .filter(client::Column::PartnerId.eq(partner_id))
        .filter(client::Column::Owner.eq(owner))
        .filter(client::Column::Enabled.eq(true))
        .one(txn)
        .await?
    {
        set_client_enabled_in(txn, actor, c, false, now).await?;
    }
    Ok(())
}
