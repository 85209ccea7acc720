//! Console administrators and one-time invitations (the first-administrator URL).

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;

use crate::entities::{admin_invite, admin_user};
pub use crate::enums::Role;
use crate::people::normalise_email;
use crate::{Actor, Result, Store, StoreError, audit, new_id};

/// What an invitation offers, as the page its link opens says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteFacts {
    /// The only address that may use it (none: the first administrator's link).
    pub email: Option<String>,
    pub role: Role,
    /// The partner's name, for a partner's team; none for the console.
    pub partner: Option<String>,
    /// Who made it (an audit actor's name).
    pub invited_by: Option<String>,
    pub expires_at: i64,
}

impl Store {
    /// Console users (partner users do not count: without a console user, the first
    /// administrator's link is still printed).
    pub async fn count_admins(&self) -> Result<u64> {
        Ok(admin_user::Entity::find()
            .filter(admin_user::Column::PartnerId.is_null())
            .count(self.db())
            .await?)
    }

    /// `password_hash` is an argon2id PHC string made by the caller.
    pub async fn create_admin(
        &self,
        actor: &Actor,
        email: &str,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> Result<admin_user::Model> {
        if role.is_partner() {
            return Err(StoreError::Invalid(
                "partner users join by invitation to their partner's team".into(),
            ));
        }
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let m = admin_user::ActiveModel {
            id: Set(new_id()),
            email: Set(email.clone()),
            password_hash: Set(password_hash),
            role: Set(role),
            enabled: Set(true),
            created_at: Set(now),
            partner_id: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|e| StoreError::from_insert(e, &format!("administrator {email}")))?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::AdminCreate,
            &format!("admin:{email}"),
            json!({"role": role}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }

    pub async fn admin_by_email(&self, email: &str) -> Result<Option<admin_user::Model>> {
        let email = email.trim().to_ascii_lowercase();
        Ok(admin_user::Entity::find()
            .filter(admin_user::Column::Email.eq(email))
            .one(self.db())
            .await?)
    }

    pub async fn admin_by_id(&self, id: &str) -> Result<Option<admin_user::Model>> {
        Ok(admin_user::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?)
    }

    pub async fn create_invite(
        &self,
        token_hash: Vec<u8>,
        role: Role,
        expires_at: i64,
    ) -> Result<()> {
        admin_invite::ActiveModel {
            token_hash: Set(token_hash),
            email: Set(None),
            role: Set(role),
            expires_at: Set(expires_at),
            used_at: Set(None),
            partner_id: Set(None),
            invited_by: Set(None),
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// What an unused, unexpired invitation offers, for the page its link opens: the address
    /// it is for, the role, the partner (none: the console) and who made it. `None` for a link
    /// that no longer works, including one to a partner nobody may join now.
    pub async fn invite_facts(&self, token_hash: &[u8], now: i64) -> Result<Option<InviteFacts>> {
        let Some(inv) = admin_invite::Entity::find_by_id(token_hash.to_vec())
            .one(self.db())
            .await?
            .filter(|i| i.used_at.is_none() && i.expires_at > now)
        else {
            return Ok(None);
        };
        let partner = match &inv.partner_id {
            None => None,
            Some(pid) => {
                let p = crate::entities::partner::Entity::find_by_id(pid.clone())
                    .one(self.db())
                    .await?;
                match p {
                    Some(p) if joinable(&p) => Some(p.name),
                    _ => return Ok(None),
                }
            }
        };
        Ok(Some(InviteFacts {
            email: inv.email,
            role: inv.role,
            partner,
            invited_by: inv.invited_by,
            expires_at: inv.expires_at,
        }))
    }

    /// Console invitations (not a partner's) not used and not expired at `now`, soonest to
    /// expire first.
    pub async fn pending_console_invites(&self, now: i64) -> Result<Vec<admin_invite::Model>> {
        Ok(admin_invite::Entity::find()
            .filter(admin_invite::Column::PartnerId.is_null())
            .filter(admin_invite::Column::Email.is_not_null())
            .filter(admin_invite::Column::UsedAt.is_null())
            .filter(admin_invite::Column::ExpiresAt.gt(now))
            .order_by_asc(admin_invite::Column::ExpiresAt)
            .all(self.db())
            .await?)
    }

    /// Withdraws the pending console invitations for `email` (their links stop working),
    /// audited.
    pub async fn revoke_console_invites(
        &self,
        actor: &Actor,
        email: &str,
        now: i64,
    ) -> Result<u64> {
        self.withdraw_invites(actor, None, email, now).await
    }

    /// Deletes the unused invitations for `email` to the console (`team` none) or to a
    /// partner's team, audited in the same transaction; none is "not found".
    pub(crate) async fn withdraw_invites(
        &self,
        actor: &Actor,
        team: Option<&crate::entities::partner::Model>,
        email: &str,
        now: i64,
    ) -> Result<u64> {
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let whose = match team {
            Some(p) => admin_invite::Column::PartnerId.eq(&p.id),
            None => admin_invite::Column::PartnerId.is_null(),
        };
        let gone = admin_invite::Entity::delete_many()
            .filter(whose)
            .filter(admin_invite::Column::Email.eq(&email))
            .filter(admin_invite::Column::UsedAt.is_null())
            .exec(&txn)
            .await?
            .rows_affected;
        if gone == 0 {
            return Err(StoreError::NotFound(format!("an invitation for {email}")));
        }
        let (action, target) = match team {
            Some(p) => (
                entente_domain::audit::AuditAction::PartnerUserInviteRevoke,
                format!("partner:{}", p.slug),
            ),
            None => (
                entente_domain::audit::AuditAction::AdminInviteRevoke,
                format!("admin:{email}"),
            ),
        };
        audit::record(&txn, actor, action, &target, json!({"email": email}), now).await?;
        txn.commit().await?;
        Ok(gone)
    }

    /// Whether an invitation is unused and unexpired (does not consume it).
    pub async fn invite_valid(&self, token_hash: &[u8], now: i64) -> Result<bool> {
        let inv = admin_invite::Entity::find_by_id(token_hash.to_vec())
            .one(self.db())
            .await?;
        Ok(inv.is_some_and(|i| i.used_at.is_none() && i.expires_at > now))
    }

    /// Consumes an invitation and creates the administrator in one transaction; the conditional
    /// update makes the URL usable exactly once even under concurrent use.
    pub async fn accept_invite(
        &self,
        token_hash: &[u8],
        email: &str,
        password_hash: String,
        now: i64,
    ) -> Result<admin_user::Model> {
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let inv = admin_invite::Entity::find_by_id(token_hash.to_vec())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound("invitation".into()))?;
        // An invitation made for an address works for that address only, and never for a
        // partner that has been offboarded or suspended since.
        if inv.email.as_deref().is_some_and(|e| e != email) {
            return Err(StoreError::NotFound("invitation".into()));
        }
        if let Some(pid) = &inv.partner_id {
            let p = crate::entities::partner::Entity::find_by_id(pid.clone())
                .one(&txn)
                .await?;
            let open = p.is_some_and(|p| joinable(&p));
            if !open {
                return Err(StoreError::NotFound("invitation".into()));
            }
        }
        let used = admin_invite::Entity::update_many()
            .col_expr(
                admin_invite::Column::UsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(admin_invite::Column::TokenHash.eq(token_hash.to_vec()))
            .filter(admin_invite::Column::UsedAt.is_null())
            .filter(admin_invite::Column::ExpiresAt.gt(now))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(StoreError::NotFound("invitation".into()));
        }
        let m = admin_user::ActiveModel {
            id: Set(new_id()),
            email: Set(email.clone()),
            password_hash: Set(password_hash),
            role: Set(inv.role),
            enabled: Set(true),
            created_at: Set(now),
            partner_id: Set(inv.partner_id.clone()),
        }
        .insert(&txn)
        .await
        .map_err(|e| StoreError::from_insert(e, &format!("user {email}")))?;
        let target = match &inv.partner_id {
            Some(pid) => format!(
                "partner:{}",
                crate::entities::partner::Entity::find_by_id(pid.clone())
                    .one(&txn)
                    .await?
                    .ok_or_else(|| StoreError::NotFound(format!("partner {pid}")))?
                    .slug
            ),
            None => format!("admin:{email}"),
        };
        audit::record(
            &txn,
            &Actor::new(format!("invite:{email}")),
            if inv.partner_id.is_some() {
                entente_domain::audit::AuditAction::PartnerUserJoin
            } else {
                entente_domain::audit::AuditAction::AdminCreate
            },
            &target,
            json!({"email": email, "role": inv.role, "via": "invitation"}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(m)
    }
}

/// Whether a partner's team may be joined now: never a host-only partner's (one invited before
/// it was marked so), nor an offboarded or suspended one's.
fn joinable(p: &crate::entities::partner::Model) -> bool {
    !p.host_only
        && !matches!(
            p.stage,
            crate::enums::PartnerStage::Offboarded | crate::enums::PartnerStage::Suspended
        )
}

/// Whether `target` changing to (`role`, `enabled`) would leave no enabled administrator.
async fn would_orphan(
    txn: &sea_orm::DatabaseTransaction,
    target: &admin_user::Model,
    role: Role,
    enabled: bool,
) -> Result<bool> {
    let stays_admin = role == Role::Admin && enabled;
    if stays_admin || !(target.role == Role::Admin && target.enabled) {
        return Ok(false);
    }
    let others = admin_user::Entity::find()
        .filter(admin_user::Column::Role.eq(Role::Admin))
        .filter(admin_user::Column::Enabled.eq(true))
        .filter(admin_user::Column::Id.ne(target.id.clone()))
        .count(txn)
        .await?;
    Ok(others == 0)
}

impl Store {
    pub async fn list_admins(&self) -> Result<Vec<admin_user::Model>> {
        use sea_orm::QueryOrder;
        Ok(admin_user::Entity::find()
            .filter(admin_user::Column::PartnerId.is_null())
            .order_by_asc(admin_user::Column::Email)
            .all(self.db())
            .await?)
    }

    /// Changes a console user's role and whether they may sign in (effective on their next
    /// request: roles are read per request). Nobody changes their own account here, and the
    /// last enabled administrator stays one.
    pub async fn set_admin_access(
        &self,
        actor: &Actor,
        actor_id: &str,
        email: &str,
        role: Role,
        enabled: bool,
        now: i64,
    ) -> Result<admin_user::Model> {
        if role.is_partner() {
            return Err(StoreError::Invalid(
                "console users are admin, operator or auditor; partner users join a partner's team by invitation".into(),
            ));
        }
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let before = admin_user::Entity::find()
            .filter(admin_user::Column::Email.eq(&email))
            .filter(admin_user::Column::PartnerId.is_null())
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("console user {email}")))?;
        // Nobody changes their own account, nor through an API client they own (the person
        // behind the actor, as four eyes count them).
        let me = crate::people::person_in(&txn, &actor.name).await?;
        if before.id == actor_id
            || me == entente_domain::governance::person(&format!("admin:{email}"), None)
        {
            return Err(StoreError::Invalid(
                "you cannot change your own role or access; ask another administrator".into(),
            ));
        }
        if would_orphan(&txn, &before, role, enabled).await? {
            return Err(StoreError::Invalid(
                "this is the last enabled administrator; make someone else an administrator first"
                    .into(),
            ));
        }
        let mut am: admin_user::ActiveModel = before.clone().into();
        am.role = Set(role);
        am.enabled = Set(enabled);
        let after = am.update(&txn).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::AdminAccess,
            &format!("admin:{email}"),
            json!({"before": {"role": before.role, "enabled": before.enabled},
                   "after": {"role": after.role, "enabled": after.enabled}}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(after)
    }

    /// An invitation for `email` to become a console user with `role`, audited (the token
    /// itself never is). Only that address can use it: four eyes count people by address, so
    /// an administrator cannot make a second account of their own to approve themself.
    pub async fn invite_admin(
        &self,
        actor: &Actor,
        email: &str,
        token_hash: Vec<u8>,
        role: Role,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        if role.is_partner() {
            return Err(StoreError::Invalid(
                "invite partner users from their partner's page or the portal".into(),
            ));
        }
        let email = normalise_email(email)?;
        let txn = self.write().await?;
        let taken = admin_user::Entity::find()
            .filter(admin_user::Column::Email.eq(&email))
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Conflict(format!("an account for {email}")));
        }
        admin_invite::ActiveModel {
            token_hash: Set(token_hash),
            email: Set(Some(email.clone())),
            role: Set(role),
            expires_at: Set(expires_at),
            used_at: Set(None),
            partner_id: Set(None),
            invited_by: Set(Some(actor.name.clone())),
        }
        .insert(&txn)
        .await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::AdminInvite,
            &format!("admin:{email}"),
            json!({"email": email, "role": role, "expires_at": expires_at}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
