//! What a partner's admins ask of Entente's administrators from the portal: production, more
//! scopes, a production client. Filed, never applied, by the partner; each checked here so no
//! door can file what the partner could not have.

use entente_domain::ScopeSet;
use entente_domain::grant::GrantType;
use entente_store::entities::{change_request, partner};
use entente_store::enums::{EnvironmentColumn, PartnerStage};
use entente_store::governance::Change;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

impl Operations {
    /// The acting partner user's partner, authorized to file a request.
    async fn filing_partner(&self, actor: &Actor) -> Result<partner::Model, OpError> {
        let p = self.partner_named(actor, None).await?;
        authorize(actor, Operation::FileChangeRequest, Target::Partner(&p))?;
        Ok(p)
    }

    /// Sandbox → production, approved once the onboarding checklist is complete.
    pub async fn request_production(
        &self,
        actor: &Actor,
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        let p = self.filing_partner(actor).await?;
        if p.stage != PartnerStage::Sandbox {
            return Err(OpError::Invalid(format!(
                "production can be requested from the sandbox; your organisation is in {}",
                p.stage
            )));
        }
        self.file_change_request(actor, Change::Promote { partner: p.slug }, reason, now)
            .await
    }

    /// `scopes` on `audience`, on top of what the partner holds there (only what is new is
    /// filed: the administrator approves it on top of the grant as it is then).
    pub async fn request_scopes(
        &self,
        actor: &Actor,
        audience: String,
        scopes: &str,
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        let p = self.filing_partner(actor).await?;
        let unknown = || OpError::NotFound(format!("audience {audience}"));
        // The admin API's audience is managed from the host: to a partner, it does not exist.
        if audience.trim_end_matches('/') == self.admin_audience() {
            return Err(unknown());
        }
        let asked =
            ScopeSet::parse(scopes).map_err(|e| OpError::Invalid(e.description.to_string()))?;
        if asked.is_empty() {
            return Err(OpError::Invalid("pick at least one scope".into()));
        }
        let Some((_, defined)) = self
            .store
            .list_audiences()
            .await?
            .into_iter()
            .find(|(a, _)| a.identifier == audience && a.enabled)
        else {
            return Err(unknown());
        };
        if let Some(s) = asked.iter().find(|s| !defined.iter().any(|d| d.name == *s)) {
            return Err(OpError::Invalid(format!("{audience} has no scope {s}")));
        }
        let held = self
            .store
            .grants_of(&p.id)
            .await?
            .into_iter()
            .find(|(a, _)| *a == audience)
            .map(|(_, s)| ScopeSet::from_tokens(s.split_whitespace()))
            .unwrap_or_default();
        if asked.is_subset(&held) {
            return Err(OpError::Invalid("you already hold these scopes".into()));
        }
        let scopes = ScopeSet::from_tokens(
            asked
                .iter()
                .filter(|s| !held.contains(s))
                .map(str::to_owned),
        );
        let change = Change::AddScopes {
            partner: p.slug,
            audience,
            scopes,
        };
        self.file_change_request(actor, change, reason, now).await
    }

    /// A production client with scopes the partner holds on production audiences; created
    /// without a secret on approval (the partner issues one itself, so nobody else sees it).
    pub async fn request_production_client(
        &self,
        actor: &Actor,
        name: &str,
        scopes: &str,
        grant_types: &[String],
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        let p = self.filing_partner(actor).await?;
        if p.stage != PartnerStage::Production {
            return Err(OpError::Invalid(
                "production clients come once your organisation is in production: request production on the overview first".into(),
            ));
        }
        entente_domain::names::check_display_name(name).map_err(OpError::Invalid)?;
        let asked =
            ScopeSet::parse(scopes).map_err(|e| OpError::Invalid(e.description.to_string()))?;
        if asked.is_empty() {
            return Err(OpError::Invalid("pick at least one scope".into()));
        }
        let held = self
            .scopes_held(&p.id, EnvironmentColumn::Production)
            .await?;
        if let Some(missing) = asked.iter().find(|s| !held.contains(s)) {
            return Err(OpError::Invalid(format!(
                "{missing} is not granted to you in production; request it under Requests first"
            )));
        }
        let grant_types = crate::clients::grant_types_of(grant_types)?;
        self.check_partner_grant_types(&p, &grant_types, EnvironmentColumn::Production)
            .await?;
        let change = Change::ProductionClient {
            partner: p.slug,
            name: name.trim().to_owned(),
            scopes: asked,
            grant_types: grant_types
                .iter()
                .map(|g| GrantType::as_str(*g).to_owned())
                .collect(),
        };
        self.file_change_request(actor, change, reason, now).await
    }
}
