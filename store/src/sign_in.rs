//! Federated sign-in for partner users: each partner's OpenID Connect provider (one per
//! partner; its client secret arrives sealed under the master key and is never returned), and
//! the provider identities (issuer, subject) linked to partner users.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

use crate::entities::{admin_user, federated_identity, partner, partner_sign_in};
use crate::enums::Role;
use crate::{Actor, Result, Store, StoreError, audit};

/// A partner's provider as set by its administrators.
#[derive(Debug, Clone)]
pub struct SignInSettings {
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the secret already stored, as long as the issuer and client ID stay the
    /// same; with either changed, `None` is refused.
    pub client_secret_sealed: Option<Vec<u8>>,
    /// People of `domains` who sign in without an account join with this role.
    pub join_role: Option<Role>,
    pub domains: Vec<String>,
    pub enabled: bool,
}

/// What a federated sign-in does to the accounts (decided by `entente_domain::sso::map_user`).
#[derive(Debug, Clone)]
pub enum Arrival {
    /// Linked before: nothing to write.
    Linked(String),
    /// Link this partner user to the identity.
    Link(String),
    /// Make a partner user with this role and the given (unusable) password hash, and link it.
    Join { role: Role, password_hash: String },
}

impl Store {
    pub async fn partner_sign_in(
        &self,
        partner_id: &str,
    ) -> Result<Option<partner_sign_in::Model>> {
        Ok(partner_sign_in::Entity::find_by_id(partner_id.to_owned())
            .one(self.db())
            .await?)
    }

    /// Sets (creates or replaces) the partner's provider, audited without the secret.
    pub async fn set_partner_sign_in(
        &self,
        actor: &Actor,
        p: &partner::Model,
        s: SignInSettings,
        now: i64,
    ) -> Result<partner_sign_in::Model> {
        crate::reserved::check_partner(actor, p)?;
        if let Some(r) = s.join_role
            && !r.is_partner()
        {
            return Err(StoreError::Invalid(
                "people who join are partner_admin, partner_viewer or sandbox_tester".into(),
            ));
        }
        if s.client_id.trim().is_empty() || s.client_id.len() > 255 {
            return Err(StoreError::Invalid(
                "the client ID is 1–255 characters".into(),
            ));
        }
        let txn = self.write().await?;
        let before = partner_sign_in::Entity::find_by_id(p.id.clone())
            .one(&txn)
            .await?;
        let client_id = s.client_id.trim().to_owned();
        let secret = match (s.client_secret_sealed, &before) {
            (Some(sealed), _) => sealed,
            // The stored secret was issued for one provider and one client: it is kept only
            // while both stay, so that a changed issuer never receives it (review M-2).
            (None, Some(b)) if b.issuer == s.issuer && b.client_id == client_id => {
                b.client_secret_sealed.clone()
            }
            (None, Some(_)) => {
                return Err(StoreError::Invalid(
                    "give the client secret again: the issuer or client ID changed, and the \
                     stored secret is only ever sent to the provider it was given for"
                        .into(),
                ));
            }
            (None, None) => {
                return Err(StoreError::Invalid(
                    "give the client secret your provider issued for Entente".into(),
                ));
            }
        };
        let model = partner_sign_in::ActiveModel {
            partner_id: Set(p.id.clone()),
            issuer: Set(s.issuer.clone()),
            client_id: Set(client_id),
            client_secret_sealed: Set(secret),
            join_role: Set(s.join_role),
            domains: Set(s.domains.join(" ")),
            enabled: Set(s.enabled),
            updated_at: Set(now),
        };
        let model = if before.is_some() {
            model.update(&txn).await?
        } else {
            model.insert(&txn).await?
        };
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::PartnerSignInSet,
            &format!("partner:{}", p.slug),
            json!({"issuer": model.issuer, "client_id": model.client_id, "join_role": model.join_role,
                   "domains": model.domains, "enabled": model.enabled,
                   "before": before.map(|b| json!({"issuer": b.issuer, "client_id": b.client_id, "enabled": b.enabled}))}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The user an identity of `issuer` was linked to.
    pub async fn identity_user(
        &self,
        issuer: &str,
        subject: &str,
    ) -> Result<Option<admin_user::Model>> {
        let Some(link) =
            federated_identity::Entity::find_by_id((issuer.to_owned(), subject.to_owned()))
                .one(self.db())
                .await?
        else {
            return Ok(None);
        };
        self.admin_by_id(&link.user_id).await
    }

    /// Whether `user_id` is linked to some identity of `issuer` already.
    pub async fn has_identity_at(&self, issuer: &str, user_id: &str) -> Result<bool> {
        Ok(federated_identity::Entity::find()
            .filter(federated_identity::Column::Issuer.eq(issuer))
            .filter(federated_identity::Column::UserId.eq(user_id))
            .one(self.db())
            .await?
            .is_some())
    }

    /// Records a federated arrival of `email` (subject `subject` at `issuer`) at partner `p`,
    /// audited; the partner user who signs in.
    #[allow(clippy::too_many_arguments)]
    pub async fn arrive(
        &self,
        actor: &Actor,
        p: &partner::Model,
        issuer: &str,
        subject: &str,
        email: &str,
        arrival: Arrival,
        now: i64,
    ) -> Result<admin_user::Model> {
        crate::reserved::check_partner(actor, p)?;
        let txn = self.write().await?;
        let link = |user_id: String| federated_identity::ActiveModel {
            issuer: Set(issuer.to_owned()),
            subject: Set(subject.to_owned()),
            user_id: Set(user_id),
            partner_id: Set(p.id.clone()),
            created_at: Set(now),
        };
        let user_id = match arrival {
            Arrival::Linked(id) => id,
            Arrival::Link(id) => {
                link(id.clone())
                    .insert(&txn)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "a link for this identity"))?;
                audit::record(
                    &txn,
                    actor,
                    entente_domain::audit::AuditAction::PartnerUserLink,
                    &format!("partner:{}", p.slug),
                    json!({"email": email, "issuer": issuer}),
                    now,
                )
                .await?;
                id
            }
            Arrival::Join {
                role,
                password_hash,
            } => {
                if !role.is_partner() {
                    return Err(StoreError::Invalid("not a partner role".into()));
                }
                let m = admin_user::ActiveModel {
                    id: Set(crate::new_id()),
                    email: Set(crate::people::normalise_email(email)?),
                    password_hash: Set(password_hash),
                    role: Set(role),
                    enabled: Set(true),
                    created_at: Set(now),
                    partner_id: Set(Some(p.id.clone())),
                }
                .insert(&txn)
                .await
                .map_err(|e| StoreError::from_insert(e, &format!("user {email}")))?;
                link(m.id.clone())
                    .insert(&txn)
                    .await
                    .map_err(|e| StoreError::from_insert(e, "a link for this identity"))?;
                audit::record(
                    &txn,
                    actor,
                    entente_domain::audit::AuditAction::PartnerUserJoin,
                    &format!("partner:{}", p.slug),
                    json!({"email": email, "role": role, "issuer": issuer}),
                    now,
                )
                .await?;
                m.id
            }
        };
        let user = admin_user::Entity::find_by_id(user_id.clone())
            .filter(admin_user::Column::PartnerId.eq(&p.id))
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {user_id}")))?;
        txn.commit().await?;
        Ok(user)
    }
}
