//! Change requests: list, read, decide (a different administrator), withdraw (the filer).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::governance::{Decision, RequestStatus};
use entente_store::entities::change_request;
use entente_store::governance::RequestFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Json, Page, Paging, Path, Query, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeRequest {
    pub id: i64,
    /// promote, reactivate, grant, grants, trust_rule, enable_trust_rule or enable_issuer.
    pub kind: String,
    /// The partner's slug.
    pub partner: String,
    pub summary: String,
    /// For a promotion: the partner's production grants and trust rules when it was filed.
    pub details: String,
    /// What the change does, line by line: as filed while pending, as approved once approved.
    pub diff: Vec<entente_types::diff::DiffLine>,
    pub reason: String,
    /// pending, approved, rejected or withdrawn.
    pub status: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
}

fn request_of(r: change_request::Model, partner: String) -> ChangeRequest {
    let diff = r.diff_lines();
    ChangeRequest {
        id: r.id,
        kind: r.kind,
        partner,
        summary: r.summary,
        diff,
        details: r.details,
        reason: r.reason,
        status: r.status.to_string(),
        requested_by: r.requested_by,
        requested_at: time_text(r.requested_at),
        decided_by: r.decided_by,
        decided_at: r.decided_at.map(time_text),
        comment: r.decision_comment,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestSearch {
    /// pending, approved, rejected or withdrawn.
    pub status: Option<String>,
    /// The partner's slug.
    pub partner: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/change-requests", tag = "change requests",
    params(RequestSearch, Paging),
    responses((status = 200, description = "Newest first", body = Page<ChangeRequest>), Refusals))]
pub async fn list_requests(
    State(state): State<AppState>,
    Query(search): Query<RequestSearch>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let status = match search.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(s.parse::<RequestStatus>().map_err(ApiError::bad_request)?),
    };
    let limit = paging.limit()?;
    let filter = RequestFilter {
        status,
        partner: search.partner.filter(|p| !p.is_empty()),
        id: None,
        limit,
        offset: paging.offset(),
    };
    let total = state.store.count_change_requests(&filter).await?;
    let rows = state.store.list_change_requests(&filter).await?;
    Ok(ok(
        StatusCode::OK,
        Page {
            items: rows
                .into_iter()
                .map(|(r, p)| request_of(r, p))
                .collect::<Vec<_>>(),
            total,
            offset: paging.offset(),
            limit,
        },
    ))
}

async fn one(state: &AppState, id: i64) -> ApiResult<ChangeRequest> {
    let r = state.store.change_request(id).await?;
    let partner = state.store.partner_by_id(&r.partner_id).await?.slug;
    Ok(request_of(r, partner))
}

#[utoipa::path(get, path = "/admin/api/v1/change-requests/{id}", tag = "change requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses((status = 200, body = ChangeRequest), Refusals))]
pub async fn get_request(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    Ok(ok(StatusCode::OK, one(&state, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// approve or reject.
    #[schema(example = "approve")]
    pub decision: String,
    /// Required to reject.
    #[serde(default)]
    pub comment: String,
}

/// Only an administrator other than the filer decides; approval applies the change.
#[utoipa::path(post, path = "/admin/api/v1/change-requests/{id}/decision", tag = "change requests",
    params(("id" = i64, Path, description = "The request's number")),
    request_body = DecisionBody,
    responses((status = 200, description = "Decided", body = ChangeRequest), Refusals))]
pub async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(body): Json<DecisionBody>,
) -> ApiResult<Response> {
    let decision = match body.decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Err(ApiError::bad_request("decision is approve or reject")),
    };
    state
        .ops()
        .decide_change_request(&caller.acting(), id, decision, &body.comment, now())
        .await?;
    Ok(ok(StatusCode::OK, one(&state, id).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/change-requests/{id}/withdraw", tag = "change requests",
    params(("id" = i64, Path, description = "The request's number")),
    responses((status = 200, description = "Withdrawn", body = ChangeRequest), Refusals))]
pub async fn withdraw(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    state
        .ops()
        .withdraw_change_request(&caller.acting(), id, now())
        .await?;
    Ok(ok(StatusCode::OK, one(&state, id).await?))
}
