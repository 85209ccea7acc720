//! Server functions of a client's page: what it is, what it may ask for, its credentials, its
//! state and its audit trail. Every change goes through the operations layer.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::SecretShown;
use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, op_error, user_error};

/// One line of a client's audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientEvent {
    pub at: String,
    pub actor: String,
    pub action: String,
    /// What changed, in a line: "scopes orders:read → orders:read orders:write".
    pub change: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientFacts {
    pub partner_slug: String,
    pub partner_name: String,
    pub client_id: String,
    pub name: String,
    /// production or sandbox.
    pub environment: String,
    /// client_secret or private_key_jwt.
    pub auth_method: String,
    /// How a private_key_jwt client's keys are registered ("JWKS URL …", "JWKS, 2 keys").
    pub keys: Option<String>,
    /// Full `grant_type` values.
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    /// What the partner holds on APIs of the client's environment: its tokens stay within
    /// these whatever the client lists.
    pub granted: Vec<String>,
    pub enabled: bool,
    pub created: String,
    pub token_endpoint: String,
    /// Newest first.
    pub events: Vec<ClientEvent>,
}

/// The overlaps a console rotation offers (the operation takes up to 30 days).
pub const CONSOLE_OVERLAPS: [(i64, &str); 5] = [
    (0, "None: the old secret stops now"),
    (3600, "1 hour"),
    (86_400, "24 hours"),
    (604_800, "7 days"),
    (2_592_000, "30 days"),
];

#[server]
pub async fn client_detail(
    partner: String,
    client_id: String,
) -> Result<ClientFacts, ConsoleError> {
    authorize("client_detail").await?;
    let cx = console()?;
    let store = &cx.store;
    let p = store.partner_by_slug(&partner).await.map_err(user_error)?;
    let c = store.client(&client_id).await.map_err(user_error)?;
    if c.partner_id.as_deref() != Some(p.id.as_str()) {
        return Err(user_error(entente_store::StoreError::NotFound(format!(
            "client {client_id} of {partner}"
        ))));
    }
    let env = entente_domain::environment::Environment::from(c.environment);
    let granted = cx
        .ops
        .scopes_held(&p.id, c.environment)
        .await
        .map_err(op_error)?
        .iter()
        .map(str::to_owned)
        .collect();
    let keys = store
        .client_keys(&c.client_id)
        .await
        .map_err(user_error)?
        .map(|k| crate::pages::portal::keys_api::describe(&k));
    let events = store
        .audit_events(&entente_store::audit::AuditFilter {
            target: Some(format!("client:{}", c.client_id)),
            limit: 50,
            ..Default::default()
        })
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|e| ClientEvent {
            at: crate::ssr::format_time(e.at),
            actor: e
                .actor
                .strip_prefix("admin:")
                .unwrap_or(&e.actor)
                .to_owned(),
            change: crate::ssr::audit_text::change_line(&e.details),
            action: e.action,
        })
        .collect();
    Ok(ClientFacts {
        partner_slug: p.slug,
        partner_name: p.name,
        token_endpoint: format!("{}/oauth2/token", env.issuer(&cx.issuer)),
        environment: env.to_string(),
        auth_method: c.auth_method.to_string(),
        keys,
        grant_types: c
            .grant_types
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        scopes: c
            .allowed_scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        granted,
        enabled: c.enabled,
        created: crate::ssr::format_time(c.created_at),
        client_id: c.client_id,
        name: c.name,
        events,
    })
}

/// The grant types ticked on a form: client credentials, token exchange, jwt-bearer, refresh
/// (each present when ticked).
#[cfg(feature = "ssr")]
pub(crate) fn ticked_grant_types(ticked: [(Option<String>, &str); 4]) -> Vec<String> {
    ticked
        .into_iter()
        .filter(|(on, _)| on.is_some())
        .map(|(_, g)| g.to_owned())
        .collect()
}

