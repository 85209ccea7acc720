//! What people do before they have an account here: apply to become a partner, accept a console
//! invitation, arrive through their organisation's own provider. Anyone may try these, so each
//! is budgeted per account and per source address before any work is done; signing in with a
//! password is here too.

use std::net::IpAddr;

use entente_domain::application::Application;
use entente_domain::sso::{self, Mapping, Member, ProviderUser};
use entente_store::entities::{admin_user, partner, partner_sign_in};
use entente_store::enums::PartnerStage;
use entente_store::sign_in::Arrival;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// The one sentence for every console invitation that cannot be used: whether it exists, was
/// used, expired or names another address is not told.
const INVITATION_UNUSABLE: &str =
    "this link is invalid, used or expired, or it was made for another e-mail address";

/// The one sentence for a failed password sign-in: unknown account and wrong password alike.
pub const WRONG_PASSWORD: &str = "e-mail or password is wrong";

/// Which of the budgets an attempt spends.
#[derive(Clone, Copy)]
enum Budget {
    SignIn,
    Applications,
}

impl Budget {
    fn of(self, t: &crate::ports::Throttles) -> &crate::LoginThrottle {
        match self {
            Self::SignIn => &t.sign_in,
            Self::Applications => &t.applications,
        }
    }
}

impl Operations {
    /// The budgets of attempts made without an account. Only the host's operations (the CLI,
    /// which makes none of these) go without them: anywhere else their absence refuses rather
    /// than lets everything through.
    fn budgets(&self, actor: &Actor) -> Result<Option<&crate::ports::Throttles>, OpError> {
        match self.throttles() {
            Some(t) => Ok(Some(t)),
            None if actor.is_host() => Ok(None),
            None => {
                tracing::error!("operations without throttles were asked by a caller");
                Err(OpError::Unavailable)
            }
        }
    }

    /// Spends one attempt of `key` from `source` in the budget `which` picks, or refuses with
    /// `refusal` (429) when it is spent.
    fn spend(
        &self,
        actor: &Actor,
        which: Budget,
        key: &str,
        source: Option<IpAddr>,
        refusal: &str,
    ) -> Result<(), OpError> {
        match self.budgets(actor)? {
            Some(t) if !which.of(t).allow(key, source) => {
                tracing::warn!(refusal, "attempt throttled");
                Err(OpError::TooMany(refusal.into()))
            }
            _ => Ok(()),
        }
    }

    /// Signs in with a password: the account (console or partner user) whose password it is,
    /// audited either way; an unknown account costs the same Argon2 work as a known one, and
    /// both are refused with one sentence (`SignedOut`, `WRONG_PASSWORD`).
    pub async fn sign_in_with_password(
        &self,
        actor: &Actor,
        email: &str,
        password: String,
        source: Option<IpAddr>,
        now: i64,
    ) -> Result<admin_user::Model, OpError> {
        authorize(actor, Operation::SignIn, Target::Global)?;
        self.spend(
            actor,
            Budget::SignIn,
            email,
            source,
            "too many sign-in attempts; wait a minute and try again",
        )?;
        let account = self.store.admin_by_email(email).await?;
        let phc = account
            .as_ref()
            .filter(|a| a.enabled)
            .map(|a| a.password_hash.clone());
        let ok = crate::password::password_work(move || match phc {
            Some(phc) => entente_domain::password::verify_password(&password, &phc),
            None => {
                entente_domain::password::dummy_verify(&password);
                false
            }
        })
        .await?;
        // Security events are audited: who, from where, and (for failures) which e-mail was
        // tried; best effort (a sign-in is not refused because its event could not be written).
        let typed: String = email
            .trim()
            .to_ascii_lowercase()
            .chars()
            .take(254)
            .collect();
        let action = match (&account, ok) {
            (Some(_), true) => entente_domain::audit::AuditAction::SessionSignIn,
            _ => entente_domain::audit::AuditAction::SessionSignInFailed,
        };
        if let Err(e) = self
            .store
            .record_event(
                actor.audit(),
                action,
                &format!("admin:{typed}"),
                serde_json::json!({}),
                now,
            )
            .await
        {
            tracing::error!(error = %e, action = action.as_str(), "writing a sign-in audit event failed");
        }
        match account {
            Some(a) if ok => {
                if let Some(t) = self.throttles() {
                    t.sign_in.signed_in(&typed, source);
                }
                Ok(a)
            }
            _ => Err(OpError::SignedOut),
        }
    }

