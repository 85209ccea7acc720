//! The admin API's own clients: held by the host-only `operations` partner, each acting as one
//! console role and answered for by a console user whose role reaches as far. Only the host
//! makes them (the policy table), so no door an operator reaches can mint an administrator.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::lifecycle::Stage;
use entente_domain::rate_limit::{Rate, Setting};
use entente_store::StoreError;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use entente_store::entities::{client, partner};
use entente_store::enums::Role;
use entente_store::limits::Subject;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// The partner that holds the admin API's clients.
pub const OPERATIONS: &str = "operations";

/// The role scopes of the admin API, strongest first.
const ROLES: [(&str, Role); 3] = [
    ("entente:admin", Role::Admin),
    ("entente:operator", Role::Operator),
    ("entente:auditor", Role::Auditor),
];

/// A new admin API client, its secret shown once.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub client: client::Model,
    pub secret: String,
    pub audience: String,
    pub scope: String,
    pub owner: String,
}

/// The role an admin API client acts as: the strongest `entente:` scope it holds.
pub fn role_of_client(scopes: &str) -> Option<Role> {
    ROLES
        .into_iter()
        .find(|(s, _)| scopes.split_whitespace().any(|x| x == *s))
        .map(|(_, r)| r)
}

fn rank(r: Role) -> u8 {
    match r {
        Role::Admin => 3,
        Role::Operator => 2,
        Role::Auditor => 1,
        _ => 0,
    }
}

impl Operations {
    /// The owner of a client acting as `role`: an enabled console user whose own role reaches
    /// as far (an operator does not answer for an administrator's client).
    async fn owner_for(&self, owner: &str, role: Role) -> Result<String, OpError> {
        match self.store.admin_by_email(owner).await? {
            Some(u) if u.partner_id.is_none() && u.enabled && rank(u.role) >= rank(role) => {
                Ok(u.email)
            }
            Some(u) if u.partner_id.is_none() && u.enabled => Err(OpError::Invalid(format!(
                "--owner {owner} is {}: the owner of a client acting as {role} must be {role} or more",
                u.role
            ))),
            _ => Err(OpError::Invalid(format!(
                "--owner {owner} is not an enabled console user: the owner answers for the client"
            ))),
        }
    }

    /// Makes an admin API client acting as `role`, owned by `owner`: the admin API's audience
    /// and the host-only `operations` partner (with its grant and a rate limit of its own, so
    /// no tier an operator edits can throttle the automation) are set up the first time.
    pub async fn create_api_client(
        &self,
        actor: &Actor,
        name: String,
        role: Role,
        owner: &str,
        now: i64,
    ) -> Result<ApiClient, OpError> {
        authorize(actor, Operation::ManageApiClients, Target::Global)?;
        let scope = ROLES
            .iter()
            .find(|(_, r)| *r == role)
            .map(|(s, _)| (*s).to_owned())
            .ok_or_else(|| OpError::Invalid(format!("{role} is not a console role")))?;
        let owner = self.owner_for(owner, role).await?;
        let audit = actor.audit();
        let audience = self.admin_audience();
        self.ensure_admin_audience(audit, &audience, now).await?;
        let partner = self.operations_partner(audit, now).await?;
        self.ensure_operations_limit(audit, now).await?;
        let all = ScopeSet::from_tokens(ROLES.iter().map(|(s, _)| *s));
        self.store
            .set_grant(audit, OPERATIONS, &audience, &all, now)
            .await?;
        let secret = entente_domain::secret::generate_secret();
        let new = NewClient::partner_secret(
            partner.id,
            name,
            ScopeSet::from_tokens([scope.as_str()]),
            vec!["client_credentials".into()],
            self.hasher.hash(&secret),
        )
        .in_environment(Some(Environment::Production))
        .owned_by(owner.clone());
        let client = self
            .store
            .create_client(audit, new, entente_domain::secret::new_client_id(), now)
            .await?;
        self.publish().await;
        Ok(ApiClient {
            client,
            secret,
            audience,
            scope,
            owner,
        })
    }

