//! Server functions of the partner portal. The partner is always the signed-in user's own, read
//! from the session, never from the request; anything named by id that belongs to another
//! partner is "not found" (security case G50). Partner users reach nothing else (G51: the
//! access table lists them for these functions only).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{bad_request, console, portal_user, user_error};

/// Grant types a partner may give its own sandbox clients.
pub const PORTAL_GRANT_TYPES: [(&str, &str); 3] = [
    (
        entente_types::grant_type::CLIENT_CREDENTIALS,
        "Client credentials",
    ),
    (
        entente_types::grant_type::GRANT_TOKEN_EXCHANGE,
        "Token exchange (RFC 8693)",
    ),
    (
        entente_types::grant_type::GRANT_JWT_BEARER,
        "JWT bearer (RFC 7523)",
    ),
];

/// How long an old secret keeps working after a rotation, in seconds, with its label.
pub const OVERLAPS: [(i64, &str); 4] = [
    (0, "None: the old secret stops now"),
    (3600, "1 hour"),
    (86_400, "24 hours"),
    (604_800, "7 days"),
];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub label: String,
    pub done: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    pub partner: String,
    pub slug: String,
    pub stage: String,
    pub checklist: Vec<ChecklistItem>,
    pub sandbox_clients: usize,
    pub production_clients: usize,
    /// The signed-in user's e-mail and role.
    pub me: String,
    pub role: String,
    /// Token endpoints of the partner's environments.
    pub sandbox_token_endpoint: String,
    pub production_token_endpoint: String,
    /// The signed-in user may file requests (a partner admin).
    pub can_manage: bool,
    /// The pending promotion to production, if one was filed: "#id, filed on … by …".
    pub promotion: Option<String>,
}

