//! Server functions of a partner's clients page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::SecretShown;
use crate::error::ConsoleError;
use crate::pages::partners::api::PartnerRow;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientRow {
    pub client_id: String,
    pub name: String,
    pub auth_method: String,
    pub scopes: String,
    pub created: String,
    /// production or sandbox.
    pub environment: String,
    pub enabled: bool,
}

#[server]
pub async fn list_clients(partner: String) -> Result<(PartnerRow, Vec<ClientRow>), ConsoleError> {
    authorize("list_clients").await?;
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
    let row = PartnerRow::from(p);
    Ok((
        row,
        clients
            .into_iter()
            .map(|c| ClientRow {
                client_id: c.client_id,
                name: c.name,
                auth_method: c.auth_method.to_string(),
                scopes: c.allowed_scopes,
                created: crate::ssr::format_time(c.created_at),
                environment: c.environment.to_string(),
                enabled: c.enabled,
            })
            .collect(),
    ))
}

#[server]
pub async fn create_client(
    partner: String,
    name: String,
    scopes: String,
    environment: Option<String>,
    token_exchange: Option<String>,
    jwt_bearer: Option<String>,
) -> Result<SecretShown, ConsoleError> {
    use entente_operations::clients::{AuthInput, NewClientRequest};
    use entente_types::grant_type::*;
    let admin = authorize("create_client").await?;
    let grant_types = super::detail_api::ticked_grant_types([
        (Some(String::new()), CLIENT_CREDENTIALS),
        (token_exchange, GRANT_TOKEN_EXCHANGE),
        (jwt_bearer, GRANT_JWT_BEARER),
        (None, GRANT_REFRESH_TOKEN),
    ]);
    let c = console()?;
    let created = c
        .ops
        .create_client(
            &admin.acting(),
            NewClientRequest {
                partner: Some(partner),
                name,
                scopes,
                credentials: AuthInput::secret(),
                grant_types,
                environment,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    let env = entente_domain::environment::Environment::from(created.client.environment);
    Ok(SecretShown {
        note: format!("Client created in {env}."),
        client_name: created.client.name,
        client_id: created.client.client_id,
        client_secret: created.secret,
        token_endpoint: created.token_endpoint,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerUserRow {
    pub email: String,
    pub role: String,
    pub enabled: bool,
    pub created: String,
}

/// A partner's single sign-on as its admins set it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInRow {
    pub issuer: String,
    pub client_id: String,
    pub enabled: bool,
    /// "people of acme.example join as partner_viewer", or that nobody joins.
    pub joining: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerPeople {
    pub users: Vec<PartnerUserRow>,
    /// Pending invitations: (e-mail, role, expires).
    pub invitations: Vec<(String, String, String)>,
    pub sign_in: Option<SignInRow>,
    /// Whether each sandbox tester may get a sandbox client of their own.
    pub testers_get_clients: bool,
}

/// The partner's own users (who sign in to the portal), its pending invitations and its
/// single-sign-on settings.
#[server]
pub async fn partner_team(partner: String) -> Result<PartnerPeople, ConsoleError> {
    authorize("partner_team").await?;
    let c = console()?;
    let p = c
        .store
        .partner_by_slug(&partner)
        .await
        .map_err(user_error)?;
    let users = c
        .store
        .partner_users(&p.id)
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|u| PartnerUserRow {
            email: u.email,
            role: u.role.to_string(),
            enabled: u.enabled,
            created: crate::ssr::format_time(u.created_at),
        })
        .collect();
    let invitations = c
        .store
        .pending_partner_invites(&p.id, crate::ssr::now())
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|i| {
            (
                i.email.unwrap_or_default(),
                i.role.to_string(),
                crate::ssr::format_time(i.expires_at),
            )
        })
        .collect();
    let sign_in = c
        .store
        .partner_sign_in(&p.id)
        .await
        .map_err(user_error)?
        .map(|s| SignInRow {
            issuer: s.issuer,
            client_id: s.client_id,
            enabled: s.enabled,
            joining: match (&s.join_role, s.domains.trim()) {
                (Some(role), domains) if !domains.is_empty() => {
                    format!("people of {domains} join as {role}")
                }
                _ => "only invited people sign in".into(),
            },
        });
    Ok(PartnerPeople {
        users,
        invitations,
        sign_in,
        testers_get_clients: p.testers_get_clients,
    })
}

/// Whether the partner's sandbox testers may each get a sandbox client of their own (as the
/// partner's admins set it on the portal's Team page). `allowed`: the checkbox, present when
/// ticked; turning it off stops every tester's client.
#[server]
pub async fn set_partner_tester_clients(
    partner: String,
    allowed: Option<String>,
) -> Result<String, ConsoleError> {
    let me = authorize("set_partner_tester_clients").await?;
    let on = allowed.is_some();
    let p = console()?
        .ops
        .set_tester_clients(&me.acting(), Some(&partner), on, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(if on {
        format!(
            "{}'s sandbox testers may now get their own sandbox client.",
            p.name
        )
    } else {
        format!(
            "{}'s sandbox testers' own clients are off, and those they had no longer work.",
            p.name
        )
    })
}

/// A one-time link (72 hours) for `email` to join the partner's team as `role` (usually its
/// first partner admin); shown once.
#[server]
pub async fn invite_partner_user(
    partner: String,
    email: String,
    role: String,
) -> Result<String, ConsoleError> {
    let me = authorize("invite_partner_user").await?;
    let invitation = console()?
        .ops
        .invite_partner_user(
            &me.acting(),
            Some(&partner),
            &email,
            &role,
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(invitation.link)
}
