//! Server functions of signing in and out and of the first administrator's set-up.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, user_error};

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
pub async fn login(email: String, password: String) -> Result<(), ConsoleError> {
    let role = crate::ssr::login(&email, &password).await?;
    leptos_axum::redirect(role.home());
    Ok(())
}

#[server]
pub async fn logout() -> Result<(), ConsoleError> {
    crate::ssr::logout().await?;
    leptos_axum::redirect("/login");
    Ok(())
}

#[server]
pub async fn invite_valid(token: String) -> Result<bool, ConsoleError> {
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
) -> Result<(), ConsoleError> {
    let role = crate::ssr::accept_invite(&token, &email, &password).await?;
    leptos_axum::redirect(role.home());
    Ok(())
}