#[server]
pub async fn portal_overview() -> Result<OverviewData, ConsoleError> {
    let (me, p) = portal_user("portal_overview").await?;
    let c = console()?;
    let now = crate::ssr::now();
    let o = c.store.onboarding(&p.slug, now).await.map_err(user_error)?;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?;
    let sandbox = entente_store::enums::EnvironmentColumn::Sandbox;
    let env = entente_domain::environment::Environment::Sandbox;
    let promotion = c
        .store
        .list_change_requests(&entente_store::governance::RequestFilter {
            status: Some(entente_domain::governance::RequestStatus::Pending),
            partner: Some(p.slug.clone()),
            limit: 50,
            ..Default::default()
        })
        .await
        .map_err(user_error)?
        .into_iter()
        .find(|(r, _)| r.kind == "promote")
        .map(|(r, _)| {
            format!(
                "#{}, filed on {}",
                r.id,
                crate::ssr::format_time(r.requested_at)
            )
        });
    Ok(OverviewData {
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
        promotion,
        partner: p.name.clone(),
        slug: p.slug.clone(),
        stage: p.stage.to_string(),
        checklist: o
            .checklist
            .into_iter()
            .map(|i| ChecklistItem {
                label: i.label,
                done: i.done,
                detail: i.detail,
            })
            .collect(),
        sandbox_clients: clients.iter().filter(|c| c.environment == sandbox).count(),
        production_clients: clients.iter().filter(|c| c.environment != sandbox).count(),
        me: me.email.clone(),
        role: me.role.to_string(),
        sandbox_token_endpoint: format!("{}/oauth2/token", env.issuer(&c.issuer)),
        production_token_endpoint: format!("{}/oauth2/token", c.issuer),
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalClient {
    pub client_id: String,
    pub name: String,
    pub environment: String,
    pub auth_method: String,
    pub grant_types: Vec<String>,
    pub scopes: String,
    pub created: String,
    pub enabled: bool,
    /// How a private_key_jwt client's keys are registered ("JWKS URL …", "JWKS, 2 keys").
    pub keys: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientsPage {
    pub clients: Vec<PortalClient>,
    /// Scopes the partner holds on sandbox audiences: what a new sandbox client may have.
    pub sandbox_scopes: Vec<String>,
    /// Scopes it holds on production audiences, once it is in production (else empty): what a
    /// production client may be asked with.
    pub production_scopes: Vec<String>,
    pub in_production: bool,
    /// The signed-in user may create and rotate (a partner admin).
    pub can_manage: bool,
}

/// The partner's grants on sandbox audiences: (audience, space-separated scopes).
#[cfg(feature = "ssr")]
pub(crate) async fn sandbox_grants(
    c: &crate::ssr::ConsoleContext,
    partner_id: &str,
) -> Result<Vec<(String, String)>, ConsoleError> {
    c.ops
        .grants_in(partner_id, entente_store::enums::EnvironmentColumn::Sandbox)
        .await
        .map_err(crate::ssr::op_error)
}

/// The scopes the partner holds on audiences of `env`: what its clients there may have.
#[cfg(feature = "ssr")]
async fn scopes_held(
    c: &crate::ssr::ConsoleContext,
    partner_id: &str,
    env: entente_store::enums::EnvironmentColumn,
) -> Result<Vec<String>, ConsoleError> {
    Ok(c.ops
        .scopes_held(partner_id, env)
        .await
        .map_err(crate::ssr::op_error)?
        .iter()
        .map(str::to_owned)
        .collect())
}

#[server]
pub async fn portal_clients() -> Result<ClientsPage, ConsoleError> {
    let (me, p) = portal_user("portal_clients").await?;
    let in_production = p.stage == entente_store::enums::PartnerStage::Production;
    let c = console()?;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?;
    let mut keys = std::collections::HashMap::new();
    for m in &clients {
        if m.auth_method == entente_store::enums::ClientAuth::PrivateKeyJwt
            && let Some(k) = c
                .store
                .client_keys(&m.client_id)
                .await
                .map_err(user_error)?
        {
            keys.insert(m.client_id.clone(), super::keys_api::describe(&k));
        }
    }
    Ok(ClientsPage {
        clients: clients
            .into_iter()
            .map(|m| PortalClient {
                keys: keys.remove(&m.client_id),
                client_id: m.client_id,
                name: m.name,
                environment: m.environment.to_string(),
                auth_method: m.auth_method.to_string(),
                grant_types: m
                    .grant_types
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
                scopes: m.allowed_scopes,
                created: crate::ssr::format_time(m.created_at),
                enabled: m.enabled,
            })
            .collect(),
        sandbox_scopes: scopes_held(&c, &p.id, entente_store::enums::EnvironmentColumn::Sandbox)
            .await?,
        production_scopes: if in_production {
            scopes_held(
                &c,
                &p.id,
                entente_store::enums::EnvironmentColumn::Production,
            )
            .await?
        } else {
            vec![]
        },
        in_production,
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
    })
}

/// A new client or secret, as the page's secret dialog shows it.
pub use crate::components::SecretShown as PortalSecret;

/// A sandbox client of the caller's partner, with scopes it holds on sandbox audiences only and
/// grant types among `PORTAL_GRANT_TYPES`: a partner cannot give itself anything more (G51).
/// `auth`: client_secret (default: a secret shown once) or private_key_jwt, with the partner's
/// public keys as a JWKS or the URL it is published at.
#[server]
pub async fn portal_create_client(
    name: String,
    scopes: String,
    token_exchange: Option<String>,
    jwt_bearer: Option<String>,
    auth: Option<String>,
    jwks: Option<String>,
    jwks_uri: Option<String>,
) -> Result<PortalSecret, ConsoleError> {
    use entente_operations::clients::{AuthInput, NewClientRequest};
    let (me, _) = portal_user("portal_create_client").await?;
    let c = console()?;
    let mut grant_types = vec![PORTAL_GRANT_TYPES[0].0.to_owned()];
    for (on, (grant, _)) in [token_exchange, jwt_bearer]
        .iter()
        .zip(&PORTAL_GRANT_TYPES[1..])
    {
        if on.is_some() {
            grant_types.push((*grant).to_owned());
        }
    }
    let credentials = AuthInput {
        method: auth,
        jwks,
        jwks_uri,
    };
    let created = c
        .ops
        .create_client(
            &me.acting(),
            NewClientRequest {
                partner: None,
                name,
                scopes,
                credentials,
                grant_types,
                environment: None,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(PortalSecret {
        token_endpoint: created.token_endpoint,
        client_name: created.client.name,
        client_id: created.client.client_id,
        note: if created.secret.is_some() {
            "Sandbox client created.".into()
        } else {
            "Sandbox client created: it authenticates with private_key_jwt, signing assertions with your private key.".into()
        },
        client_secret: created.secret,
    })
}

/// A new secret for one of the partner's clients; the old one keeps working for `overlap`
/// seconds (the page offers `OVERLAPS`; the operation takes up to 30 days), so both work
/// while the partner deploys the new one.
#[server]
pub async fn portal_rotate_secret(
    client_id: String,
    overlap: i64,
) -> Result<PortalSecret, ConsoleError> {
    let (me, _) = portal_user("portal_rotate_secret").await?;
    let c = console()?;
    let (client, secret) = c
        .ops
        .rotate_client_secret(&me.acting(), &client_id, overlap, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    let env = entente_domain::environment::Environment::from(client.environment);
    Ok(PortalSecret {
        token_endpoint: format!("{}/oauth2/token", env.issuer(&c.issuer)),
        client_name: client.name,
        client_id: client.client_id,
        client_secret: Some(secret),
        note: match (overlap, OVERLAPS.iter().find(|(s, _)| *s == overlap)) {
            (0, _) => "New secret issued; the old one no longer works.".into(),
            (_, Some((_, label))) => {
                format!("New secret issued; the old one keeps working for {label}.")
            }
            (seconds, None) => {
                format!("New secret issued; the old one keeps working for {seconds} seconds.")
            }
        },
    })
}

/// Turns one of the partner's clients off (no new tokens, and the tokens it holds stop working
/// at once) or on again. `enabled`: "true" or "false".
#[server]
pub async fn portal_set_client_enabled(
    client_id: String,
    enabled: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_set_client_enabled").await?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("enabled is true or false")),
    };
    let client = console()?
        .ops
        .set_client_enabled(&me.acting(), &client_id, enabled, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(if enabled {
        format!(
            "{} is on again; tokens it held before stay revoked.",
            client.name
        )
    } else {
        format!(
            "{} is off: it gets no tokens, and the tokens it held no longer work.",
            client.name
        )
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamMember {
    pub email: String,
    pub role: String,
    pub enabled: bool,
    pub created: String,
    pub me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInvite {
    pub email: String,
    pub role: String,
    pub expires: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Team {
    pub members: Vec<TeamMember>,
    /// Invitations not used yet and not expired.
    pub invitations: Vec<PendingInvite>,
    pub can_manage: bool,
    /// Sandbox testers may each get a sandbox client of their own.
    pub testers_get_clients: bool,
}

#[server]
pub async fn portal_team() -> Result<Team, ConsoleError> {
    let (me, p) = portal_user("portal_team").await?;
    let c = console()?;
    let users = c.store.partner_users(&p.id).await.map_err(user_error)?;
    let invitations = c
        .store
        .pending_partner_invites(&p.id, crate::ssr::now())
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|i| PendingInvite {
            email: i.email.unwrap_or_default(),
            role: i.role.to_string(),
            expires: crate::ssr::format_time(i.expires_at),
        })
        .collect();
    Ok(Team {
        testers_get_clients: p.testers_get_clients,
        invitations,
        members: users
            .into_iter()
            .map(|u| TeamMember {
                me: u.id == me.id,
                email: u.email,
                role: u.role.to_string(),
                enabled: u.enabled,
                created: crate::ssr::format_time(u.created_at),
            })
            .collect(),
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
    })
}

/// A one-time link (72 hours) for `email` to join the team as `role`; shown once.
#[server]
pub async fn portal_invite(email: String, role: String) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_invite").await?;
    let invitation = console()?
        .ops
        .invite_partner_user(&me.acting(), None, &email, &role, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(invitation.link)
}

/// Withdraws the pending invitations for `email`: their links stop working.
#[server]
pub async fn portal_revoke_invite(email: String) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_revoke_invite").await?;
    console()?
        .ops
        .revoke_partner_invitation(&me.acting(), None, &email, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "The invitation for {email} is withdrawn: its link no longer works."
    ))
}

/// `enabled`: "true" or "false".
#[server]
pub async fn portal_set_member(
    email: String,
    role: String,
    enabled: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_set_member").await?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("enabled is true or false")),
    };
    let u = console()?
        .ops
        .set_partner_user_access(
            &me.acting(),
            None,
            &email,
            &role,
            enabled,
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "{} is now {}{}.",
        u.email,
        u.role,
        if u.enabled {
            ""
        } else {
            " (signed out, cannot sign in)"
        }
    ))
}
