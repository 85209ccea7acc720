//! Server functions of the audiences page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceRow {
    pub identifier: String,
    pub name: String,
    pub scopes: Vec<String>,
    pub token_lifetime: i64,
}

#[server]
pub async fn list_audiences() -> Result<Vec<AudienceRow>, ConsoleError> {
    authorize("list_audiences").await?;
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
) -> Result<String, ConsoleError> {
    let admin = authorize("create_audience").await?;
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
