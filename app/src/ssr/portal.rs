//! The partner portal's side of sessions: the signed-in partner user with their partner, and
//! invitations to a partner's team (by a partner admin, or a console operator).

use entente_store::entities::partner;

use super::session::{AdminSession, authorize_partner_user};
use super::{console, fail, op_error, user_error};
use crate::error::ConsoleError;

/// The signed-in partner user allowed `route`'s operation on their own partner (read from
/// their account, never from the request): the policy table decides, with the partner's stage.
pub async fn portal_user(
    route: &'static str,
) -> Result<(AdminSession, partner::Model), ConsoleError> {
    let me = authorize_partner_user(route).await?;
    let Some(partner_id) = me.partner_id.clone() else {
        return Err(fail(ConsoleError::forbidden()));
    };
    let p = console()?
        .store
        .partner_by_id(&partner_id)
        .await
        .map_err(user_error)?;
    let op = super::routes::operation(route).ok_or_else(|| fail(ConsoleError::forbidden()))?;
    entente_operations::authorize(&me.acting(), op, entente_operations::Target::Partner(&p))
        .map_err(op_error)?;
    Ok((me, p))
}
