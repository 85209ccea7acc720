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

/// What an invitation link offers, as its page says before anyone types a password.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InvitationFacts {
    /// The only address that can use it (none: the first administrator's link).
    pub email: Option<String>,
    /// The role, as people read it.
    pub role: String,
    /// The partner whose team it joins; none for the console.
    pub organisation: Option<String>,
    /// Who made it.
    pub invited_by: Option<String>,
    pub expires: String,
}

/// The invitation behind a link; `None` when the link is unknown, used, expired or its partner
/// may not be joined now.
#[server]
pub async fn invitation(token: String) -> Result<Option<InvitationFacts>, ConsoleError> {
    let c = console()?;
    let facts = c
        .store
        .invite_facts(&c.hasher.hash(&token), crate::ssr::now())
        .await
        .map_err(user_error)?;
    Ok(facts.map(|f| InvitationFacts {
        email: f.email,
        role: entente_types::role::Role::from(f.role)
            .describe()
            .to_owned(),
        organisation: f.partner,
        invited_by: f.invited_by.as_deref().map(inviter),
        expires: crate::ssr::format_time(f.expires_at),
    }))
}

/// An actor's name as the invitee reads it: `admin:alice@…` and `portal:alice@…` are Alice;
/// the CLI on the server's machine is said to be that.
#[cfg(feature = "ssr")]
fn inviter(actor: &str) -> String {
    match actor.split_once(':') {
        Some(("cli", "unknown" | "")) => "an administrator, with the entente CLI".to_owned(),
        Some(("cli", who)) => format!("{who}, with the entente CLI"),
        Some((_, who)) => who.to_owned(),
        None => actor.to_owned(),
    }
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
