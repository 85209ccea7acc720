//! Sandbox testers' own clients, so a tester tries the sandbox without anybody passing a secret
//! on by hand (Stripe's test keys are the benchmark). A partner's admins turn them on; then a
//! tester gets one sandbox client of their own — every scope the partner holds in the sandbox,
//! client credentials and, where a trust rule allows it, token exchange — and each further ask
//! gives it a new secret, the old one ending at once.

use entente_domain::environment::Environment;
use entente_domain::grant::GrantType;
use entente_domain::lifecycle::Stage;
use entente_domain::secret::{generate_secret, new_client_id};
use entente_store::catalog::NewClient;
use entente_store::entities::partner;
use entente_store::enums::EnvironmentColumn;

use crate::actor::Actor;
use crate::clients::CreatedClient;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

impl Operations {
    /// Lets the partner's sandbox testers each get a sandbox client of their own, or stops it
    /// (their clients stop working at once). `partner`: a slug for staff; a partner's admin
    /// acts on their own.
    pub async fn set_tester_clients(
        &self,
        actor: &Actor,
        partner: Option<&str>,
        allowed: bool,
        now: i64,
    ) -> Result<partner::Model, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(actor, Operation::SetTesterClients, Target::Partner(&p))?;
        let m = self
            .store
            .set_tester_clients(actor.audit(), &p.id, allowed, now)
            .await?;
        self.publish().await;
        Ok(m)
    }

    /// The tester's own sandbox client with a new secret (shown once): created on the first
    /// ask, given a new secret (the old one ending at once) on every later one, and turned on
    /// again if the partner's admins had turned testers' clients off and on since.
    pub async fn tester_credentials(
        &self,
        actor: &Actor,
        now: i64,
    ) -> Result<CreatedClient, OpError> {
        let p = self.partner_named(actor, None).await?;
        authorize(actor, Operation::TesterCredentials, Target::Partner(&p))?;
        if !p.testers_get_clients {
            return Err(OpError::Forbidden(format!(
                "{}'s admins have not let sandbox testers get their own client: ask one of them to turn it on under Team in the portal",
                p.name
            )));
        }
        if !Stage::from(p.stage).holds_tokens() {
            return Err(OpError::Invalid(format!(
                "{} is not in the sandbox or production yet, so its clients get no tokens",
                p.name
            )));
        }
        let owner = actor.audit().name.clone();
        let secret = generate_secret();
        let hash = self.hasher.hash(&secret);
        let client = match self.store.tester_client(&p.id, &owner).await? {
            Some(c) => {
                if !c.enabled {
                    self.store
                        .set_client_enabled(actor.audit(), &c.client_id, true, now)
                        .await?;
                }
                self.store
                    .rotate_client_secret(actor.audit(), &c.client_id, hash, 0, now)
                    .await?;
                self.store.client(&c.client_id).await?
            }
            None => self.new_tester_client(actor, &p, &owner, hash, now).await?,
        };
        self.publish().await;
        Ok(CreatedClient {
            token_endpoint: format!("{}/oauth2/token", Environment::Sandbox.issuer(&self.issuer)),
            client,
            partner: p,
            secret: Some(secret),
        })
    }

    async fn new_tester_client(
        &self,
        actor: &Actor,
        p: &partner::Model,
        owner: &str,
        hash: Vec<u8>,
        now: i64,
    ) -> Result<entente_store::entities::client::Model, OpError> {
        let scopes = self.scopes_held(&p.id, EnvironmentColumn::Sandbox).await?;
        if scopes.is_empty() {
            return Err(OpError::Invalid(format!(
                "{} holds no sandbox scopes yet, so a client could ask for nothing: its admins ask for them first",
                p.name
            )));
        }
        // Token exchange only where the partner may use it in the sandbox (a trust rule).
        let mut grant_types = vec![GrantType::ClientCredentials];
        let exchange = [GrantType::ClientCredentials, GrantType::TokenExchange];
        if self
            .check_partner_grant_types(p, &exchange, EnvironmentColumn::Sandbox)
            .await
            .is_ok()
        {
            grant_types.push(GrantType::TokenExchange);
        }
        let email = owner.strip_prefix("portal:").unwrap_or(owner);
        let new = NewClient {
            owner: Some(owner.to_owned()),
            ..NewClient::partner_secret(
                p.id.clone(),
                format!("sandbox tester {email}"),
                scopes,
                grant_types.iter().map(|g| g.as_str().to_owned()).collect(),
                hash,
            )
        }
        .in_environment(Some(Environment::Sandbox));
        Ok(self
            .store
            .create_client(actor.audit(), new, new_client_id(), now)
            .await?)
    }
}
