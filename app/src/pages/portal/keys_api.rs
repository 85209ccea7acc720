//! A partner's own public keys for private_key_jwt (RFC 7523 §2.2): a JWKS pasted here or the
//! address the partner publishes it at, which the token service fetches and caches (refetching
//! on an unknown `kid`, at most once per cooldown), so keys rotate without a visit here.

use leptos::prelude::*;

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{bad_request, console, portal_user, user_error};

/// What a person typed: a JWKS or a URL (exactly one), as the store wants it. The URL is
/// checked against the SSRF rules (E40) and the JWKS for usable public keys only.
#[cfg(feature = "ssr")]
pub(crate) async fn keys_from_form(
    c: &crate::ssr::ConsoleContext,
    jwks: &str,
    jwks_uri: &str,
) -> Result<entente_store::client_keys::ClientKeys, ConsoleError> {
    use entente_store::client_keys::ClientKeys;
    match (jwks.trim(), jwks_uri.trim()) {
        ("", "") => Err(bad_request(
            "paste your public JWKS or give the URL you publish it at",
        )),
        (j, "") => {
            entente_domain::jwks::check_document(j).map_err(bad_request)?;
            Ok(ClientKeys::Document(j.to_owned()))
        }
        ("", u) => Ok(ClientKeys::Uri(
            c.federation
                .0
                .check_jwks_uri(u.to_owned())
                .await
                .map_err(|e| bad_request(format!("JWKS URL: {e}")))?,
        )),
        _ => Err(bad_request("give either a JWKS or a JWKS URL, not both")),
    }
}

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
    let (me, p) = portal_user("portal_set_client_keys").await?;
    let c = console()?;
    let client = super::api::own_client(&c, &p, &client_id).await?;
    let keys = keys_from_form(&c, &jwks, &jwks_uri).await?;
    let said = describe(&keys);
    let before = client.auth_method;
    c.store
        .set_client_keys(&me.actor(), &client.client_id, keys, crate::ssr::now())
        .await
        .map_err(user_error)?;
    c.federation.0.apply_changes().await;
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
