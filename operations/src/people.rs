//! People: console users (invited by address, their role and access set by administrators) and
//! a partner's team (invited by its admins or by operators). Invitations are one-time links,
//! stored only as a keyed hash of their token.

use entente_store::entities::admin_user;
use entente_store::enums::Role;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// Invitations are valid for 72 hours.
pub const INVITE_LIFETIME: i64 = 72 * 3600;

/// A one-time link, shown once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub role: Role,
    pub link: String,
    pub expires_at: i64,
}

/// The role a person typed: one of a partner's, for a partner's team.
pub fn partner_role(role: &str) -> Result<Role, OpError> {
    match role.parse::<Role>() {
        Ok(r) if r.is_partner() => Ok(r),
        _ => Err(OpError::Invalid(
            "a partner user is partner_admin, partner_viewer or sandbox_tester".into(),
        )),
    }
}

fn parse_role(role: &str) -> Result<Role, OpError> {
    role.parse::<Role>().map_err(OpError::Invalid)
}

impl Operations {
    fn invitation_link(&self, token: &str) -> String {
        format!("{}/setup?token={token}", self.issuer)
    }

    /// A one-time link for `email` to join a partner's team as `role` (`partner`: its slug;
    /// `None`, the acting partner user's own).
    pub async fn invite_partner_user(
        &self,
        actor: &Actor,
        partner: Option<&str>,
        email: &str,
        role: &str,
        now: i64,
    ) -> Result<Invitation, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(actor, Operation::InvitePartnerUser, Target::Partner(&p))?;
        let role = partner_role(role)?;
        let token = entente_domain::secret::random_token(32);
        let expires_at = now + INVITE_LIFETIME;
        self.store
            .invite_partner_user(
                actor.audit(),
                &p,
                email,
                role,
                self.hasher.hash(&token),
                expires_at,
                now,
            )
            .await?;
        Ok(Invitation {
            email: email.trim().to_lowercase(),
            role,
            link: self.invitation_link(&token),
            expires_at,
        })
    }

    /// Withdraws the pending invitations for `email` to a partner's team: their links stop
    /// working.
    pub async fn revoke_partner_invitation(
        &self,
        actor: &Actor,
        partner: Option<&str>,
        email: &str,
        now: i64,
    ) -> Result<u64, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(
            actor,
            Operation::RevokePartnerInvitation,
            Target::Partner(&p),
        )?;
        Ok(self
            .store
            .revoke_partner_invites(actor.audit(), &p, email, now)
            .await?)
    }

    /// A partner user's role and whether they may sign in (nobody changes their own account).
    pub async fn set_partner_user_access(
        &self,
        actor: &Actor,
        partner: Option<&str>,
        email: &str,
        role: &str,
        enabled: bool,
        now: i64,
    ) -> Result<admin_user::Model, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(actor, Operation::SetPartnerUserAccess, Target::Partner(&p))?;
        let role = partner_role(role)?;
        Ok(self
            .store
            .set_partner_user_access(
                actor.audit(),
                actor.account_id().unwrap_or(""),
                &p,
                email,
                role,
                enabled,
                now,
            )
            .await?)
    }

    /// A one-time link for `email` (only that address can use it: four eyes count people by
    /// address) to become a console user with `role`.
    pub async fn invite_console_user(
        &self,
        actor: &Actor,
        email: &str,
        role: &str,
        now: i64,
    ) -> Result<Invitation, OpError> {
        authorize(actor, Operation::InviteConsoleUser, Target::Global)?;
        let role = parse_role(role)?;
        let token = entente_domain::secret::random_token(32);
        let expires_at = now + INVITE_LIFETIME;
        self.store
            .invite_admin(
                actor.audit(),
                email,
                self.hasher.hash(&token),
                role,
                expires_at,
                now,
            )
            .await?;
        Ok(Invitation {
            email: email.trim().to_lowercase(),
            role,
            link: self.invitation_link(&token),
            expires_at,
        })
    }

    /// Withdraws the pending console invitations for `email`: their links stop working.
    pub async fn revoke_console_invitation(
        &self,
        actor: &Actor,
        email: &str,
        now: i64,
    ) -> Result<u64, OpError> {
        authorize(actor, Operation::RevokeConsoleInvitation, Target::Global)?;
        Ok(self
            .store
            .revoke_console_invites(actor.audit(), email, now)
            .await?)
    }

    /// A console user's role and whether they may sign in (nobody changes their own account,
    /// nor a client its owner's: the store checks both).
    pub async fn set_console_user_access(
        &self,
        actor: &Actor,
        email: &str,
        role: &str,
        enabled: bool,
        now: i64,
    ) -> Result<admin_user::Model, OpError> {
        authorize(actor, Operation::SetConsoleUserAccess, Target::Global)?;
        let role = parse_role(role)?;
        Ok(self
            .store
            .set_admin_access(
                actor.audit(),
                actor.account_id().unwrap_or(""),
                email,
                role,
                enabled,
                now,
            )
            .await?)
    }
}
