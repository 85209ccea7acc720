//! Console users and their roles.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_store::entities::admin_user;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiResult, Json, Paging, Path, Query, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    pub email: String,
    /// admin, operator or auditor.
    pub role: String,
    pub enabled: bool,
    pub created_at: String,
}

impl From<admin_user::Model> for User {
    fn from(u: admin_user::Model) -> Self {
        Self {
            email: u.email,
            role: u.role.to_string(),
            enabled: u.enabled,
            created_at: time_text(u.created_at),
        }
    }
}

#[utoipa::path(get, path = "/admin/api/v1/users", tag = "users", params(Paging),
    responses((status = 200, body = super::problem::Page<User>), Refusals))]
pub async fn list_users(
    State(state): State<AppState>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let all = state.store.list_admins().await?;
    Ok(ok(
        StatusCode::OK,
        paging.page(all.into_iter().map(User::from).collect())?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Access {
    /// admin, operator or auditor.
    #[schema(example = "operator")]
    pub role: String,
    /// A disabled user is signed out and cannot sign in.
    pub enabled: bool,
}

/// Changes a user's role and whether they may sign in (nobody changes their own account).
#[utoipa::path(put, path = "/admin/api/v1/users/{email}", tag = "users",
    params(("email" = String, Path, description = "The user's email address")),
    request_body = Access,
    responses((status = 200, body = User), Refusals))]
pub async fn put_user(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(email): Path<String>,
    Json(body): Json<Access>,
) -> ApiResult<Response> {
    let u = state
        .ops()
        .set_console_user_access(&caller.acting(), &email, &body.role, body.enabled, now())
        .await?;
    Ok(ok(StatusCode::OK, User::from(u)))
}
