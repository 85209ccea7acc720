//! Server functions of the signing keys page: keys with their timelines, the rotation policy,
//! rotate now, and emergency revocation with the kid typed as confirmation.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub kid: String,
    /// production or sandbox: each has its own keys and JWKS.
    pub environment: String,
    pub algorithm: String,
    pub state: String,
    pub created: String,
    pub state_since: String,
    /// (when, what happened) from the audit log, oldest first.
    pub timeline: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    pub rotation_days: i64,
    pub publish_minutes: i64,
    pub grace_minutes: i64,
    /// The floor of the grace: the longest token lifetime plus skew, in minutes (rounded up).
    pub min_grace_minutes: i64,
    /// The longest lifetime of any token Entente issues (seconds): the grace's bound.
    pub longest_token_lifetime: i64,
    pub algorithm: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysPage {
    pub keys: Vec<KeyRow>,
    pub policy: PolicyView,
    /// The signed-in user may rotate, revoke and set the policy (an administrator).
    pub can_manage: bool,
}

#[cfg(feature = "ssr")]
fn happened(action: &str, state: &str) -> String {
    match (action, state) {
        ("key.create", "pending") => "created and published (pending)".into(),
        ("key.create", s) => format!("created ({s})"),
        ("key.revoke", _) => "revoked (removed from the JWKS)".into(),
        (_, s) => s.to_owned(),
    }
}

#[server]
pub async fn list_keys() -> Result<KeysPage, ConsoleError> {
    let me = authorize("list_keys").await?;
    let c = console()?;
    let store = &c.store;
    let keys = store.signing_keys().await.map_err(user_error)?;
    let mut rows = vec![];
    for k in keys {
        let timeline = store
            .key_timeline(&k.kid)
            .await
            .map_err(user_error)?
            .into_iter()
            .map(|(at, action, state)| (crate::ssr::format_time(at), happened(&action, &state)))
            .collect();
        rows.push(KeyRow {
            kid: k.kid,
            environment: k.environment.to_string(),
            algorithm: k.algorithm,
            state: k.state.to_string(),
            created: crate::ssr::format_time(k.created_at),
            state_since: crate::ssr::format_time(k.state_since),
            timeline,
        });
    }
    let p = c
        .ops
        .rotation_policy()
        .await
        .map_err(crate::ssr::op_error)?;
    let longest = store.longest_token_lifetime().await.map_err(user_error)?;
    let floor = longest + entente_domain::keyring::RETIREMENT_SKEW;
    Ok(KeysPage {
        keys: rows,
        policy: PolicyView {
            rotation_days: p.rotation_interval / 86_400,
            publish_minutes: p.publish_lead / 60,
            grace_minutes: p.max_token_lifetime / 60,
            min_grace_minutes: (floor + 59) / 60,
            longest_token_lifetime: longest,
            algorithm: p.algorithm.as_str().to_owned(),
        },
        can_manage: me.role == entente_store::enums::Role::Admin,
    })
}

#[server]
pub async fn set_key_policy(
    rotation_days: i64,
    publish_minutes: i64,
    grace_minutes: i64,
) -> Result<String, ConsoleError> {
    let me = authorize("set_key_policy").await?;
    let scale = |n: i64, by: i64| {
        n.checked_mul(by)
            .ok_or_else(|| bad_request("a number is too large"))
    };
    console()?
        .ops
        .set_key_policy(
            &me.acting(),
            scale(rotation_days, 86_400)?,
            scale(publish_minutes, 60)?,
            scale(grace_minutes, 60)?,
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok("Rotation policy saved; the next rotation follows it.".into())
}

/// `immediate`: present to sign with the new key at once (the old one keeps verifying).
/// `environment`: production (also when absent) or sandbox.
#[server]
pub async fn rotate_key_now(
    immediate: Option<String>,
    environment: Option<String>,
) -> Result<String, ConsoleError> {
    let me = authorize("rotate_key_now").await?;
    let environment: entente_domain::environment::Environment = environment
        .as_deref()
        .filter(|e| !e.is_empty())
        .unwrap_or("production")
        .parse()
        .map_err(crate::ssr::bad_request)?;
    let kid = console()?
        .ops
        .rotate_key(
            &me.acting(),
            environment,
            immediate.is_some(),
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    let which = match environment {
        entente_domain::environment::Environment::Production => "Production",
        entente_domain::environment::Environment::Sandbox => "Sandbox",
    };
    Ok(if immediate.is_some() {
        format!("{which} key {kid} published and signing now.")
    } else {
        format!("{which} key {kid} published; it signs after the pre-publication window.")
    })
}

/// Emergency revocation; `confirm` must be the kid, typed.
#[server]
pub async fn revoke_key(kid: String, confirm: String) -> Result<String, ConsoleError> {
    let me = authorize("revoke_key").await?;
    let successor = console()?
        .ops
        .revoke_key(&me.acting(), &kid, &confirm, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(match successor {
        Some(s) => format!("Key {kid} revoked; key {s} signs from now on."),
        None => format!("Key {kid} revoked."),
    })
}
