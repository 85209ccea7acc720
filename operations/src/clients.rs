//! A partner's clients: creating one, rotating its secret, registering its keys, turning it off
//! and on — one path for the console, the portal, the admin API and the CLI.

use std::collections::{HashMap, HashSet};

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::grant::GrantType;
use entente_domain::secret::{generate_secret, new_client_id};
use entente_store::catalog::NewClient;
use entente_store::client_keys::ClientKeys;
use entente_store::entities::{client, partner};
use entente_store::enums::EnvironmentColumn;

use crate::actor::{Actor, Kind};
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// How a client proves who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// A secret Entente generates and shows once.
    Secret,
    /// private_key_jwt with this public JWKS document,
    Jwks(String),
    /// or with the JWKS published at this URL.
    JwksUri(String),
}

impl Credentials {
    /// From the words doors take: an auth method (`client_secret`, `client_secret_basic`,
    /// `client_secret_post` or `private_key_jwt`) and, for keys, a JWKS or its URL (blank is
    /// absent).
    pub fn parse(
        method: &str,
        jwks: Option<String>,
        jwks_uri: Option<String>,
    ) -> Result<Self, OpError> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let (jwks, jwks_uri) = (given(jwks), given(jwks_uri));
        match method.trim() {
            "" | "client_secret" | "client_secret_basic" | "client_secret_post" => {
                if jwks.is_some() || jwks_uri.is_some() {
                    return Err(OpError::Invalid(
                        "a JWKS or jwks_uri is only for private_key_jwt clients".into(),
                    ));
                }
                Ok(Self::Secret)
            }
            "private_key_jwt" => Self::keys(jwks, jwks_uri),
            m => Err(OpError::Invalid(format!(
                "the auth method is client_secret or private_key_jwt, not {m:?}"
            ))),
        }
    }

    /// Public keys: exactly one of a JWKS document and its URL.
    pub fn keys(jwks: Option<String>, jwks_uri: Option<String>) -> Result<Self, OpError> {
        let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        match (given(jwks), given(jwks_uri)) {
            (Some(d), None) => Ok(Self::Jwks(d)),
            (None, Some(u)) => Ok(Self::JwksUri(u)),
            (Some(_), Some(_)) => Err(OpError::Invalid(
                "give either a JWKS or a jwks_uri, not both".into(),
            )),
            (None, None) => Err(OpError::Invalid(
                "give the client's public JWKS or the URL it is published at (jwks_uri)".into(),
            )),
        }
    }
}

/// How a client is to authenticate, in the words a door took: judged by the operation only
/// after it has authorized the actor, so that a caller who may not act learns nothing from how
/// their input would have been judged (403 or 404 before any 400).
#[derive(Debug, Clone, Default)]
pub struct AuthInput {
    /// `client_secret` (also `client_secret_basic`, `client_secret_post`; `None` or blank:
    /// a secret) or `private_key_jwt`.
    pub method: Option<String>,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
}

impl AuthInput {
    /// A generated secret.
    pub fn secret() -> Self {
        Self::default()
    }

    /// Public keys: a JWKS document or its URL (the other blank or absent).
    pub fn keys(jwks: Option<String>, jwks_uri: Option<String>) -> Self {
        Self {
            method: Some("private_key_jwt".into()),
            jwks,
            jwks_uri,
        }
    }

    fn credentials(self) -> Result<Credentials, OpError> {
        Credentials::parse(
            self.method.as_deref().unwrap_or("client_secret"),
            self.jwks,
            self.jwks_uri,
        )
    }
}

/// A new client as a person asked for it.
#[derive(Debug, Clone)]
pub struct NewClientRequest {
    /// The partner's slug; `None`: the acting partner user's own partner.
    pub partner: Option<String>,
    pub name: String,
    /// Space-separated.
    pub scopes: String,
    pub credentials: AuthInput,
    /// `grant_type` values; empty: client_credentials.
    pub grant_types: Vec<String>,
    /// production or sandbox; `None`: the partner's stage decides.
    pub environment: Option<String>,
}

/// A checked client, ready for the store.
pub struct DraftClient {
    /// Shown once, never again.
    pub secret: Option<String>,
    pub new: NewClient,
    pub scopes: ScopeSet,
    pub grant_types: Vec<GrantType>,
    pub environment: Option<Environment>,
}

#[derive(Debug, Clone)]
pub struct CreatedClient {
    pub client: client::Model,
    pub partner: partner::Model,
    /// Shown once, never again.
    pub secret: Option<String>,
    /// Where the client asks for tokens (its environment's token endpoint).
    pub token_endpoint: String,
}

