//! A partner's single sign-on through its own OpenID Connect provider, set by its admins.

use entente_store::enums::Role;
use entente_store::sign_in::SignInSettings;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// The provider as typed.
#[derive(Debug, Clone)]
pub struct SignInRequest {
    pub issuer: String,
    pub client_id: String,
    /// `None` keeps the stored secret (the store requires it again when the issuer or the
    /// client id changes, so a stored secret is never sent to a new provider).
    pub client_secret: Option<String>,
    /// The role people of `domains` get when they join by themselves; `None`: nobody joins.
    pub join_role: Option<String>,
    /// Comma- or space-separated e-mail domains.
    pub domains: String,
    pub enabled: bool,
}

impl Operations {
    /// Sets the acting partner user's partner's provider: the issuer checked against the SSRF
    /// rules (and its discovery document fetched when enabled), the secret sealed.
    pub async fn set_sign_in(
        &self,
        actor: &Actor,
        req: SignInRequest,
        now: i64,
    ) -> Result<(), OpError> {
        let p = self.partner_named(actor, None).await?;
        authorize(actor, Operation::SetSignIn, Target::Partner(&p))?;
        let join_role = match req.join_role.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => Some(
                r.parse::<Role>()
                    .ok()
                    .filter(|r| r.is_partner())
                    .ok_or_else(|| {
                        OpError::Invalid(
                            "people join as partner_viewer, partner_admin or sandbox_tester".into(),
                        )
                    })?,
            ),
        };
        let domains = entente_domain::sso::parse_domains(&req.domains).map_err(OpError::Invalid)?;
        if join_role.is_some() && domains.is_empty() {
            return Err(OpError::Invalid(
                "name the e-mail domains whose people may join by themselves".into(),
            ));
        }
        let providers = self.providers().ok_or_else(|| {
            OpError::Invalid("single sign-on is set by the partner's admins in the portal".into())
        })?;
        let issuer = req.issuer.trim().to_owned();
        providers
            .check_provider(issuer.clone(), req.enabled)
            .await
            .map_err(OpError::Invalid)?;
        let sealed = req
            .client_secret
            .filter(|s| !s.is_empty())
            .map(|s| providers.seal_secret(&p.id, &s));
        self.store
            .set_partner_sign_in(
                actor.audit(),
                &p,
                SignInSettings {
                    issuer,
                    client_id: req.client_id,
                    client_secret_sealed: sealed,
                    join_role,
                    domains,
                    enabled: req.enabled,
                },
                now,
            )
            .await?;
        Ok(())
    }
}
