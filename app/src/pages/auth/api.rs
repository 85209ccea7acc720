//! Server functions of signing in and out and of the first administrator's set-up.

use leptos::prelude::*;

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, user_error};

pub use crate::account::{Administrator, Logout, me, pending_requests};

#[server]
pub async fn login(email: String, password: String) -> Result<(), ConsoleError> {
    let role = crate::ssr::login(&email, &password).await?;
    leptos_axum::redirect(role.home());
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
