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
    /// Each scope's description and sensitivity (low, medium or high), in `scopes`' order.
    pub described: Vec<(String, String)>,
    pub token_lifetime: i64,
    /// production or sandbox.
    pub environment: String,
}

/// Audiences per page of the list.
pub const PAGE: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceList {
    pub rows: Vec<AudienceRow>,
    /// Audiences matching the filter.
    pub total: u64,
    pub offset: u64,
}

/// One page of audiences, filtered on the server by part of an identifier or name.
#[server]
pub async fn list_audiences(filter: String, offset: u64) -> Result<AudienceList, ConsoleError> {
    authorize("list_audiences").await?;
    let (auds, total) = console()?
        .store
        .audiences_page(Some(&filter), offset, PAGE)
        .await
        .map_err(user_error)?;
    Ok(AudienceList {
        rows: auds
            .into_iter()
            .map(|(a, s)| AudienceRow {
                identifier: a.identifier,
                name: a.name,
                described: s
                    .iter()
                    .map(|s| (s.description.clone(), s.sensitivity.clone()))
                    .collect(),
                scopes: s.into_iter().map(|s| s.name).collect(),
                token_lifetime: a.token_lifetime,
                environment: a.environment.to_string(),
            })
            .collect(),
        total,
        offset,
    })
}

#[server]
pub async fn create_audience(
    identifier: String,
    name: String,
    scopes: String,
    token_lifetime: i64,
    environment: Option<String>,
) -> Result<String, ConsoleError> {
    let admin = authorize("create_audience").await?;
    let environment: entente_domain::environment::Environment = environment
        .as_deref()
        .filter(|e| !e.is_empty())
        .unwrap_or("production")
        .parse()
        .map_err(crate::ssr::bad_request)?;
    let a = console()?
        .ops
        .create_audience(
            &admin.acting(),
            entente_operations::catalog::AudienceRequest {
                name: Some(name),
                identifier,
                scopes: vec![scopes],
                token_lifetime: Some(token_lifetime),
                environment,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(a.identifier)
}

/// More scopes on an audience (space-separated).
#[server]
pub async fn add_audience_scopes(audience: String, scopes: String) -> Result<String, ConsoleError> {
    let me = authorize("add_audience_scopes").await?;
    console()?
        .ops
        .add_scopes(&me.acting(), &audience, &scopes, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "Added to {audience}: {}. Describe them on the scope matrix.",
        scopes.split_whitespace().collect::<Vec<_>>().join(" ")
    ))
}

/// Removes a scope no grant or trust rule uses.
#[server]
pub async fn remove_audience_scope(
    audience: String,
    scope: String,
) -> Result<String, ConsoleError> {
    let me = authorize("remove_audience_scope").await?;
    console()?
        .ops
        .remove_scope(&me.acting(), &audience, &scope, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Removed {scope} from {audience}."))
}

/// Deletes an audience nothing uses.
#[server]
pub async fn delete_audience(audience: String) -> Result<String, ConsoleError> {
    let me = authorize("delete_audience").await?;
    console()?
        .ops
        .delete_audience(&me.acting(), &audience, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Deleted {audience}."))
}