impl Operations {
    /// The partner a request names, or the acting partner user's own.
    pub(crate) async fn partner_named(
        &self,
        actor: &Actor,
        slug: Option<&str>,
    ) -> Result<partner::Model, OpError> {
        match (
            slug.map(str::trim).filter(|s| !s.is_empty()),
            actor.partner_id(),
        ) {
            (Some(slug), _) => Ok(self.store.partner_by_slug(slug).await?),
            (None, Some(own)) => Ok(self.store.partner_by_id(own).await?),
            (None, None) => Err(OpError::Invalid("name the partner".into())),
        }
    }

    /// A client the actor may act on with `op`: another partner's is "not found" to a partner
    /// user (G50), the admin API's own clients are the host's.
    pub async fn client_for(
        &self,
        actor: &Actor,
        op: Operation,
        client_id: &str,
    ) -> Result<(client::Model, Option<partner::Model>), OpError> {
        let c = self.store.client(client_id).await?;
        let p = match &c.partner_id {
            Some(pid) => Some(self.store.partner_by_id(pid).await?),
            None => None,
        };
        let target = p.as_ref().map_or(Target::Global, Target::Partner);
        match authorize(actor, op, target) {
            // To a partner's people, what is not theirs does not exist (G50): another
            // partner's client and an API's own client alike.
            Err(_) if actor.partner_id().is_some() => {
                Err(OpError::NotFound(format!("client {client_id}")))
            }
            Err(OpError::NotFound(_)) => Err(OpError::NotFound(format!("client {client_id}"))),
            Err(e) => Err(e),
            Ok(()) => {
                if !actor.is_host() {
                    self.not_reserved(None, c.allowed_scopes.split_whitespace())?;
                }
                Ok((c, p))
            }
        }
    }

