//! Server functions of the partners page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRow {
    pub slug: String,
    pub name: String,
    pub environment: String,
    /// Lifecycle stage: applied, in_review, sandbox, production, suspended, offboarded.
    pub stage: String,
    pub enabled: bool,
    pub created: String,
}

#[cfg(feature = "ssr")]
impl From<entente_store::entities::partner::Model> for PartnerRow {
    fn from(p: entente_store::entities::partner::Model) -> Self {
        Self {
            slug: p.slug,
            name: p.name,
            environment: p.environment,
            stage: p.stage.to_string(),
            enabled: p.enabled,
            created: crate::ssr::format_time(p.created_at),
        }
    }
}

#[server]
pub async fn list_partners() -> Result<Vec<PartnerRow>, ConsoleError> {
    authorize("list_partners").await?;
    let ps = console()?.store.list_partners().await.map_err(user_error)?;
    Ok(ps.into_iter().map(PartnerRow::from).collect())
}

#[server]
pub async fn create_partner(
    slug: String,
    name: String,
    environment: String,
) -> Result<String, ConsoleError> {
    let admin = authorize("create_partner").await?;
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
