//! Server functions of the portal's single sign-on page: a partner's own OpenID Connect provider
//! for its people (G50: always the caller's partner).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, portal_user, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInView {
    pub configured: bool,
    pub issuer: String,
    pub client_id: String,
    pub enabled: bool,
    /// "" (nobody joins by themselves), "partner_viewer" or "partner_admin".
    pub join_role: String,
    pub domains: String,
    /// What to register at the provider, and where the partner's people start.
    pub redirect_uri: String,
    pub start_url: String,
    pub can_manage: bool,
}

#[server]
pub async fn portal_sign_in() -> Result<SignInView, ConsoleError> {
    let (me, p) = portal_user("portal_sign_in").await?;
    let c = console()?;
    let s = c.store.partner_sign_in(&p.id).await.map_err(user_error)?;
    Ok(SignInView {
        configured: s.is_some(),
        issuer: s.as_ref().map(|s| s.issuer.clone()).unwrap_or_default(),
        client_id: s.as_ref().map(|s| s.client_id.clone()).unwrap_or_default(),
        enabled: s.as_ref().is_some_and(|s| s.enabled),
        join_role: s
            .as_ref()
            .and_then(|s| s.join_role)
            .map(|r| r.to_string())
            .unwrap_or_default(),
        domains: s.map(|s| s.domains).unwrap_or_default(),
        redirect_uri: format!("{}/login/sso/callback", c.issuer),
        start_url: format!("{}/login/sso?organisation={}", c.issuer, p.slug),
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
    })
}

/// Saves the provider. `client_secret` empty keeps the stored one; `enabled` is a checkbox.
#[server]
pub async fn portal_set_sign_in(
    issuer: String,
    client_id: String,
    client_secret: String,
    join_role: String,
    domains: String,
    enabled: Option<String>,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_set_sign_in").await?;
    // A ticked checkbox sends "on"; scripts may say "true" or "false".
    let enabled = enabled.is_some_and(|v| v != "false");
    console()?
        .ops
        .set_sign_in(
            &me.acting(),
            entente_operations::sign_in::SignInRequest {
                issuer,
                client_id,
                client_secret: Some(client_secret),
                join_role: Some(join_role),
                domains,
                enabled,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(if enabled {
        "Single sign-on saved and on: your provider's discovery document was checked.".into()
    } else {
        "Single sign-on saved; it is off.".into()
    })
}
