//! Server functions of the console users page: who may sign in, with which role.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub email: String,
    pub role: String,
    pub enabled: bool,
    pub created: String,
    /// The signed-in user (who cannot change their own account).
    pub me: bool,
}

/// Users per page of the list.
pub const PAGE: u64 = 25;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersPage {
    /// This page of the users matching the filter.
    pub users: Vec<UserRow>,
    pub total: u64,
    pub offset: u64,
    /// The signed-in user may change roles and invite (an administrator).
    pub can_manage: bool,
    /// Invitations not used yet, soonest to expire first.
    pub invitations: Vec<InvitationRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationRow {
    pub email: String,
    pub role: String,
    pub expires: String,
}

/// One page of console users by e-mail, filtered by part of an address or a role (console users
/// are few: the page is cut from the whole list on the server).
#[server]
pub async fn list_console_users(filter: String, offset: u64) -> Result<UsersPage, ConsoleError> {
    let me = authorize("list_console_users").await?;
    let users = console()?.store.list_admins().await.map_err(user_error)?;
    let f = filter.trim().to_lowercase();
    let matching: Vec<UserRow> = users
        .into_iter()
        .filter(|u| f.is_empty() || u.email.contains(&f) || u.role.to_string() == f)
        .map(|u| UserRow {
            me: u.id == me.id,
            email: u.email,
            role: u.role.to_string(),
            enabled: u.enabled,
            created: crate::ssr::format_time(u.created_at),
        })
        .collect();
    let total = matching.len() as u64;
    let invitations = console()?
        .store
        .pending_console_invites(crate::ssr::now())
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|i| InvitationRow {
            email: i.email.unwrap_or_default(),
            role: i.role.to_string(),
            expires: crate::ssr::format_time(i.expires_at),
        })
        .collect();
    Ok(UsersPage {
        invitations,
        can_manage: me.role == entente_store::enums::Role::Admin,
        users: matching
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(PAGE as usize)
            .collect(),
        total,
        offset,
    })
}

/// `enabled`: "true" or "false".
#[server]
pub async fn set_user_access(
    email: String,
    role: String,
    enabled: String,
) -> Result<String, ConsoleError> {
    let me = authorize("set_user_access").await?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("enabled is true or false")),
    };
    let u = console()?
        .ops
        .set_console_user_access(&me.acting(), &email, &role, enabled, crate::ssr::now())
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

/// A one-time link for `email` to become a console user with `role`; only that address can
/// use it (four eyes count people by address); shown once, valid three days.
#[server]
pub async fn invite_console_user(role: String, email: String) -> Result<String, ConsoleError> {
    let me = authorize("invite_console_user").await?;
    let invitation = console()?
        .ops
        .invite_console_user(&me.acting(), &email, &role, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(invitation.link)
}

/// Withdraws the pending invitations for `email`: their links stop working.
#[server]
pub async fn revoke_console_invite(email: String) -> Result<String, ConsoleError> {
    let me = authorize("revoke_console_invite").await?;
    console()?
        .ops
        .revoke_console_invitation(&me.acting(), &email, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "The invitation for {} no longer works.",
        email.trim().to_lowercase()
    ))
}
