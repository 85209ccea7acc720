//! Sandbox testers' own clients, so a tester tries the sandbox without anybody passing a secret
//! on by hand (Stripe's test keys are the benchmark). A partner's admins turn them on; then a
//! tester gets one sandbox client of their own — every scope the partner holds in the sandbox,
//! client credentials and, where a trust rule allows it, token exchange — and each further ask
//! gives it a new secret, the old one ending at once.

use entente_domain::environment::Environment;
use entente_domain::grant::GrantType;
use entente_domain::lifecycle::Stage;
use entente_domain::secret::{generate_secret, new_client_id};
use entente_store::catalog::{NewClient, TESTER_OWNER};
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

    /// The tester's own sandbox client with a new secret (shown once), and whether it was
    /// made just now: created on the first ask, given a new secret (the old one ending at
    /// once) on every later one. The store decides under the partner's lock whether testers'
    /// clients are allowed, so a switch turned off meanwhile is never outrun.
    pub async fn tester_credentials(
        &self,
        actor: &Actor,
        now: i64,
    ) -> Result<(CreatedClient, bool), OpError> {
        let p = self.partner_named(actor, None).await?;
        authorize(actor, Operation::TesterCredentials, Target::Partner(&p))?;
        if !Stage::from(p.stage).holds_tokens() {
            return Err(OpError::Invalid(format!(
                "{} is not in the sandbox or production yet, so its clients get no tokens",
                p.name
            )));
        }
        let owner = actor.audit().name.clone();
        let secret = generate_secret();
        let hash = self.hasher.hash(&secret);
        let new = self.new_tester_client(&p, &owner, hash).await?;
        let (client, created) = self
            .store
            .issue_tester_secret(actor.audit(), &p.id, &owner, new, new_client_id(), now)
            .await?;
        self.publish().await;
        Ok((
            CreatedClient {
                token_endpoint: format!(
                    "{}/oauth2/token",
                    Environment::Sandbox.issuer(&self.issuer)
                ),
                client,
                partner: p,
                secret: Some(secret),
            },
            created,
        ))
    }

    /// The client a tester's first ask creates: every scope the partner holds in the sandbox,
    /// client credentials, and token exchange where a trust rule lets the partner exchange.
    async fn new_tester_client(
        &self,
        p: &partner::Model,
        owner: &str,
        hash: Vec<u8>,
    ) -> Result<NewClient, OpError> {
        let scopes = self.scopes_held(&p.id, EnvironmentColumn::Sandbox).await?;
        if scopes.is_empty() {
            return Err(OpError::Invalid(format!(
                "{} holds no sandbox scopes yet, so a client could ask for nothing: its admins ask for them first",
                p.name
            )));
        }
        let mut grant_types = vec![GrantType::ClientCredentials];
        let exchange = [GrantType::ClientCredentials, GrantType::TokenExchange];
        if self
            .check_partner_grant_types(p, &exchange, EnvironmentColumn::Sandbox)
            .await
            .is_ok()
        {
            grant_types.push(GrantType::TokenExchange);
        }
        let email = owner.strip_prefix(TESTER_OWNER).unwrap_or(owner);
        Ok(NewClient {
            owner: Some(owner.to_owned()),
            ..NewClient::partner_secret(
                p.id.clone(),
                format!("sandbox tester {email}"),
                scopes,
                grant_types.iter().map(|g| g.as_str().to_owned()).collect(),
                hash,
            )
        }
        .in_environment(Some(Environment::Sandbox)))
    }
}
