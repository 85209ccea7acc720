//! A partner's record (agreement, contacts, escalation path) and onboarding checklist.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::onboarding::{ChecklistItem, PartnerRecord};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::partners::Partner;
use super::problem::{ApiResult, Json, Path, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct Onboarding {
    pub partner: Partner,
    pub record: PartnerRecord,
    /// Who accepted the security questionnaire, if anyone has.
    pub questionnaire_accepted_by: Option<String>,
    pub questionnaire_accepted_at: Option<String>,
    /// Promotion to production waits until every item is done.
    pub checklist: Vec<ChecklistItem>,
    pub ready: bool,
}

async fn onboarding_of(state: &AppState, slug: &str) -> ApiResult<Onboarding> {
    let o = state.store.onboarding(slug, now()).await?;
    Ok(Onboarding {
        ready: o.checklist.iter().all(|i| i.done),
        questionnaire_accepted_at: o.facts.questionnaire_accepted_at.map(time_text),
        questionnaire_accepted_by: o.questionnaire_accepted_by,
        record: o.record,
        checklist: o.checklist,
        partner: Partner::from(o.partner),
    })
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/onboarding", tag = "onboarding",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = Onboarding), Refusals))]
pub async fn get_onboarding(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    Ok(ok(StatusCode::OK, onboarding_of(&state, &slug).await?))
}

/// Replaces the record; empty fields are allowed, filled ones must be well-formed.
#[utoipa::path(put, path = "/admin/api/v1/partners/{partner}/record", tag = "onboarding",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = PartnerRecord,
    responses((status = 200, body = Onboarding), Refusals))]
pub async fn put_record(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(record): Json<PartnerRecord>,
) -> ApiResult<Response> {
    state
        .ops()
        .save_partner_record(&caller.acting(), &slug, record, now())
        .await?;
    Ok(ok(StatusCode::OK, onboarding_of(&state, &slug).await?))
}

#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/questionnaire", tag = "onboarding",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, description = "Accepted", body = Onboarding), Refusals))]
pub async fn accept_questionnaire(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    state
        .ops()
        .accept_questionnaire(&caller.acting(), &slug, now())
        .await?;
    Ok(ok(StatusCode::OK, onboarding_of(&state, &slug).await?))
}

/// Fetches every enabled trusted issuer's keys now (no cache) and records the result.
#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/issuer-check", tag = "onboarding",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, description = "Checked (see the checklist)", body = Onboarding), Refusals))]
pub async fn check_issuer_keys(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    state
        .ops()
        .check_issuer_keys(&caller.acting(), &slug, now())
        .await?;
    Ok(ok(StatusCode::OK, onboarding_of(&state, &slug).await?))
}
