//! Server functions of a partner's grants: what it may be given on each audience.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, submit_change, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRow {
    pub audience: String,
    pub audience_name: String,
    /// The audience's scopes.
    pub available: Vec<String>,
    /// What the partner holds there now (space-separated; empty: nothing).
    pub granted: String,
}

#[server]
pub async fn partner_grants(partner: String) -> Result<Vec<GrantRow>, ConsoleError> {
    authorize("partner_grants").await?;
    let c = console()?;
    let p = c
        .store
        .partner_by_slug(&partner)
        .await
        .map_err(user_error)?;
    let granted: std::collections::HashMap<String, String> = c
        .store
        .grants_of(&p.id)
        .await
        .map_err(user_error)?
        .into_iter()
        .collect();
    Ok(c.store
        .list_audiences()
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|(a, scopes)| GrantRow {
            granted: granted.get(&a.identifier).cloned().unwrap_or_default(),
            audience: a.identifier,
            audience_name: a.name,
            available: scopes.into_iter().map(|s| s.name).collect(),
        })
        .collect())
}

/// Replaces the grant; widening a production partner's grant files a change request.
#[server]
pub async fn set_partner_grant(
    partner: String,
    audience: String,
    scopes: String,
    reason: String,
) -> Result<String, ConsoleError> {
    let admin = authorize("set_partner_grant").await?;
    let scopes =
        entente_domain::ScopeSet::parse(&scopes).map_err(|e| bad_request(e.description))?;
    let change = entente_store::governance::Change::Grant {
        partner,
        audience,
        scopes,
    };
    submit_change(&admin, change, &reason).await
}
