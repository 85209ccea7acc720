//! Host-only partners: the partner that holds the admin API's clients decides who administers
//! Entente, so no console, portal or admin API caller may change it, its clients, keys,
//! secrets, grants, limits, people, sign-in or stage. Checked in the store, inside each
//! writing transaction, so every door gets the same answer and none can forget it.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::entities::{client, partner};
use crate::{Actor, Result, StoreError};

/// Refuses a change to `p` unless it is an ordinary partner or the actor is the host.
pub fn check_partner(actor: &Actor, p: &partner::Model) -> Result<()> {
    if p.host_only && !actor.is_host() {
        return Err(StoreError::Forbidden(format!(
            "{} holds the admin API's clients and is changed from the host only (entente admin api-client)",
            p.slug
        )));
    }
    Ok(())
}

/// `check_partner` for the partner with this id, read in the caller's transaction.
pub(crate) async fn check_partner_id(
    db: &impl ConnectionTrait,
    actor: &Actor,
    partner_id: &str,
) -> Result<()> {
    let p = partner::Entity::find_by_id(partner_id.to_owned())
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("partner {partner_id}")))?;
    check_partner(actor, &p)
}

/// `check_partner` for a client's partner (resource servers have none and pass).
pub(crate) async fn check_client(
    db: &impl ConnectionTrait,
    actor: &Actor,
    c: &client::Model,
) -> Result<()> {
    match &c.partner_id {
        Some(pid) => check_partner_id(db, actor, pid).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(host_only: bool) -> partner::Model {
        partner::Model {
            id: "p".into(),
            slug: "operations".into(),
            name: "Operations".into(),
            environment: "production".into(),
            enabled: true,
            created_at: 0,
            updated_at: 0,
            stage: crate::enums::PartnerStage::Production,
            resume_stage: None,
            suspended_reason: None,
            first_exchange_at: None,
            host_only,
            testers_get_clients: false,
        }
    }

    #[test]
    fn only_the_host_changes_a_host_only_partner() {
        let console = Actor::new("admin:a@example.test");
        let host = Actor::host("cli:root");
        assert!(matches!(
            check_partner(&console, &partner(true)),
            Err(StoreError::Forbidden(_))
        ));
        assert!(check_partner(&host, &partner(true)).is_ok());
        assert!(check_partner(&console, &partner(false)).is_ok());
        // A name cannot make an actor the host.
        assert!(check_partner(&Actor::new("cli:root"), &partner(true)).is_err());
    }
}