    /// Files an application from the public form; the partner it creates waits in stage
    /// `applied`. A typo is refused before any budget is spent, and the caps every replica
    /// shares (per hour: everyone, one network, one address) hold in the store's transaction.
    pub async fn apply_partner(
        &self,
        actor: &Actor,
        application: Application,
        source: Option<IpAddr>,
        now: i64,
    ) -> Result<partner::Model, OpError> {
        authorize(actor, Operation::Apply, Target::Global)?;
        let application = application.normalised();
        application.check().map_err(OpError::Invalid)?;
        self.spend(
            actor,
            Budget::Applications,
            &application.contact_email,
            source,
            "too many applications from here; try again in an hour",
        )?;
        Ok(self
            .store
            .apply_partner(actor.audit(), application, now)
            .await?)
    }

    /// Accepts a console invitation: the invited address only, once, with a password of its
    /// owner's choosing; the new console user.
    pub async fn accept_console_invitation(
        &self,
        actor: &Actor,
        token: &str,
        email: &str,
        password: String,
        source: Option<IpAddr>,
        now: i64,
    ) -> Result<admin_user::Model, OpError> {
        authorize(actor, Operation::SignIn, Target::Global)?;
        // No password work for a link that cannot be used, and no more than sign-in allows.
        self.spend(
            actor,
            Budget::SignIn,
            email,
            source,
            "too many attempts; wait a minute and try again",
        )?;
        let digest = self.hasher.hash(token);
        if !self.store.invite_valid(&digest, now).await? {
            return Err(OpError::Invalid(INVITATION_UNUSABLE.into()));
        }
        let hash = crate::password::password_work(move || {
            entente_domain::password::hash_password(&password)
        })
        .await?
        .map_err(OpError::Invalid)?;
        let user = self
            .store
            .accept_invite(&digest, email, hash, now)
            .await
            .map_err(|e| match e {
                entente_store::StoreError::NotFound(_) => {
                    OpError::Invalid(INVITATION_UNUSABLE.into())
                }
                other => other.into(),
            })?;
        if let Some(t) = self.throttles() {
            t.sign_in.signed_in(email, source);
        }
        Ok(user)
    }

    /// A partner's person arrives through the partner's provider, whose ID token has been
    /// verified: their linked account, an account of theirs linked now, or a new one when the
    /// partner lets people of its domains join (`sso::map_user` decides); the partner user who
    /// signs in. Refusals of who they are come back as `Forbidden`.
    pub async fn arrive(
        &self,
        actor: &Actor,
        p: &partner::Model,
        settings: &partner_sign_in::Model,
        user: &ProviderUser,
        now: i64,
    ) -> Result<admin_user::Model, OpError> {
        authorize(actor, Operation::SignIn, Target::Partner(p))?;
        // Nobody arrives at the host's own partner or at one whose access has ended, nor
        // through a provider its admins have turned off.
        if p.host_only || p.stage == PartnerStage::Offboarded || !settings.enabled {
            return Err(OpError::Forbidden(
                "single sign-on is not available for this organisation".into(),
            ));
        }
        let member = |u: admin_user::Model, linked_here: bool| Member {
            user_id: u.id,
            partner_id: u.partner_id,
            enabled: u.enabled,
            linked_here,
        };
        let linked = self
            .store
            .identity_user(&settings.issuer, &user.subject)
            .await?
            .map(|u| member(u, true));
        let by_email = match self.store.admin_by_email(&user.email).await? {
            Some(u) => {
                let here = self.store.has_identity_at(&settings.issuer, &u.id).await?;
                Some(member(u, here))
            }
            None => None,
        };
        let domains: Vec<String> = settings
            .domains
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        let join = settings.join_role.map(|r| r.to_string());
        let arrival = match sso::map_user(
            &p.id,
            user,
            linked.as_ref(),
            by_email.as_ref(),
            join.as_deref(),
            &domains,
        ) {
            Mapping::Linked(id) => Arrival::Linked(id),
            Mapping::Link(id) => Arrival::Link(id),
            // A suspended partner's people may still sign in and read, but nobody new joins.
            Mapping::Join(_) if p.stage == PartnerStage::Suspended => {
                return Err(OpError::Forbidden(
                    "your organisation is suspended: nobody new joins until it is reactivated"
                        .into(),
                ));
            }
            Mapping::Join(role) => Arrival::Join {
                role: role.parse().map_err(OpError::Invalid)?,
                // Joined people sign in through their provider: a password nobody knows.
                password_hash: crate::password::unusable_password().await?,
            },
            Mapping::Refuse(why) => return Err(OpError::Forbidden(why.into())),
        };
        Ok(self
            .store
            .arrive(
                actor.audit(),
                p,
                &settings.issuer,
                &user.subject,
                &user.email,
                arrival,
                now,
            )
            .await?)
    }
}
