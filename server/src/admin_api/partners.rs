//! Partners: the list, one partner, creation, and the lifecycle (stage, suspend, reactivate).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_store::entities::partner;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::problem::{ApiResult, Json, Outcome, Page, Paging, Path, Query, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Partner {
    #[schema(example = "acme")]
    pub slug: String,
    pub name: String,
    /// applied, in_review, sandbox, production, suspended or offboarded.
    #[schema(example = "sandbox")]
    pub stage: String,
    pub enabled: bool,
    pub suspended_reason: Option<String>,
    /// When the partner's first successful token exchange was seen (RFC 3339).
    pub first_exchange_at: Option<String>,
    pub created_at: String,
}

impl From<partner::Model> for Partner {
    fn from(p: partner::Model) -> Self {
        Self {
            slug: p.slug,
            name: p.name,
            stage: p.stage.to_string(),
            enabled: p.enabled,
            suspended_reason: p.suspended_reason,
            first_exchange_at: p.first_exchange_at.map(time_text),
            created_at: time_text(p.created_at),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PartnerSearch {
    /// Part of a slug or name.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/partners", tag = "partners",
    params(PartnerSearch, Paging),
    responses((status = 200, description = "Partners by slug", body = Page<Partner>), Refusals))]
pub async fn list_partners(
    State(state): State<AppState>,
    Query(search): Query<PartnerSearch>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let limit = paging.limit()?;
    let (rows, total) = state
        .store
        .partners_page(search.q.as_deref(), paging.offset(), limit)
        .await?;
    Ok(ok(
        StatusCode::OK,
        Page {
            items: rows.into_iter().map(Partner::from).collect::<Vec<_>>(),
            total,
            offset: paging.offset(),
            limit,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPartner {
    /// Lowercase letters, digits and dashes.
    #[schema(example = "acme")]
    pub slug: String,
    #[schema(example = "Acme Corporation")]
    pub name: String,
    /// applied (default), in_review or sandbox.
    pub stage: Option<String>,
}

#[utoipa::path(post, path = "/admin/api/v1/partners", tag = "partners", request_body = NewPartner,
    responses((status = 201, description = "Created", body = Partner), Refusals))]
pub async fn create_partner(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewPartner>,
) -> ApiResult<Response> {
    let p = state
        .ops()
        .create_partner(
            &caller.acting(),
            body.slug,
            body.name,
            body.stage.as_deref(),
            now(),
        )
        .await?;
    Ok(ok(StatusCode::CREATED, Partner::from(p)))
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}", tag = "partners",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = Partner), Refusals))]
pub async fn get_partner(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    Ok(ok(StatusCode::OK, Partner::from(p)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StageChange {
    /// The stage to move to; production files a change request.
    #[schema(example = "sandbox")]
    pub to: String,
    /// Why (recorded on a change request; up to 1000 characters).
    #[serde(default)]
    pub reason: String,
}

#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/stage", tag = "partners",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = StageChange,
    responses((status = 200, description = "Moved", body = Outcome),
        (status = 202, description = "Promotion filed as a change request", body = Outcome), Refusals))]
pub async fn move_stage(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<StageChange>,
) -> ApiResult<Response> {
    use entente_operations::partners::StageMoved;
    let moved = state
        .ops()
        .move_partner_stage(&caller.acting(), &slug, &body.to, &body.reason, now())
        .await?;
    Ok(match moved {
        StageMoved::Moved(p) => Outcome {
            outcome: "applied".into(),
            change_request: None,
            summary: format!("{} is now {}", p.slug, p.stage),
        },
        StageMoved::Submitted(out) => Outcome::from(out),
    }
    .response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    #[serde(default)]
    pub reason: String,
}

/// The kill switch: new tokens refused at once, every token derived from the partner revoked.
#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/suspend", tag = "partners",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = Reason,
    responses((status = 200, body = Partner), Refusals))]
pub async fn suspend(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<Reason>,
) -> ApiResult<Response> {
    let p = state
        .ops()
        .suspend_partner(&caller.acting(), &slug, &body.reason, now())
        .await?;
    Ok(ok(StatusCode::OK, Partner::from(p)))
}

/// Reactivation restores access, so it is filed as a change request.
#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/reactivate", tag = "partners",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = Reason,
    responses((status = 202, description = "Filed as a change request", body = Outcome),
        (status = 200, description = "Applied", body = Outcome), Refusals))]
pub async fn reactivate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<Reason>,
) -> ApiResult<Response> {
    let out = state
        .ops()
        .reactivate_partner(&caller.acting(), &slug, &body.reason, now())
        .await?;
    Ok(Outcome::from(out).response())
}
