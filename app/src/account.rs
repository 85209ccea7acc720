//! The signed-in account, as every page's frame reads it: who is signed in (and whether they
//! belong in the portal), the navigation's count of pending change requests, signing out. Below
//! both `components` and `pages`, so the frame needs no page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, user_error};

/// Whether a role is a partner user's (who belongs in the portal, not the console).
pub fn is_partner_role(role: &str) -> bool {
    role.parse::<entente_types::role::Role>()
        .is_ok_and(entente_types::role::Role::is_partner)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administrator {
    pub email: String,
    pub role: String,
    /// A partner user's partner (its name); none for console users.
    pub partner: Option<String>,
    /// Change requests waiting for a decision (shown in the navigation).
    pub pending_requests: u64,
}

/// Change requests waiting for a decision, for the navigation's badge after an action.
#[server]
pub async fn pending_requests() -> Result<u64, ConsoleError> {
    crate::ssr::authorize("pending_requests").await?;
    console()?
        .store
        .pending_change_requests()
        .await
        .map_err(user_error)
}

#[server]
pub async fn me() -> Result<Option<Administrator>, ConsoleError> {
    let Some(a) = crate::ssr::current_admin().await? else {
        return Ok(None);
    };
    let c = console()?;
    // Partner users learn nothing of the console, not even how many requests wait.
    let (partner, pending_requests) = match &a.partner_id {
        Some(id) => (
            Some(c.store.partner_by_id(id).await.map_err(user_error)?.name),
            0,
        ),
        None => (
            None,
            c.store
                .pending_change_requests()
                .await
                .map_err(user_error)?,
        ),
    };
    Ok(Some(Administrator {
        email: a.email,
        role: a.role.to_string(),
        partner,
        pending_requests,
    }))
}

#[server]
pub async fn logout() -> Result<(), ConsoleError> {
    crate::ssr::logout().await?;
    leptos_axum::redirect("/login");
    Ok(())
}
