//! The admin REST API (`/admin/api/v1`): everything the console does, for scripts. Reached with
//! a console session (same origin) or a bearer token whose scope names a role; answers JSON,
//! refusals as RFC 9457 problem details; its OpenAPI 3.1 document is generated from the
//! handlers below and served at `/admin/api/v1/openapi.json`.

pub mod audit;
pub mod auth;
pub mod catalog;
pub mod changes;
pub mod explain;
pub mod grants;
pub mod keys;
pub mod limits;
pub mod onboarding;
pub mod partner_people;
pub mod partners;
pub mod problem;
pub mod routes;
pub mod trust;
pub mod usage;
pub mod users;

use std::sync::OnceLock;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use entente_store::governance::Change;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::{AppState, now};
use auth::Caller;
use problem::{ApiResult, Outcome};

pub const EXPLAIN_PATH: &str = "/admin/api/v1/exchange/explain";
pub const AUDIT_PATH: &str = "/admin/api/v1/audit";
pub const OPENAPI_PATH: &str = "/admin/api/v1/openapi.json";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Entente admin API",
        description = "Run the federation from scripts: partners and their onboarding, clients, \
            audiences and scopes, grants, trusted issuers and trust rules, signing keys, change \
            requests, console users, partners' own users and invitations, rate limits, usage and the audit log. Authenticate with a bearer access token \
            Entente issued for the audience `<issuer>/admin/api/v1` with scope `entente:admin`, \
            `entente:operator` or `entente:auditor` (the console role it acts as), or with a \
            console session. Changes that widen a production partner's access answer 202 with \
            the change request they filed.",
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("entente_session"))),
        );
    }
}

/// Every route with its handler and its documentation, from one list.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(partners::list_partners, partners::create_partner))
        .routes(routes!(partners::get_partner))
        .routes(routes!(partners::move_stage))
        .routes(routes!(partners::suspend))
        .routes(routes!(partners::reactivate))
        .routes(routes!(onboarding::get_onboarding))
        .routes(routes!(onboarding::put_record))
        .routes(routes!(onboarding::accept_questionnaire))
        .routes(routes!(onboarding::check_issuer_keys))
        .routes(routes!(catalog::list_clients, catalog::create_client))
        .routes(routes!(catalog::rotate_secret))
        .routes(routes!(catalog::put_client_keys))
        .routes(routes!(partner_people::list_partner_users))
        .routes(routes!(partner_people::invite))
        .routes(routes!(partner_people::withdraw_invitation))
        .routes(routes!(partner_people::put_partner_user))
        .routes(routes!(partner_people::get_partner_sign_in))
        .routes(routes!(catalog::list_audiences, catalog::create_audience))
        .routes(routes!(catalog::put_scope))
        .routes(routes!(grants::list_grants, grants::put_grants))
        .routes(routes!(trust::list_issuers, trust::create_issuer))
        .routes(routes!(trust::switch_issuer))
        .routes(routes!(trust::list_rules, trust::put_rule))
        .routes(routes!(trust::switch_rule))
        .routes(routes!(explain::explain_route))
        .routes(routes!(keys::list_keys))
        .routes(routes!(keys::put_policy))
        .routes(routes!(keys::rotate))
        .routes(routes!(keys::revoke))
        .routes(routes!(changes::list_requests))
        .routes(routes!(changes::get_request))
        .routes(routes!(changes::decide))
        .routes(routes!(changes::withdraw))
        .routes(routes!(users::list_users))
        .routes(routes!(users::put_user))
        .routes(routes!(audit::get_audit))
        .routes(routes!(limits::list_tiers))
        .routes(routes!(limits::put_tier, limits::delete_tier))
        .routes(routes!(
            limits::get_partner_limit,
            limits::put_partner_limit,
            limits::delete_partner_limit
        ))
        .routes(routes!(
            limits::get_client_limit,
            limits::put_client_limit,
            limits::delete_client_limit
        ))
        .routes(routes!(usage::get_usage))
        .routes(routes!(usage::get_recent))
        .routes(routes!(usage::get_live))
        .routes(routes!(usage::get_alerts))
}

/// The OpenAPI document, built once.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOC: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOC.get_or_init(|| api().split_for_parts().1)
}

/// Every admin API route as "METHOD /path", its key in the console's access table (the role
/// test walks these; a route missing from the table is refused to everyone).
pub fn route_keys() -> Vec<String> {
    let mut keys = vec![];
    for (path, item) in &openapi().paths.paths {
        for (method, op) in [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
        ] {
            if op.is_some() {
                keys.push(format!("{method} {path}"));
            }
        }
    }
    keys
}

async fn openapi_json() -> Response {
    let mut r = axum::Json(openapi()).into_response();
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}

/// The admin API's routes, for any router state (the console's router carries Leptos options).
pub fn routes<S: Clone + Send + Sync + 'static>(state: &AppState) -> Router<S> {
    let (router, _) = api().split_for_parts();
    router
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::guard,
        ))
        // Answers carry partner data, one-time secrets or refusals: never cached.
        .layer(
            tower_http::set_header::SetResponseHeaderLayer::if_not_present(
                header::CACHE_CONTROL,
                HeaderValue::from_static("no-store"),
            ),
        )
        .route(OPENAPI_PATH, get(openapi_json))
        .with_state(state.clone())
}

/// RFC 3339 text of a Unix time.
pub fn time_text(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Makes this replica apply a catalog change now (the others follow through the change feed).
pub async fn apply_changes(state: &AppState) {
    if let Err(e) = state.poll_changes().await {
        tracing::warn!(error = %e, "applying admin API changes now failed");
    }
}

/// Applies a change that may widen production access, or files it as a change request:
/// 200 `applied` or 202 `requested`.
pub async fn submit(
    state: &AppState,
    caller: &Caller,
    change: Change,
    reason: &str,
) -> ApiResult<Response> {
    let out = state
        .ops()
        .submit(&caller.acting(), change, reason, true, now())
        .await?;
    Ok(Outcome::from(out).response())
}

impl From<entente_operations::governance::Outcome> for Outcome {
    fn from(out: entente_operations::governance::Outcome) -> Self {
        use entente_operations::governance::Outcome as Done;
        match out {
            Done::Applied { .. } => Outcome {
                outcome: "applied".into(),
                change_request: None,
                summary: "the change is in effect".into(),
            },
            Done::Requested(r) => Outcome {
                outcome: "requested".into(),
                change_request: Some(r.id),
                summary: r.summary,
            },
        }
    }
}
