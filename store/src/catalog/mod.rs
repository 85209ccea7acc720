//! Partners, audiences and scopes, grants, clients and their credentials.

use entente_domain::ScopeSet;
pub use entente_domain::environment::Environment;
use entente_domain::lifecycle::Stage;

use crate::StoreError;
use crate::catalog_rows::{
    ClientKeysRow, ClientRow, GrantRow, IssuerRow, PartnerRow, RuleRow, SecretRow,
};
use crate::entities::{audience, scope};

pub use crate::enums::{ClientAuth, ClientKind, PartnerStage};

mod audiences;
mod clients;
mod load;
mod partners;
mod scopes;
mod testers;
pub use testers::TESTER_OWNER;
pub(crate) use testers::stop_tester_client_in;

pub(crate) use audiences::{
    audience_by_identifier_in, audience_scopes_in, create_audience_in, insert_scopes_in,
    set_grant_in,
};
pub(crate) use clients::{check_client_cap, create_client_in};
pub(crate) use partners::{
    create_partner_in, partner_by_slug_in, reactivate_partner_in, set_partner_stage_in,
    suspend_partner_in,
};
pub(crate) use scopes::add_scopes_in;

#[derive(Debug, Clone)]
pub struct NewPartner {
    pub slug: String,
    pub name: String,
    /// Where it starts: applied, in_review, sandbox or production. The console and the CLI
    /// never start one in production (`governance::check_initial_stage`); seeds and tests may.
    pub stage: Stage,
}

#[derive(Debug, Clone)]
pub struct NewAudience {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_lifetime: i64,
    /// Sandbox audiences get tokens from sandbox clients only (and production ones from
    /// production clients only).
    pub environment: Environment,
}

#[derive(Debug, Clone)]
pub struct NewClient {
    pub kind: ClientKind,
    pub partner_id: Option<String>,
    pub audience_id: Option<String>,
    pub name: String,
    pub auth_method: ClientAuth,
    pub grant_types: Vec<String>,
    pub allowed_scopes: ScopeSet,
    /// Keyed hash of the initial secret (secret clients).
    pub secret_hash: Option<Vec<u8>>,
    /// Public JWKS as JSON text (private_key_jwt clients), or
    pub jwks: Option<String>,
    /// where the client publishes it.
    pub jwks_uri: Option<String>,
    /// `None`: production for a partner in production, else the sandbox; a resource server is
    /// always in its audience's environment.
    pub environment: Option<Environment>,
    /// An API client's owner (a console user's e-mail): four eyes treat its token as them.
    pub owner: Option<String>,
}

impl NewClient {
    /// A partner's client that authenticates with a secret (client_secret_basic or _post).
    pub fn partner_secret(
        partner_id: String,
        name: String,
        scopes: ScopeSet,
        grant_types: Vec<String>,
        secret_hash: Vec<u8>,
    ) -> Self {
        Self {
            kind: ClientKind::Partner,
            partner_id: Some(partner_id),
            audience_id: None,
            name,
            auth_method: ClientAuth::ClientSecret,
            grant_types,
            allowed_scopes: scopes,
            secret_hash: Some(secret_hash),
            jwks: None,
            jwks_uri: None,
            environment: None,
            owner: None,
        }
    }

    /// The same client in a named environment.
    pub fn in_environment(self, environment: Option<Environment>) -> Self {
        Self {
            environment,
            ..self
        }
    }

    /// The same client, owned by a console user (an admin API client).
    pub fn owned_by(self, owner: String) -> Self {
        Self {
            owner: Some(owner),
            ..self
        }
    }

    /// A partner's client that authenticates with private_key_jwt against its registered JWKS
    /// (a document, or the address it is published at).
    pub fn partner_key(
        partner_id: String,
        name: String,
        scopes: ScopeSet,
        grant_types: Vec<String>,
        keys: crate::client_keys::ClientKeys,
    ) -> Self {
        let (jwks, jwks_uri) = keys.columns();
        Self {
            auth_method: ClientAuth::PrivateKeyJwt,
            secret_hash: None,
            jwks: Some(jwks),
            jwks_uri,
            ..Self::partner_secret(partner_id, name, scopes, grant_types, vec![])
        }
    }

    /// An API's own client: introspects tokens for its audience, obtains none.
    pub fn resource_server(audience_id: String, name: String, secret_hash: Vec<u8>) -> Self {
        Self {
            kind: ClientKind::ResourceServer,
            partner_id: None,
            audience_id: Some(audience_id),
            name,
            auth_method: ClientAuth::ClientSecret,
            grant_types: vec![],
            allowed_scopes: ScopeSet::default(),
            secret_hash: Some(secret_hash),
            jwks: None,
            jwks_uri: None,
            environment: None,
            owner: None,
        }
    }
}

/// Everything the token service serves from memory.
#[derive(Debug, Clone, Default)]
pub struct CatalogData {
    pub partners: Vec<PartnerRow>,
    pub audiences: Vec<audience::Model>,
    pub scopes: Vec<scope::Model>,
    pub grants: Vec<GrantRow>,
    pub clients: Vec<ClientRow>,
    pub secrets: Vec<SecretRow>,
    pub jwks: Vec<ClientKeysRow>,
    pub trusted_issuers: Vec<IssuerRow>,
    pub trust_rules: Vec<RuleRow>,
    pub rate_tiers: Vec<crate::entities::rate_tier::Model>,
    pub rate_limits: Vec<crate::entities::rate_limit::Model>,
}

fn invalid(e: String) -> StoreError {
    StoreError::Invalid(e)
}