    /// The admin API's audience, made the first time.
    async fn ensure_admin_audience(
        &self,
        audit: &entente_store::Actor,
        audience: &str,
        now: i64,
    ) -> Result<(), OpError> {
        match self.store.audience_by_identifier(audience).await {
            Ok(_) => {}
            Err(StoreError::NotFound(_)) => {
                self.store
                    .create_audience(
                        audit,
                        NewAudience {
                            identifier: audience.to_owned(),
                            name: "Admin API".into(),
                            scopes: ROLES.iter().map(|(s, _)| (*s).to_owned()).collect(),
                            token_lifetime: 300,
                            environment: Environment::Production,
                        },
                        now,
                    )
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// The host-only `operations` partner, made the first time; a partner of that name the
    /// host did not make, or one out of production, cannot hold the admin API's clients.
    async fn operations_partner(
        &self,
        audit: &entente_store::Actor,
        now: i64,
    ) -> Result<partner::Model, OpError> {
        let partner = match self.store.partner_by_slug(OPERATIONS).await {
            Ok(p) if p.host_only => p,
            Ok(_) => {
                return Err(OpError::Conflict(format!(
                    "a partner named {OPERATIONS} exists and was not made by the host: the admin API's clients cannot join it (rename it first)"
                )));
            }
            Err(StoreError::NotFound(_)) => {
                self.store
                    .create_host_partner(
                        audit,
                        NewPartner {
                            slug: OPERATIONS.into(),
                            name: "Entente operations".into(),
                            stage: Stage::Production,
                        },
                        now,
                    )
                    .await?
            }
            Err(e) => return Err(e.into()),
        };
        if Stage::from(partner.stage) != Stage::Production {
            return Err(OpError::Conflict(format!(
                "the {OPERATIONS} partner is {}, not in production: its clients cannot get admin API tokens",
                partner.stage
            )));
        }
        Ok(partner)
    }

    /// The `operations` partner's own rate limit, set the first time, so that no tier an
    /// operator edits can throttle the automation.
    async fn ensure_operations_limit(
        &self,
        audit: &entente_store::Actor,
        now: i64,
    ) -> Result<(), OpError> {
        if self
            .store
            .partner_limits(OPERATIONS)
            .await?
            .limit
            .setting
            .is_none()
        {
            self.store
                .set_rate_limit(
                    audit,
                    &Subject::Partner {
                        slug: OPERATIONS.into(),
                    },
                    Some(&Setting::Custom(Rate {
                        per_second: 50,
                        burst: 100,
                    })),
                    now,
                )
                .await?;
        }
        Ok(())
    }

    /// Names the console user who answers for an admin API client.
    pub async fn set_api_client_owner(
        &self,
        actor: &Actor,
        client_id: &str,
        owner: &str,
        now: i64,
    ) -> Result<String, OpError> {
        authorize(actor, Operation::ManageApiClients, Target::Global)?;
        let c = self.store.client(client_id).await?;
        let role = role_of_client(&c.allowed_scopes).ok_or_else(|| {
            OpError::Invalid(format!(
                "{client_id} is not an admin API client (it holds no entente: scope)"
            ))
        })?;
        let owner = self.owner_for(owner, role).await?;
        self.store
            .set_client_owner(actor.audit(), client_id, &owner, now)
            .await?;
        Ok(owner)
    }

    /// A console user made directly by the host (the first administrator, or a recovery).
    pub async fn create_console_user(
        &self,
        actor: &Actor,
        email: &str,
        password_hash: String,
        role: Role,
        now: i64,
    ) -> Result<entente_store::entities::admin_user::Model, OpError> {
        authorize(actor, Operation::CreateConsoleUser, Target::Global)?;
        Ok(self
            .store
            .create_admin(actor.audit(), email, password_hash, role, now)
            .await?)
    }
}
