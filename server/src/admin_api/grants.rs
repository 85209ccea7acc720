//! A partner's grants: which scopes of which audiences its clients may receive.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::ScopeSet;
use entente_store::governance::{Change, GrantSet};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Json, Outcome, Path, Refusals, ok};
use super::submit;
use crate::state::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct Grant {
    /// The audience's identifier.
    pub audience: String,
    pub scopes: Vec<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/grants", tag = "grants",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, description = "Every audience the partner has a grant on", body = Vec<Grant>), Refusals))]
pub async fn list_grants(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    let mut grants: Vec<Grant> = state
        .store
        .grants_of(&p.id)
        .await?
        .into_iter()
        .map(|(audience, scopes)| Grant {
            audience,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        })
        .collect();
    grants.sort_by(|a, b| a.audience.cmp(&b.audience));
    Ok(ok(StatusCode::OK, grants))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantChange {
    /// The audience's identifier.
    pub audience: String,
    /// Space-separated; empty removes the grant.
    #[schema(example = "orders:read")]
    pub scopes: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantChanges {
    /// Each replaces the partner's grant on its audience; all apply together, or wait together
    /// as one change request when any widens a production partner's access.
    pub grants: Vec<GrantChange>,
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(put, path = "/admin/api/v1/partners/{partner}/grants", tag = "grants",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = GrantChanges,
    responses((status = 200, description = "Applied", body = Outcome),
        (status = 202, description = "Filed as a change request", body = Outcome), Refusals))]
pub async fn put_grants(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<GrantChanges>,
) -> ApiResult<Response> {
    // The grants are judged only for a caller who may set them (403/404 first).
    state
        .ops()
        .may(
            &caller.acting(),
            entente_operations::Operation::SetGrant,
            Some(&slug),
        )
        .await?;
    let parse = |s: &str| ScopeSet::parse(s).map_err(|e| ApiError::bad_request(e.description));
    let change = match body.grants.as_slice() {
        [] => return Err(ApiError::bad_request("give at least one grant")),
        [one] => Change::Grant {
            partner: slug,
            audience: one.audience.clone(),
            scopes: parse(&one.scopes)?,
        },
        many => Change::Grants {
            partner: slug,
            grants: many
                .iter()
                .map(|g| {
                    Ok(GrantSet {
                        audience: g.audience.clone(),
                        scopes: parse(&g.scopes)?,
                    })
                })
                .collect::<ApiResult<_>>()?,
        },
    };
    submit(&state, &caller, change, &body.reason).await
}
