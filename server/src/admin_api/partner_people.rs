//! A partner's own people, for the administrators: its users and pending invitations, a new
//! one-time invitation link (shown once), withdrawing one, changing a user's role or access,
//! and the partner's single-sign-on settings (read only: the partner's admins set them; the
//! client secret is never shown).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Json, Path, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerUser {
    #[schema(example = "pat@acme.example")]
    pub email: String,
    /// partner_admin, partner_viewer or sandbox_tester.
    pub role: String,
    pub enabled: bool,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PendingInvitation {
    pub email: String,
    pub role: String,
    pub expires_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerPeople {
    pub users: Vec<PartnerUser>,
    /// Invitations not used and not expired, soonest to expire first.
    pub invitations: Vec<PendingInvitation>,
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/users", tag = "partner users",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = PartnerPeople), Refusals))]
pub async fn list_partner_users(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    let users = state.store.partner_users(&p.id).await?;
    let invitations = state.store.pending_partner_invites(&p.id, now()).await?;
    Ok(ok(
        StatusCode::OK,
        PartnerPeople {
            users: users
                .into_iter()
                .map(|u| PartnerUser {
                    email: u.email,
                    role: u.role.to_string(),
                    enabled: u.enabled,
                    created_at: time_text(u.created_at),
                })
                .collect(),
            invitations: invitations
                .into_iter()
                .map(|i| PendingInvitation {
                    email: i.email.unwrap_or_default(),
                    role: i.role.to_string(),
                    expires_at: time_text(i.expires_at),
                })
                .collect(),
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    #[schema(example = "pat@acme.example")]
    pub email: String,
    /// partner_admin (default), partner_viewer or sandbox_tester (the playground only).
    pub role: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedInvitation {
    pub email: String,
    pub role: String,
    pub expires_at: String,
    /// The one-time link (72 hours) to send to that address, and only there: shown once.
    pub link: String,
}

#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/invitations", tag = "partner users",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = NewInvitation,
    responses((status = 201, description = "The link, shown once", body = CreatedInvitation), Refusals))]
pub async fn invite(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<NewInvitation>,
) -> ApiResult<Response> {
    let invitation = state
        .ops()
        .invite_partner_user(
            &caller.acting(),
            Some(&slug),
            &body.email,
            body.role.as_deref().unwrap_or("partner_admin"),
            now(),
        )
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        CreatedInvitation {
            email: invitation.email,
            role: invitation.role.to_string(),
            expires_at: time_text(invitation.expires_at),
            link: invitation.link,
        },
    ))
}

#[utoipa::path(delete, path = "/admin/api/v1/partners/{partner}/invitations/{email}", tag = "partner users",
    params(("partner" = String, Path, description = "The partner's slug"),
           ("email" = String, Path, description = "The invited address")),
    responses((status = 204, description = "Withdrawn: the links stop working"), Refusals))]
pub async fn withdraw_invitation(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((slug, email)): Path<(String, String)>,
) -> ApiResult<Response> {
    state
        .ops()
        .revoke_partner_invitation(&caller.acting(), Some(&slug), &email, now())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserAccess {
    /// partner_admin, partner_viewer or sandbox_tester.
    pub role: String,
    /// false: the user can no longer sign in, and their sessions stop working (each request
    /// reads the account).
    pub enabled: bool,
}

#[utoipa::path(put, path = "/admin/api/v1/partners/{partner}/users/{email}", tag = "partner users",
    params(("partner" = String, Path, description = "The partner's slug"),
           ("email" = String, Path, description = "The user's address")),
    request_body = UserAccess,
    responses((status = 200, body = PartnerUser), Refusals))]
pub async fn put_partner_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((slug, email)): Path<(String, String)>,
    Json(body): Json<UserAccess>,
) -> ApiResult<Response> {
    let u = state
        .ops()
        .set_partner_user_access(
            &caller.acting(),
            Some(&slug),
            &email,
            &body.role,
            body.enabled,
            now(),
        )
        .await?;
    Ok(ok(
        StatusCode::OK,
        PartnerUser {
            email: u.email,
            role: u.role.to_string(),
            enabled: u.enabled,
            created_at: time_text(u.created_at),
        },
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PartnerSignIn {
    /// The partner's OpenID provider.
    pub issuer: String,
    pub client_id: String,
    pub enabled: bool,
    /// People of these e-mail domains who sign in without an account join as `join_role`.
    pub join_domains: Vec<String>,
    pub join_role: Option<String>,
    pub updated_at: String,
}

/// The partner's single-sign-on settings, as its admins set them in the portal; 404 when it
/// has none. The client secret is never returned.
#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/sign-in", tag = "partner users",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = PartnerSignIn), Refusals))]
pub async fn get_partner_sign_in(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    let s = state
        .store
        .partner_sign_in(&p.id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("{slug} has no single sign-on")))?;
    Ok(ok(
        StatusCode::OK,
        PartnerSignIn {
            issuer: s.issuer,
            client_id: s.client_id,
            enabled: s.enabled,
            join_domains: s.domains.split_whitespace().map(str::to_owned).collect(),
            join_role: s.join_role.map(|r| r.to_string()),
            updated_at: time_text(s.updated_at),
        },
    ))
}