/// Replaces what the client may ask for. Unticked boxes are absent from the form.
#[server]
pub async fn console_update_client(
    client_id: String,
    scopes: String,
    client_credentials: Option<String>,
    token_exchange: Option<String>,
    jwt_bearer: Option<String>,
    refresh_token: Option<String>,
) -> Result<String, ConsoleError> {
    use entente_operations::client_changes::ClientChange;
    use entente_types::grant_type::*;
    let me = authorize("console_update_client").await?;
    let grant_types = ticked_grant_types([
        (client_credentials, CLIENT_CREDENTIALS),
        (token_exchange, GRANT_TOKEN_EXCHANGE),
        (jwt_bearer, GRANT_JWT_BEARER),
        (refresh_token, GRANT_REFRESH_TOKEN),
    ]);
    let m = console()?
        .ops
        .update_client(
            &me.acting(),
            &client_id,
            ClientChange {
                scopes,
                grant_types,
            },
            crate::ssr::now(),
        )
        .await
        .map_err(op_error)?;
    Ok(format!(
        "Saved: {} may ask for {}.",
        m.name, m.allowed_scopes
    ))
}

/// A new secret; the old one keeps working for `overlap` seconds.
#[server]
pub async fn console_rotate_secret(
    client_id: String,
    overlap: i64,
) -> Result<SecretShown, ConsoleError> {
    let me = authorize("console_rotate_secret").await?;
    let cx = console()?;
    let (client, secret) = cx
        .ops
        .rotate_client_secret(&me.acting(), &client_id, overlap, crate::ssr::now())
        .await
        .map_err(op_error)?;
    let env = entente_domain::environment::Environment::from(client.environment);
    let kept = CONSOLE_OVERLAPS
        .iter()
        .find(|(s, _)| *s == overlap)
        .map_or_else(|| format!("{overlap} seconds"), |(_, l)| (*l).to_owned());
    Ok(SecretShown {
        note: if overlap == 0 {
            "New secret issued; the old one no longer works.".into()
        } else {
            format!("New secret issued; the old one keeps working for {kept}.")
        },
        token_endpoint: format!("{}/oauth2/token", env.issuer(&cx.issuer)),
        client_name: client.name,
        client_id: client.client_id,
        client_secret: Some(secret),
    })
}

/// Registers the client's public keys (a secret client switches to private_key_jwt).
#[server]
pub async fn console_set_client_keys(
    client_id: String,
    jwks: String,
    jwks_uri: String,
) -> Result<String, ConsoleError> {
    use entente_operations::clients::AuthInput;
    let me = authorize("console_set_client_keys").await?;
    let (before, keys) = console()?
        .ops
        .set_client_keys(
            &me.acting(),
            &client_id,
            AuthInput::keys(Some(jwks), Some(jwks_uri)),
            crate::ssr::now(),
        )
        .await
        .map_err(op_error)?;
    Ok(format!(
        "{} now signs its assertions with its own key ({}).",
        before.name,
        crate::pages::portal::keys_api::describe(&keys)
    ))
}

/// Turns the client off (no new tokens, and the tokens it holds stop working at once) or on.
#[server]
pub async fn console_set_client_enabled(
    client_id: String,
    enabled: String,
) -> Result<String, ConsoleError> {
    let me = authorize("console_set_client_enabled").await?;
    // Whose client it is is settled before the input is judged (403/404 first).
    console()?
        .ops
        .client_for(
            &me.acting(),
            entente_operations::Operation::SetClientEnabled,
            &client_id,
        )
        .await
        .map_err(op_error)?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("enabled is true or false")),
    };
    let c = console()?
        .ops
        .set_client_enabled(&me.acting(), &client_id, enabled, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(if enabled {
        format!(
            "{} is on again; tokens it held before stay revoked.",
            c.name
        )
    } else {
        format!(
            "{} is off: it gets no tokens, and the tokens it held no longer work.",
            c.name
        )
    })
}
