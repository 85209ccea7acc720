//! Partner users: console users who belong to one partner (`partner_admin`, `partner_viewer`),
//! their invitations, and their team. Every query here is scoped by the partner it is given:
//! a user of another partner is "not found".

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entities::{admin_invite, admin_user, partner};
use crate::enums::Role;
use crate::people::normalise_email;
use crate::{Actor, Result, Store, StoreError};

/// A partner's own people are partner_admin, partner_viewer or sandbox_tester, never a console role.
fn partner_role(role: Role) -> Result<()> {
    if role.is_partner() {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "a partner user is partner_admin, partner_viewer or sandbox_tester".into(),
        ))
    }
}

impl Store {
    /// An invitation for `email` to join the partner as `role`, audited (never the token).
    #[allow(clippy::too_many_arguments)]
    pub async fn invite_partner_user(
        &self,
        actor: &Actor,
        partner: &partner::Model,
        email: &str,
        role: Role,
        token_hash: Vec<u8>,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        partner_role(role)?;
        crate::reserved::check_partner(actor, partner)?;
        if matches!(
            partner.stage,
            crate::enums::PartnerStage::Offboarded | crate::enums::PartnerStage::Suspended
        ) {
            return Err(StoreError::Invalid(format!(
                "{} is {}: nobody joins its team now",
                partner.slug, partner.stage
            )));
        }
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        // One address, one account, one person: a console user cannot also join a partner's
        // team (and approve, as an administrator, what they filed from the portal).
        if admin_user::Entity::find()
            .filter(admin_user::Column::Email.eq(&email))
            .one(&txn)
            .await?
            .is_some()
        {
            return Err(StoreError::Conflict(format!("an account for {email}")));
        }
        admin_invite::ActiveModel {
            token_hash: Set(token_hash),
            email: Set(Some(email.clone())),
            role: Set(role),
            expires_at: Set(expires_at),
            used_at: Set(None),
            partner_id: Set(Some(partner.id.clone())),
            invited_by: Set(Some(actor.name.clone())),
        }
        .insert(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerUserInvite,
            &format!("partner:{}", partner.slug),
            json!({"email": email, "role": role, "expires_at": expires_at}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The partner's invitations not used and not expired at `now`, soonest to expire first.
    pub async fn pending_partner_invites(
        &self,
        partner_id: &str,
        now: i64,
    ) -> Result<Vec<admin_invite::Model>> {
        Ok(admin_invite::Entity::find()
            .filter(admin_invite::Column::PartnerId.eq(partner_id))
            .filter(admin_invite::Column::UsedAt.is_null())
            .filter(admin_invite::Column::ExpiresAt.gt(now))
            .order_by_asc(admin_invite::Column::ExpiresAt)
            .all(self.db())
            .await?)
    }

    /// Withdraws the partner's pending invitations for `email` (their links stop working),
    /// audited; another partner's invitation is not found.
    pub async fn revoke_partner_invites(
        &self,
        actor: &Actor,
        partner: &partner::Model,
        email: &str,
        now: i64,
    ) -> Result<u64> {
        crate::reserved::check_partner(actor, partner)?;
        self.withdraw_invites(actor, Some(partner), email, now)
            .await
    }

    /// The partner's users, by e-mail.
    pub async fn partner_users(&self, partner_id: &str) -> Result<Vec<admin_user::Model>> {
        Ok(admin_user::Entity::find()
            .filter(admin_user::Column::PartnerId.eq(partner_id))
            .order_by_asc(admin_user::Column::Email)
            .all(self.db())
            .await?)
    }
}

impl Store {
    /// Changes a partner user's role and whether they may sign in; scoped to the partner (a
    /// user of another partner, or a console user, is not found). Nobody changes their own
    /// account, and the partner keeps an enabled partner_admin.
    #[allow(clippy::too_many_arguments)]
    pub async fn set_partner_user_access(
        &self,
        actor: &Actor,
        actor_id: &str,
        partner: &partner::Model,
        email: &str,
        role: Role,
        enabled: bool,
        now: i64,
    ) -> Result<admin_user::Model> {
        partner_role(role)?;
        crate::reserved::check_partner(actor, partner)?;
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let before = admin_user::Entity::find()
            .filter(admin_user::Column::Email.eq(&email))
            .filter(admin_user::Column::PartnerId.eq(&partner.id))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("team member {email}")))?;
        if before.id == actor_id {
            return Err(StoreError::Invalid(
                "you cannot change your own role or access; ask another partner admin".into(),
            ));
        }
        let stays_admin = role == Role::PartnerAdmin && enabled;
        if before.role == Role::PartnerAdmin && before.enabled && !stays_admin {
            let others = admin_user::Entity::find()
                .filter(admin_user::Column::PartnerId.eq(&partner.id))
                .filter(admin_user::Column::Role.eq(Role::PartnerAdmin))
                .filter(admin_user::Column::Enabled.eq(true))
                .filter(admin_user::Column::Id.ne(before.id.clone()))
                .count(&txn)
                .await?;
            if others == 0 {
                return Err(StoreError::Invalid(
                    "this is the team's last partner admin; make someone else one first".into(),
                ));
            }
        }
        let mut am: admin_user::ActiveModel = before.clone().into();
        am.role = Set(role);
        am.enabled = Set(enabled);
        let after = am.update(&txn).await?;
        crate::audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerUserAccess,
            &format!("partner:{}", partner.slug),
            json!({"email": email,
                   "before": {"role": before.role, "enabled": before.enabled},
                   "after": {"role": after.role, "enabled": after.enabled}}),
            now,
        )
        .await?;
        // A tester who stops testing (turned off, or given another role) keeps no client of
        // their own that still works.
        if !(after.enabled && after.role == Role::SandboxTester) {
            crate::catalog::stop_tester_client_in(&txn, actor, &partner.id, &after.email, now)
                .await?;
        }
        txn.commit().await?;
        Ok(after)
    }
}

impl Store {
    /// A partner user made directly, with a password hash (seeding and tests; people join by
    /// invitation).
    pub async fn create_partner_user(
        &self,
        actor: &Actor,
        partner: &partner::Model,
        email: &str,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> Result<admin_user::Model> {
        partner_role(role)?;
        crate::reserved::check_partner(actor, partner)?;
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let m = admin_user::ActiveModel {
            id: Set(crate::new_id()),
            email: Set(email.clone()),
            password_hash: Set(password_hash),
            role: Set(role),
            enabled: Set(true),
            created_at: Set(now),
            partner_id: Set(Some(partner.id.clone())),
        }
        .insert(&txn)
        .await
        .map_err(|e| StoreError::from_insert(e, &format!("user {email}")))?;
        crate::audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerUserCreate,
            &format!("partner:{}", partner.slug),
            json!({"email": email, "role": role}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }
}
