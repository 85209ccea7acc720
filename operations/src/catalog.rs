//! The catalog of APIs: audiences with their scopes, and what each scope means. Grants of
//! scopes to partners go through `submit` (they may need a second administrator).

use entente_domain::environment::Environment;
use entente_store::catalog::NewAudience;
use entente_store::entities::audience;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// An audience as a person typed it.
#[derive(Debug, Clone)]
pub struct AudienceRequest {
    pub identifier: String,
    /// Blank: the identifier.
    pub name: Option<String>,
    pub scopes: Vec<String>,
    /// Seconds; `None`: 300.
    pub token_lifetime: Option<i64>,
    pub environment: Environment,
}

impl Operations {
    /// A new audience; never the admin API's, nor with `entente:` scopes (the host's).
    pub async fn create_audience(
        &self,
        actor: &Actor,
        req: AudienceRequest,
        now: i64,
    ) -> Result<audience::Model, OpError> {
        authorize(actor, Operation::CreateAudience, Target::Global)?;
        if !actor.is_host() {
            self.not_reserved(
                Some(&req.identifier),
                req.scopes.iter().flat_map(|s| s.split_whitespace()),
            )?;
        }
        scope_list(&req.scopes.join(" "))?;
        let new = NewAudience {
            name: req
                .name
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| req.identifier.clone()),
            identifier: req.identifier,
            scopes: req
                .scopes
                .iter()
                .flat_map(|s| s.split_whitespace())
                .map(str::to_owned)
                .collect(),
            token_lifetime: req.token_lifetime.unwrap_or(300),
            environment: req.environment,
        };
        let a = self.store.create_audience(actor.audit(), new, now).await?;
        self.publish().await;
        Ok(a)
    }

    /// An API's own client, which introspects the tokens issued for its audience; its secret
    /// shown once.
    pub async fn create_resource_server(
        &self,
        actor: &Actor,
        audience: &str,
        name: String,
        now: i64,
    ) -> Result<
        (
            entente_store::entities::client::Model,
            audience::Model,
            String,
        ),
        OpError,
    > {
        authorize(actor, Operation::CreateResourceServer, Target::Global)?;
        let a = self.store.audience_by_identifier(audience).await?;
        if !actor.is_host() {
            self.not_reserved(Some(&a.identifier), [])?;
        }
        let secret = entente_domain::secret::generate_secret();
        let new = entente_store::catalog::NewClient::resource_server(
            a.id.clone(),
            name,
            self.hasher.hash(&secret),
        );
        let c = self
            .store
            .create_client(
                actor.audit(),
                new,
                entente_domain::secret::new_client_id(),
                now,
            )
            .await?;
        self.publish().await;
        Ok((c, a, secret))
    }

    /// A scope's description and sensitivity (low, medium or high).
    pub async fn set_scope_info(
        &self,
        actor: &Actor,
        audience: &str,
        scope: &str,
        description: &str,
        sensitivity: &str,
        now: i64,
    ) -> Result<(), OpError> {
        authorize(actor, Operation::SetScopeInfo, Target::Global)?;
        if !actor.is_host() {
            self.not_reserved(Some(audience), [scope])?;
        }
        self.store
            .set_scope_info(
                actor.audit(),
                audience,
                scope,
                description,
                sensitivity,
                now,
            )
            .await?;
        self.publish().await;
        Ok(())
    }

    /// More scopes on an audience, typed as a space-separated list.
    pub async fn add_scopes(
        &self,
        actor: &Actor,
        audience: &str,
        scopes: &str,
        now: i64,
    ) -> Result<audience::Model, OpError> {
        authorize(actor, Operation::ChangeAudience, Target::Global)?;
        if !actor.is_host() {
            self.not_reserved(Some(audience), [])?;
        }
        let set = scope_list(scopes)?;
        if !actor.is_host() {
            self.not_reserved(None, set.iter())?;
        }
        let a = self
            .store
            .add_scopes(actor.audit(), audience, &set, now)
            .await?;
        self.publish().await;
        Ok(a)
    }

    /// Removes a scope no grant or trust rule uses.
    pub async fn remove_scope(
        &self,
        actor: &Actor,
        audience: &str,
        scope: &str,
        now: i64,
    ) -> Result<(), OpError> {
        authorize(actor, Operation::ChangeAudience, Target::Global)?;
        if !actor.is_host() {
            self.not_reserved(Some(audience), [scope])?;
        }
        self.store
            .remove_scope(actor.audit(), audience, scope, now)
            .await?;
        self.publish().await;
        Ok(())
    }

    /// Deletes an audience nothing uses (no grant, trust rule or API client).
    pub async fn delete_audience(
        &self,
        actor: &Actor,
        audience: &str,
        now: i64,
    ) -> Result<(), OpError> {
        authorize(actor, Operation::ChangeAudience, Target::Global)?;
        if !actor.is_host() {
            self.not_reserved(Some(audience), [])?;
        }
        self.store
            .delete_audience(actor.audit(), audience, now)
            .await?;
        self.publish().await;
        Ok(())
    }
}

/// A list of scopes as typed, by the rule the console checks in the browser (no commas, RFC
/// 6749 `scope-token`s only).
fn scope_list(typed: &str) -> Result<entente_domain::ScopeSet, OpError> {
    entente_domain::names::check_scope_list(typed).map_err(OpError::Invalid)?;
    entente_domain::ScopeSet::parse(typed).map_err(|e| OpError::Invalid(e.description.into_owned()))
}
