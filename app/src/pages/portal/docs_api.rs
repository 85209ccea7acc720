//! The portal's docs page data: the partner's own values (endpoints of both environments, its
//! clients, the scopes it holds, its registered identity providers), so every example on the
//! page can be copied as is. Always the caller's partner (G50).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, portal_user, user_error};

/// One environment's endpoints, as its RFC 8414 metadata gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub environment: String,
    pub issuer: String,
    pub metadata: String,
    pub token: String,
    pub jwks: String,
    pub introspection: String,
    pub revocation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocClient {
    pub client_id: String,
    pub name: String,
    pub environment: String,
    pub grant_types: Vec<String>,
}

/// An enabled trust rule, as the examples need it: where an exchange or an assertion can go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRule {
    pub audience: String,
    pub environment: String,
    /// A service may act for the user (the token names it in `act`).
    pub delegation: bool,
    /// Only delegation: impersonation is refused.
    pub delegation_only: bool,
    /// Its issuer is trusted for assertions (jwt-bearer), not only for access tokens.
    pub assertions: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocsData {
    pub partner: String,
    /// In production: the examples open on the production environment.
    pub in_production: bool,
    pub environments: Vec<Endpoints>,
    pub clients: Vec<DocClient>,
    /// (audience, space-separated scopes) the partner holds, with the audience's environment.
    pub scopes: Vec<(String, String, String)>,
    /// Its registered identity providers' issuer identifiers.
    pub issuers: Vec<String>,
    pub test_idp: String,
    /// Its enabled trust rules, oldest first.
    pub rules: Vec<DocRule>,
}

#[server]
pub async fn portal_docs() -> Result<DocsData, ConsoleError> {
    let (_, p) = portal_user("portal_docs").await?;
    let c = console()?;
    let environments = entente_domain::environment::Environment::ALL
        .into_iter()
        .map(|env| {
            let issuer = env.issuer(&c.issuer);
            let (host, path) = match issuer.find("://").map(|i| i + 3) {
                Some(start) => {
                    let at = issuer[start..]
                        .find('/')
                        .map_or(issuer.len(), |i| start + i);
                    issuer.split_at(at)
                }
                None => (issuer.as_str(), ""),
            };
            Endpoints {
                environment: env.as_str().to_owned(),
                metadata: format!("{host}/.well-known/oauth-authorization-server{path}"),
                token: format!("{issuer}/oauth2/token"),
                jwks: format!("{issuer}/.well-known/jwks.json"),
                introspection: format!("{issuer}/oauth2/introspect"),
                revocation: format!("{issuer}/oauth2/revoke"),
                issuer: issuer.clone(),
            }
        })
        .collect();
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?
        .into_iter()
        .filter(|m| m.enabled)
        .map(|m| DocClient {
            client_id: m.client_id,
            name: m.name,
            environment: m.environment.to_string(),
            grant_types: m
                .grant_types
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        })
        .collect();
    let audiences = c.store.list_audiences().await.map_err(user_error)?;
    let environment_of: std::collections::HashMap<String, String> = audiences
        .iter()
        .map(|(a, _)| (a.identifier.clone(), a.environment.to_string()))
        .collect();
    let by_id: std::collections::HashMap<&str, &entente_store::entities::audience::Model> =
        audiences.iter().map(|(a, _)| (a.id.as_str(), a)).collect();
    let (test_idp, _) = c.sandbox.0.test_idp();
    let trusted = c
        .store
        .list_trusted_issuers(Some(&p.id))
        .await
        .map_err(user_error)?;
    let takes_assertions: std::collections::HashSet<&str> = trusted
        .iter()
        .filter(|i| i.enabled && i.kinds.split_whitespace().any(|k| k == "assertion"))
        .map(|i| i.id.as_str())
        .collect();
    let rules = c
        .store
        .list_trust_rules(Some(&p.id))
        .await
        .map_err(user_error)?
        .into_iter()
        .filter(|r| r.enabled)
        .filter_map(|r| {
            let a = by_id.get(r.audience_id.as_str())?;
            Some(DocRule {
                audience: a.identifier.clone(),
                environment: a.environment.to_string(),
                delegation: r.delegation,
                delegation_only: r.delegation_only,
                assertions: takes_assertions.contains(r.issuer_id.as_str()),
            })
        })
        .collect();
    let scopes = c
        .store
        .grants_of(&p.id)
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|(aud, s)| {
            let env = environment_of.get(&aud).cloned().unwrap_or_default();
            (aud, s, env)
        })
        .collect();
    let issuers = trusted
        .into_iter()
        .filter(|i| i.enabled && i.issuer != test_idp)
        .map(|i| i.issuer)
        .collect();
    Ok(DocsData {
        in_production: p.stage == entente_store::enums::PartnerStage::Production,
        rules,
        partner: p.name,
        environments,
        clients,
        scopes,
        issuers,
        test_idp,
    })
}