    /// Refuses the admin API's audience and the `entente:` scopes: they decide who administers
    /// Entente and are set up from the host.
    pub fn not_reserved<'a>(
        &self,
        audience: Option<&str>,
        scopes: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), OpError> {
        entente_domain::governance::check_not_reserved(audience, &self.admin_audience(), scopes)
            .map_err(OpError::Forbidden)
    }

    pub async fn create_client(
        &self,
        actor: &Actor,
        req: NewClientRequest,
        now: i64,
    ) -> Result<CreatedClient, OpError> {
        let p = self.partner_named(actor, req.partner.as_deref()).await?;
        authorize(actor, Operation::CreateClient, Target::Partner(&p))?;
        let credentials = req.credentials.credentials()?;
        let draft = self
            .draft_client(
                actor,
                p.id.clone(),
                req.name,
                &req.scopes,
                credentials,
                &req.grant_types,
                req.environment.as_deref(),
            )
            .await?;
        let mut new = draft.new;
        if let Kind::Partner { .. } = actor.kind() {
            // A partner gives itself nothing (G51): sandbox clients only, with scopes it holds
            // there and federation grants only under a rule its administrators set.
            if draft.environment == Some(Environment::Production) {
                return Err(OpError::Forbidden(
                    "the portal creates sandbox clients; ask for a production client under Requests"
                        .into(),
                ));
            }
            new = new.in_environment(Some(Environment::Sandbox));
            let held = self.scopes_held(&p.id, EnvironmentColumn::Sandbox).await?;
            if let Some(missing) = draft.scopes.iter().find(|s| !held.contains(s)) {
                return Err(OpError::Invalid(format!(
                    "{missing} is not granted to you in the sandbox; ask for it under Scope requests"
                )));
            }
            self.check_partner_grant_types(&p, &draft.grant_types, EnvironmentColumn::Sandbox)
                .await?;
        }
        let m = self
            .store
            .create_client(actor.audit(), new, new_client_id(), now)
            .await?;
        self.publish().await;
        let env = Environment::from(m.environment);
        Ok(CreatedClient {
            token_endpoint: format!("{}/oauth2/token", env.issuer(&self.issuer)),
            client: m,
            partner: p,
            secret: draft.secret,
        })
    }

    /// A client checked and built from what a person typed, not stored yet (configuration as
    /// code stores a whole document's at once): scopes (none reserved unless the host asks),
    /// grant types from the closed set, the environment, and a generated secret or checked
    /// keys.
    #[allow(clippy::too_many_arguments)]
    pub async fn draft_client(
        &self,
        actor: &Actor,
        partner_id: String,
        name: String,
        scopes: &str,
        credentials: Credentials,
        grant_types: &[String],
        environment: Option<&str>,
    ) -> Result<DraftClient, OpError> {
        entente_domain::names::check_scope_list(scopes).map_err(OpError::Invalid)?;
        let scopes =
            ScopeSet::parse(scopes).map_err(|e| OpError::Invalid(e.description.to_string()))?;
        if scopes.is_empty() {
            return Err(OpError::Invalid(
                "give the client at least one scope".into(),
            ));
        }
        if !actor.is_host() {
            self.not_reserved(None, scopes.iter())?;
        }
        let environment = environment
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::parse::<Environment>)
            .transpose()
            .map_err(OpError::Invalid)?;
        let grant_types = grant_types_of(grant_types)?;
        let names: Vec<String> = grant_types.iter().map(|g| g.as_str().to_owned()).collect();
        let (secret, new) = match credentials {
            Credentials::Secret => {
                let secret = generate_secret();
                let hash = self.hasher.hash(&secret);
                let new = NewClient::partner_secret(partner_id, name, scopes.clone(), names, hash);
                (Some(secret), new)
            }
            keys => {
                let keys = self.client_keys(keys).await?;
                (
                    None,
                    NewClient::partner_key(partner_id, name, scopes.clone(), names, keys),
                )
            }
        };
        Ok(DraftClient {
            secret,
            new: new.in_environment(environment),
            scopes,
            grant_types,
            environment,
        })
    }

    /// A new secret for a client; older ones keep working for `grace` seconds (0–30 days).
    pub async fn rotate_client_secret(
        &self,
        actor: &Actor,
        client_id: &str,
        grace: i64,
        now: i64,
    ) -> Result<(client::Model, String), OpError> {
        let (c, _) = self
            .client_for(actor, Operation::RotateClientSecret, client_id)
            .await?;
        // A partner's own rotation overlaps at most a week (what the portal offers); staff may
        // give up to 30 days.
        let (most, said) = match actor.kind() {
            Kind::Partner { .. } => (7 * 86_400, "7 days"),
            _ => (30 * 86_400, "30 days (2592000 seconds)"),
        };
        if !(0..=most).contains(&grace) {
            return Err(OpError::Invalid(format!(
                "the overlap (grace) is between 0 seconds and {said}"
            )));
        }
        let secret = generate_secret();
        self.store
            .rotate_client_secret(
                actor.audit(),
                &c.client_id,
                self.hasher.hash(&secret),
                grace,
                now,
            )
            .await?;
        self.publish().await;
        Ok((c, secret))
    }

    /// Registers a client's public keys: a client that used a secret switches to
    /// private_key_jwt, and its secrets stop working at once. The client as it was before.
    pub async fn set_client_keys(
        &self,
        actor: &Actor,
        client_id: &str,
        keys: AuthInput,
        now: i64,
    ) -> Result<(client::Model, ClientKeys), OpError> {
        let (before, _) = self
            .client_for(actor, Operation::SetClientKeys, client_id)
            .await?;
        let keys = self
            .client_keys(Credentials::keys(keys.jwks, keys.jwks_uri)?)
            .await?;
        self.store
            .set_client_keys(actor.audit(), &before.client_id, keys.clone(), now)
            .await?;
        self.publish().await;
        Ok((before, keys))
    }

    pub async fn set_client_enabled(
        &self,
        actor: &Actor,
        client_id: &str,
        enabled: bool,
        now: i64,
    ) -> Result<client::Model, OpError> {
        let (c, _) = self
            .client_for(actor, Operation::SetClientEnabled, client_id)
            .await?;
        let m = self
            .store
            .set_client_enabled(actor.audit(), &c.client_id, enabled, now)
            .await?;
        self.publish().await;
        Ok(m)
    }

    /// Keys as stored: a document with usable public keys only, a URL checked against the SSRF
    /// rules (E40).
    async fn client_keys(&self, keys: Credentials) -> Result<ClientKeys, OpError> {
        match keys {
            Credentials::Secret => Err(OpError::Invalid(
                "a private_key_jwt client needs its public JWKS or a jwks_uri".into(),
            )),
            Credentials::Jwks(d) => {
                entente_domain::jwks::check_document(&d).map_err(OpError::Invalid)?;
                Ok(ClientKeys::Document(d))
            }
            Credentials::JwksUri(u) => Ok(ClientKeys::Uri(
                self.check_jwks_uri(&u)
                    .await
                    .map_err(|e| OpError::Invalid(format!("jwks_uri: {e}")))?,
            )),
        }
    }

    /// The scopes a partner holds on audiences of `env`: what its clients there may have.
    pub async fn scopes_held(
        &self,
        partner_id: &str,
        env: EnvironmentColumn,
    ) -> Result<ScopeSet, OpError> {
        let granted = self.grants_in(partner_id, env).await?;
        Ok(ScopeSet::from_tokens(
            granted.iter().flat_map(|(_, s)| s.split_whitespace()),
        ))
    }

    /// The partner's grants on audiences of `env`: (audience, space-separated scopes).
    pub async fn grants_in(
        &self,
        partner_id: &str,
        env: EnvironmentColumn,
    ) -> Result<Vec<(String, String)>, OpError> {
        let of_env: HashSet<String> = self
            .store
            .list_audiences()
            .await?
            .into_iter()
            .filter(|(a, _)| a.environment == env)
            .map(|(a, _)| a.identifier)
            .collect();
        let mut granted = self.store.grants_of(partner_id).await?;
        granted.retain(|(aud, _)| of_env.contains(aud));
        Ok(granted)
    }

    /// The grant types a partner may give its own client in `environment`: client credentials
    /// always; token exchange and jwt-bearer only under an enabled trust rule on an audience
    /// of that environment (in production, never the sandbox test IdP's); refresh never.
    pub async fn check_partner_grant_types(
        &self,
        p: &partner::Model,
        grant_types: &[GrantType],
        environment: EnvironmentColumn,
    ) -> Result<(), OpError> {
        if grant_types.contains(&GrantType::RefreshToken) {
            return Err(OpError::Forbidden(
                "refresh tokens are not offered to partner clients".into(),
            ));
        }
        let federated = grant_types
            .iter()
            .any(|g| matches!(g, GrantType::TokenExchange | GrantType::JwtBearer));
        if !federated {
            return Ok(());
        }
        let issuers: HashMap<String, String> = self
            .store
            .list_trusted_issuers(Some(&p.id))
            .await?
            .into_iter()
            .filter(|i| i.enabled)
            .map(|i| (i.id, i.issuer))
            .collect();
        let audiences: HashMap<String, EnvironmentColumn> = self
            .store
            .list_audiences()
            .await?
            .into_iter()
            .map(|(a, _)| (a.id, a.environment))
            .collect();
        let production = environment == EnvironmentColumn::Production;
        let ruled = self
            .store
            .list_trust_rules(Some(&p.id))
            .await?
            .iter()
            .any(|r| {
                r.enabled
                    && audiences.get(&r.audience_id) == Some(&environment)
                    && issuers
                        .get(&r.issuer_id)
                        .is_some_and(|i| !production || *i != self.test_idp_issuer)
            });
        if ruled {
            Ok(())
        } else {
            Err(OpError::Invalid(
                "token exchange and jwt-bearer need a trust rule for your identity provider in this environment: ask your Entente administrators to set one".into(),
            ))
        }
    }
}

