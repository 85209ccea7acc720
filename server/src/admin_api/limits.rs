//! Rate limits: tiers, and the limit of a partner or client, with the rate each is calling at
//! now (as this replica sees it).

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use entente_domain::rate_limit::{ClientLimit, PartnerLimits, Rate, Setting, TierView};
use entente_operations::Operation;
use entente_store::limits::Subject;
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiError, ApiResult, Json, Path, Refusals, ok};
use crate::state::{AppState, now};

#[utoipa::path(get, path = "/admin/api/v1/rate-limits/tiers", tag = "rate limits",
    responses((status = 200, body = Vec<TierView>), Refusals))]
pub async fn list_tiers(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(ok(StatusCode::OK, state.store.tier_views().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierBody {
    /// Sustained requests per second.
    #[schema(minimum = 1, maximum = 1000000)]
    pub per_second: i64,
    /// Requests allowed at once after a quiet period.
    #[schema(minimum = 1, maximum = 10000000)]
    pub burst: i64,
    /// true: the default tier (of partners and resource servers with no setting); false: not
    /// the default; absent: unchanged.
    pub default: Option<bool>,
}

/// Creates or changes a tier; every replica enforces the change within a second.
#[utoipa::path(put, path = "/admin/api/v1/rate-limits/tiers/{name}", tag = "rate limits",
    params(("name" = String, Path, description = "The tier's name")),
    request_body = TierBody,
    responses((status = 200, body = TierView), Refusals))]
pub async fn put_tier(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Json(body): Json<TierBody>,
) -> ApiResult<Response> {
    let rate = Rate::new(body.per_second, body.burst).map_err(ApiError::bad_request)?;
    state
        .ops()
        .set_tier(&caller.acting(), &name, rate, body.default, now())
        .await?;
    let view = state
        .store
        .tier_views()
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| ApiError::not_found(format!("tier {name} not found")))?;
    Ok(ok(StatusCode::OK, view))
}

/// Deletes a tier that no partner or client uses (409 while one does).
#[utoipa::path(delete, path = "/admin/api/v1/rate-limits/tiers/{name}", tag = "rate limits",
    params(("name" = String, Path, description = "The tier's name")),
    responses((status = 204, description = "Deleted"), Refusals))]
pub async fn delete_tier(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    state
        .ops()
        .delete_tier(&caller.acting(), &name, now())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A tier, or a rate with its burst.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    #[schema(example = "gold")]
    pub tier: Option<String>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub per_second: Option<i64>,
    #[schema(minimum = 1, maximum = 10000000)]
    pub burst: Option<i64>,
}

impl LimitBody {
    fn setting(&self) -> ApiResult<Setting> {
        Setting::from_parts(self.tier.as_deref(), self.per_second, self.burst)
            .map_err(ApiError::bad_request)
    }
}

async fn partner_view(state: &AppState, slug: &str) -> ApiResult<PartnerLimits> {
    let mut v = state.store.partner_limits(slug).await?;
    state.limits.observe_partner(&mut v).await;
    Ok(v)
}

async fn client_view(state: &AppState, client_id: &str) -> ApiResult<ClientLimit> {
    let mut c = state.store.client_limit(client_id).await?;
    state.limits.observe_client(&mut c).await;
    Ok(c)
}

/// A partner's limit over all its clients, each client's own, and the rates they call at now.
#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/rate-limit", tag = "rate limits",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = PartnerLimits), Refusals))]
pub async fn get_partner_limit(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    Ok(ok(StatusCode::OK, partner_view(&state, &slug).await?))
}

#[utoipa::path(put, path = "/admin/api/v1/partners/{partner}/rate-limit", tag = "rate limits",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = LimitBody,
    responses((status = 200, body = PartnerLimits), Refusals))]
pub async fn put_partner_limit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<LimitBody>,
) -> ApiResult<Response> {
    // The setting is judged only for a caller who may set it (403/404 first).
    state
        .ops()
        .may(&caller.acting(), Operation::SetRateLimit, Some(&slug))
        .await?;
    let setting = body.setting()?;
    let subject = Subject::Partner { slug: slug.clone() };
    state
        .ops()
        .set_rate_limit(&caller.acting(), &subject, Some(&setting), now())
        .await?;
    Ok(ok(StatusCode::OK, partner_view(&state, &slug).await?))
}

/// Removes the partner's own setting: it follows the default tier again.
#[utoipa::path(delete, path = "/admin/api/v1/partners/{partner}/rate-limit", tag = "rate limits",
    params(("partner" = String, Path, description = "The partner's slug")),
    responses((status = 200, body = PartnerLimits), Refusals))]
pub async fn delete_partner_limit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
) -> ApiResult<Response> {
    let subject = Subject::Partner { slug: slug.clone() };
    state
        .ops()
        .set_rate_limit(&caller.acting(), &subject, None, now())
        .await?;
    Ok(ok(StatusCode::OK, partner_view(&state, &slug).await?))
}

/// A client's own limit (a partner's client or a resource server) and its rate now.
#[utoipa::path(get, path = "/admin/api/v1/clients/{client_id}/rate-limit", tag = "rate limits",
    params(("client_id" = String, Path, description = "The client's ID")),
    responses((status = 200, body = ClientLimit), Refusals))]
pub async fn get_client_limit(
    State(state): State<AppState>,
    Path(client_id): Path<String>,
) -> ApiResult<Response> {
    Ok(ok(StatusCode::OK, client_view(&state, &client_id).await?))
}

#[utoipa::path(put, path = "/admin/api/v1/clients/{client_id}/rate-limit", tag = "rate limits",
    params(("client_id" = String, Path, description = "The client's ID")),
    request_body = LimitBody,
    responses((status = 200, body = ClientLimit), Refusals))]
pub async fn put_client_limit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    Json(body): Json<LimitBody>,
) -> ApiResult<Response> {
    state
        .ops()
        .client_for(&caller.acting(), Operation::SetRateLimit, &client_id)
        .await?;
    let setting = body.setting()?;
    let subject = Subject::Client {
        partner_slug: None,
        client_id: client_id.clone(),
    };
    state
        .ops()
        .set_rate_limit(&caller.acting(), &subject, Some(&setting), now())
        .await?;
    Ok(ok(StatusCode::OK, client_view(&state, &client_id).await?))
}

/// Removes the client's own setting: it follows its partner (or the default tier).
#[utoipa::path(delete, path = "/admin/api/v1/clients/{client_id}/rate-limit", tag = "rate limits",
    params(("client_id" = String, Path, description = "The client's ID")),
    responses((status = 200, body = ClientLimit), Refusals))]
pub async fn delete_client_limit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
) -> ApiResult<Response> {
    let subject = Subject::Client {
        partner_slug: None,
        client_id: client_id.clone(),
    };
    state
        .ops()
        .set_rate_limit(&caller.acting(), &subject, None, now())
        .await?;
    Ok(ok(StatusCode::OK, client_view(&state, &client_id).await?))
}
