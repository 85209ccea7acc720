//! The partner portal's side of sessions: the signed-in partner user with their partner, and
//! invitations to a partner's team (by a partner admin, or a console operator).

use entente_store::Actor;
use entente_store::entities::partner;
use entente_store::enums::{PartnerStage, Role};

use super::session::{AdminSession, authorize};
use super::{console, fail, user_error};
use crate::error::ConsoleError;

/// Invitations to a partner's team are valid for 72 hours.
pub const INVITE_LIFETIME: i64 = 72 * 3600;

/// The signed-in partner user, if the access table lets their role call `route`, with their
/// partner (read from their account, never from the request).
pub async fn portal_user(
    route: &'static str,
) -> Result<(AdminSession, partner::Model), ConsoleError> {
    let me = authorize(route).await?;
    let Some(partner_id) = me.partner_id.clone() else {
        // The table lists partner roles only for portal routes; a console user never gets here.
        return Err(fail(ConsoleError::forbidden()));
    };
    let p = console()?
        .store
        .partner_by_id(&partner_id)
        .await
        .map_err(user_error)?;
    // The partner holding the admin API's clients has no portal: its people (made before it
    // was host-only) reach nothing.
    if p.host_only {
        return Err(fail(ConsoleError::new(
            403,
            "this organisation is managed from the host only",
        )));
    }
    // An offboarded partner's people reach nothing; a suspended one's only read.
    match p.stage {
        PartnerStage::Offboarded => Err(fail(ConsoleError::new(
            403,
            "your organisation's access has ended",
        ))),
        PartnerStage::Suspended if CHANGES.contains(&route) => Err(fail(ConsoleError::new(
            403,
            "your organisation is suspended: the portal only reads until it is reactivated",
        ))),
        _ => Ok((me, p)),
    }
}

/// Portal routes that change something or mint a token.
const CHANGES: [&str; 16] = [
    "portal_create_client",
    "portal_rotate_secret",
    "portal_invite",
    "portal_set_member",
    "try_token",
    "portal_request_production",
    "portal_request_scopes",
    "portal_request_client",
    "portal_withdraw",
    "portal_set_sign_in",
    "portal_add_issuer",
    "portal_trust_test_idp",
    "mint_test_token",
    "portal_set_client_enabled",
    "portal_revoke_invite",
    "portal_set_client_keys",
];

/// A one-time link for `email` to join `partner`'s team as `role`, valid 72 hours; the token is
/// stored only as a keyed hash.
pub async fn invite_partner_user(
    actor: &Actor,
    partner: &partner::Model,
    email: &str,
    role: Role,
) -> Result<String, ConsoleError> {
    let c = console()?;
    let token = entente_domain::secret::random_token(32);
    let now = super::now();
    c.store
        .invite_partner_user(
            actor,
            partner,
            email,
            role,
            c.hasher.hash(&token),
            now + INVITE_LIFETIME,
            now,
        )
        .await
        .map_err(user_error)?;
    Ok(format!("{}/setup?token={token}", c.issuer))
}
