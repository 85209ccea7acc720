//! Server functions of the console. Each one checks the caller's role itself: server functions
//! also run during SSR, where HTTP middleware does not. All are POST (never GET-encoded).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::ssr::{console, require_admin, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administrator {
    pub email: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRow {
    pub slug: String,
    pub name: String,
    pub environment: String,
    pub enabled: bool,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub auth_method: String,
    pub scopes: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedClient {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceRow {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_lifetime: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub kid: String,
    pub algorithm: String,
    pub state: String,
    pub created: String,
    pub state_since: String,
}

#[server]
pub async fn me() -> Result<Option<Administrator>, ServerFnError> {
    Ok(crate::ssr::current_admin().await?.map(|a| Administrator {
        email: a.email,
        role: a.role,
    }))
}

#[server]
pub async fn login(email: String, password: String) -> Result<(), ServerFnError> {
    crate::ssr::login(&email, &password).await?;
    leptos_axum::redirect("/partners");
    Ok(())
}

#[server]
pub async fn logout() -> Result<(), ServerFnError> {
    crate::ssr::logout().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn invite_valid(token: String) -> Result<bool, ServerFnError> {
    let c = console()?;
    c.store
        .invite_valid(&c.hasher.hash(&token), crate::ssr::now())
        .await
        .map_err(user_error)
}

#[server]
pub async fn setup_admin(
    token: String,
    email: String,
    password: String,
) -> Result<(), ServerFnError> {
    crate::ssr::accept_invite(&token, &email, &password).await?;
    leptos_axum::redirect("/partners");
    Ok(())
}

#[server]
pub async fn list_partners() -> Result<Vec<PartnerRow>, ServerFnError> {
    require_admin().await?;
    let ps = console()?.store.list_partners().await.map_err(user_error)?;
    Ok(ps
        .into_iter()
        .map(|p| PartnerRow {
            slug: p.slug,
            name: p.name,
            environment: p.environment,
            enabled: p.enabled,
            created: crate::ssr::format_time(p.created_at),
        })
        .collect())
}

#[server]
pub async fn create_partner(
    slug: String,
    name: String,
    environment: String,
) -> Result<String, ServerFnError> {
    let admin = require_admin().await?;
    let c = console()?;
    let p = c
        .store
        .create_partner(
            &admin.actor(),
            entente_store::catalog::NewPartner {
                slug,
                name,
                environment,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(user_error)?;
    Ok(p.slug)
}

#[server]
pub async fn list_clients(partner: String) -> Result<(PartnerRow, Vec<ClientRow>), ServerFnError> {
    require_admin().await?;
    let c = console()?;
    let p = c
        .store
        .partner_by_slug(&partner)
        .await
        .map_err(user_error)?;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?;
    let row = PartnerRow {
        slug: p.slug,
        name: p.name,
        environment: p.environment,
        enabled: p.enabled,
        created: crate::ssr::format_time(p.created_at),
    };
    Ok((
        row,
        clients
            .into_iter()
            .map(|c| ClientRow {
                client_id: c.client_id,
                name: c.name,
                auth_method: c.auth_method,
                scopes: c.allowed_scopes,
                created: crate::ssr::format_time(c.created_at),
            })
            .collect(),
    ))
}

#[server]
pub async fn create_client(
    partner: String,
    name: String,
    scopes: String,
) -> Result<CreatedClient, ServerFnError> {
    let admin = require_admin().await?;
    crate::ssr::create_secret_client(&admin, &partner, &name, &scopes).await
}

#[server]
pub async fn list_audiences() -> Result<Vec<AudienceRow>, ServerFnError> {
    require_admin().await?;
    let auds = console()?
        .store
        .list_audiences()
        .await
        .map_err(user_error)?;
    Ok(auds
        .into_iter()
        .map(|(a, s)| AudienceRow {
            identifier: a.identifier,
            name: a.name,
            scopes: s.into_iter().map(|s| s.name).collect(),
            token_lifetime: a.token_lifetime,
        })
        .collect())
}

#[server]
pub async fn create_audience(
    identifier: String,
    name: String,
    scopes: String,
    token_lifetime: i64,
) -> Result<String, ServerFnError> {
    let admin = require_admin().await?;
    let c = console()?;
    let new = entente_store::catalog::NewAudience {
        name: if name.trim().is_empty() {
            identifier.clone()
        } else {
            name
        },
        identifier,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        token_lifetime,
    };
    let a = c
        .store
        .create_audience(&admin.actor(), new, crate::ssr::now())
        .await
        .map_err(user_error)?;
    Ok(a.identifier)
}

#[server]
pub async fn list_keys() -> Result<Vec<KeyRow>, ServerFnError> {
    require_admin().await?;
    let keys = console()?.store.signing_keys().await.map_err(user_error)?;
    Ok(keys
        .into_iter()
        .map(|k| KeyRow {
            kid: k.kid,
            algorithm: k.algorithm,
            state: k.state,
            created: crate::ssr::format_time(k.created_at),
            state_since: crate::ssr::format_time(k.state_since),
        })
        .collect())
}