/// `grant_type` values as the closed set the token endpoint serves; none: client credentials.
pub fn grant_types_of(names: &[String]) -> Result<Vec<GrantType>, OpError> {
    let names: Vec<&str> = names.iter().flat_map(|n| n.split_whitespace()).collect();
    if names.is_empty() {
        return Ok(vec![GrantType::ClientCredentials]);
    }
    let mut out = Vec::new();
    for n in names {
        let g = GrantType::parse(n).ok_or_else(|| {
            OpError::Invalid(format!(
                "grant type {n:?} is not supported; use any of: {}",
                GrantType::ALL.map(GrantType::as_str).join(" ")
            ))
        })?;
        if !out.contains(&g) {
            out.push(g);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_from_door_words() {
        assert_eq!(
            Credentials::parse("client_secret_basic", None, Some(" ".into())),
            Ok(Credentials::Secret)
        );
        assert!(Credentials::parse("client_secret", Some("{}".into()), None).is_err());
        assert_eq!(
            Credentials::parse(
                "private_key_jwt",
                None,
                Some("https://k.example/jwks".into())
            ),
            Ok(Credentials::JwksUri("https://k.example/jwks".into()))
        );
        assert!(Credentials::parse("private_key_jwt", None, None).is_err());
        assert!(Credentials::parse("none", None, None).is_err());
    }

    #[test]
    fn grant_types_are_the_closed_set() {
        assert_eq!(grant_types_of(&[]), Ok(vec![GrantType::ClientCredentials]));
        assert_eq!(
            grant_types_of(&[
                "client_credentials urn:ietf:params:oauth:grant-type:token-exchange".into()
            ]),
            Ok(vec![GrantType::ClientCredentials, GrantType::TokenExchange])
        );
        assert!(grant_types_of(&["implicit".into()]).is_err());
    }
}
