//! A partner's own public keys for private_key_jwt (RFC 7523 §2.2): a JWKS pasted here or the
//! address the partner publishes it at, which the token service fetches and caches (refetching
//! on an unknown `kid`, at most once per cooldown), so keys rotate without a visit here.

use leptos::prelude::*;

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, portal_user};

/// How a client's keys are registered, for people: "JWKS URL https://…" or "JWKS, 2 keys".
#[cfg(feature = "ssr")]
pub(crate) fn describe(keys: &entente_store::client_keys::ClientKeys) -> String {
    use entente_store::client_keys::ClientKeys;
    match keys {
        ClientKeys::Uri(u) => format!("JWKS URL {u}"),
        ClientKeys::Document(d) => match entente_domain::jwks::parse(d) {
            Ok((k, _)) if k.len() == 1 => "JWKS, 1 key".into(),
            Ok((k, _)) => format!("JWKS, {} keys", k.len()),
            Err(_) => "JWKS (unreadable)".into(),
        },
    }
}

/// Registers the public keys of one of the partner's clients. A client that used a secret
/// switches to private_key_jwt, and its secrets stop working at once.
#[server]
pub async fn portal_set_client_keys(
    client_id: String,
    jwks: String,
    jwks_uri: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_set_client_keys").await?;
    let keys = entente_operations::clients::AuthInput::keys(Some(jwks), Some(jwks_uri));
    let (client, keys) = console()?
        .ops
        .set_client_keys(&me.acting(), &client_id, keys, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    let said = describe(&keys);
    let before = client.auth_method;
    Ok(
        if before == entente_store::enums::ClientAuth::PrivateKeyJwt {
            format!("{}: keys replaced ({said}).", client.name)
        } else {
            format!(
                "{} now authenticates with private_key_jwt ({said}); its secrets no longer work.",
                client.name
            )
        },
    )
}
