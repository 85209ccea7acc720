//! Audiences with their scopes, and partners' clients.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use entente_domain::environment::Environment;
use entente_store::entities::{audience, client, scope};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{ApiResult, Json, Paging, Path, Query, Refusals, ok};
use super::time_text;
use crate::state::{AppState, now};

#[derive(Debug, Serialize, ToSchema)]
pub struct Scope {
    #[schema(example = "orders:read")]
    pub name: String,
    pub description: String,
    /// low, medium or high.
    pub sensitivity: String,
}

impl From<scope::Model> for Scope {
    fn from(s: scope::Model) -> Self {
        Self {
            name: s.name,
            description: s.description,
            sensitivity: s.sensitivity,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Audience {
    #[schema(example = "https://api.example.com/orders")]
    pub identifier: String,
    pub name: String,
    /// Access token lifetime in seconds.
    pub token_lifetime: i64,
    pub enabled: bool,
    /// production or sandbox: only clients of the same environment get tokens for it.
    pub environment: Environment,
    pub scopes: Vec<Scope>,
    pub created_at: String,
}

fn audience_of(a: audience::Model, scopes: Vec<scope::Model>) -> Audience {
    Audience {
        identifier: a.identifier,
        name: a.name,
        token_lifetime: a.token_lifetime,
        enabled: a.enabled,
        environment: a.environment.into(),
        scopes: scopes.into_iter().map(Scope::from).collect(),
        created_at: time_text(a.created_at),
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AudienceSearch {
    /// Part of an identifier or name.
    pub q: Option<String>,
}

#[utoipa::path(get, path = "/admin/api/v1/audiences", tag = "audiences", params(AudienceSearch, Paging),
    responses((status = 200, description = "Audiences by identifier, with their scopes",
        body = super::problem::Page<Audience>), Refusals))]
pub async fn list_audiences(
    State(state): State<AppState>,
    Query(search): Query<AudienceSearch>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let limit = paging.limit()?;
    let (rows, total) = state
        .store
        .audiences_page(search.q.as_deref(), paging.offset(), limit)
        .await?;
    Ok(ok(
        StatusCode::OK,
        super::problem::Page {
            items: rows
                .into_iter()
                .map(|(a, s)| audience_of(a, s))
                .collect::<Vec<_>>(),
            total,
            offset: paging.offset(),
            limit,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAudience {
    /// An absolute https URI (http only for localhost).
    #[schema(example = "https://api.example.com/orders")]
    pub identifier: String,
    /// Defaults to the identifier.
    pub name: Option<String>,
    #[schema(example = json!(["orders:read", "orders:write"]))]
    pub scopes: Vec<String>,
    /// Access token lifetime in seconds (default 300).
    pub token_lifetime: Option<i64>,
    /// production (default) or sandbox.
    #[serde(default)]
    pub environment: Environment,
}

#[utoipa::path(post, path = "/admin/api/v1/audiences", tag = "audiences", request_body = NewAudience,
    responses((status = 201, body = Audience), Refusals))]
pub async fn create_audience(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewAudience>,
) -> ApiResult<Response> {
    let a = state
        .ops()
        .create_audience(
            &caller.acting(),
            entente_operations::catalog::AudienceRequest {
                identifier: body.identifier,
                name: body.name,
                scopes: body.scopes,
                token_lifetime: body.token_lifetime,
                environment: body.environment,
            },
            now(),
        )
        .await?;
    let (a, scopes) = state.store.audience_with_scopes(&a.identifier).await?;
    Ok(ok(StatusCode::CREATED, audience_of(a, scopes)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeInfo {
    /// The audience's identifier.
    pub audience: String,
    /// The scope's name.
    pub scope: String,
    pub description: String,
    /// low, medium or high.
    pub sensitivity: String,
}

/// Sets a scope's description and sensitivity.
#[utoipa::path(put, path = "/admin/api/v1/scopes", tag = "audiences", request_body = ScopeInfo,
    responses((status = 200, body = Scope), Refusals))]
pub async fn put_scope(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<ScopeInfo>,
) -> ApiResult<Response> {
    state
        .ops()
        .set_scope_info(
            &caller.acting(),
            &body.audience,
            &body.scope,
            &body.description,
            &body.sensitivity,
            now(),
        )
        .await?;
    Ok(ok(
        StatusCode::OK,
        Scope {
            name: body.scope,
            description: body.description.trim().to_owned(),
            sensitivity: body.sensitivity,
        },
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Client {
    #[schema(example = "cl_3hV9…")]
    pub client_id: String,
    pub name: String,
    /// client_secret or private_key_jwt.
    pub auth_method: String,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    /// production or sandbox: where it gets tokens (that environment's token endpoint).
    pub environment: Environment,
    pub enabled: bool,
    pub created_at: String,
}

impl From<client::Model> for Client {
    fn from(c: client::Model) -> Self {
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect();
        Self {
            auth_method: c.auth_method.to_string(),
            environment: c.environment.into(),
            grant_types: words(&c.grant_types),
            scopes: words(&c.allowed_scopes),
            client_id: c.client_id,
            name: c.name,
            enabled: c.enabled,
            created_at: time_text(c.created_at),
        }
    }
}

#[utoipa::path(get, path = "/admin/api/v1/partners/{partner}/clients", tag = "clients",
    params(("partner" = String, Path, description = "The partner's slug"), Paging),
    responses((status = 200, body = super::problem::Page<Client>), Refusals))]
pub async fn list_clients(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Query(paging): Query<Paging>,
) -> ApiResult<Response> {
    let p = state.store.partner_by_slug(&slug).await?;
    let all = state.store.list_clients(Some(&p.id)).await?;
    Ok(ok(
        StatusCode::OK,
        paging.page(all.into_iter().map(Client::from).collect())?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: String,
    /// Space-separated scopes the client may request.
    #[schema(example = "orders:read")]
    pub scopes: String,
    /// client_secret (default) or private_key_jwt.
    pub auth_method: Option<String>,
    /// The client's public JWKS document, for private_key_jwt; or
    pub jwks: Option<String>,
    /// the https URL it is published at (fetched and cached like a trusted issuer's keys).
    pub jwks_uri: Option<String>,
    /// Space-separated grant types (default client_credentials).
    pub grant_types: Option<String>,
    /// production or sandbox. Default: production for a partner in production, else the
    /// sandbox; a partner not in production cannot have production clients.
    pub environment: Option<Environment>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: Client,
    /// Shown once, never again: store it now.
    pub client_secret: Option<String>,
}

#[utoipa::path(post, path = "/admin/api/v1/partners/{partner}/clients", tag = "clients",
    params(("partner" = String, Path, description = "The partner's slug")),
    request_body = NewClient,
    responses((status = 201, description = "Created; the secret is shown once", body = CreatedClient), Refusals))]
pub async fn create_client(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(slug): Path<String>,
    Json(body): Json<NewClient>,
) -> ApiResult<Response> {
    use entente_operations::clients::{AuthInput, NewClientRequest};
    let credentials = AuthInput {
        method: body.auth_method,
        jwks: body.jwks,
        jwks_uri: body.jwks_uri,
    };
    let created = state
        .ops()
        .create_client(
            &caller.acting(),
            NewClientRequest {
                partner: Some(slug),
                name: body.name,
                scopes: body.scopes,
                credentials,
                grant_types: body.grant_types.into_iter().collect(),
                environment: body.environment.map(|e| e.as_str().to_owned()),
            },
            now(),
        )
        .await?;
    Ok(ok(
        StatusCode::CREATED,
        CreatedClient {
            client: Client::from(created.client),
            client_secret: created.secret,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretRotation {
    /// How long older secrets keep working, in seconds (default 0: they stop now).
    #[schema(minimum = 0, maximum = 2592000)]
    pub grace_seconds: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewSecret {
    pub client_id: String,
    /// Shown once, never again: store it now.
    pub client_secret: String,
}

#[utoipa::path(post, path = "/admin/api/v1/clients/{client_id}/secret", tag = "clients",
    params(("client_id" = String, Path, description = "The client's ID")),
    request_body = SecretRotation,
    responses((status = 200, description = "A new secret, shown once", body = NewSecret), Refusals))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    Json(body): Json<SecretRotation>,
) -> ApiResult<Response> {
    let grace = body.grace_seconds.unwrap_or(0);
    let (_, secret) = state
        .ops()
        .rotate_client_secret(&caller.acting(), &client_id, grace, now())
        .await?;
    Ok(ok(
        StatusCode::OK,
        NewSecret {
            client_id,
            client_secret: secret,
        },
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientKeysBody {
    /// The client's public JWKS document; or
    pub jwks: Option<String>,
    /// the https URL it is published at.
    pub jwks_uri: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClientKeysView {
    pub client_id: String,
    /// Always private_key_jwt after this call.
    pub auth_method: String,
    /// "jwks" (a registered document) or "jwks_uri".
    pub source: String,
    pub jwks_uri: Option<String>,
}

/// Registers a partner client's public keys for private_key_jwt. A client that used a secret
/// switches to private_key_jwt, and its secrets stop working at once.
#[utoipa::path(put, path = "/admin/api/v1/clients/{client_id}/keys", tag = "clients",
    params(("client_id" = String, Path, description = "The client's ID")),
    request_body = ClientKeysBody,
    responses((status = 200, description = "The keys are registered", body = ClientKeysView), Refusals))]
pub async fn put_client_keys(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(client_id): Path<String>,
    Json(body): Json<ClientKeysBody>,
) -> ApiResult<Response> {
    use entente_operations::clients::AuthInput;
    use entente_store::client_keys::ClientKeys;
    let keys = AuthInput::keys(body.jwks, body.jwks_uri);
    let (before, keys) = state
        .ops()
        .set_client_keys(&caller.acting(), &client_id, keys, now())
        .await?;
    let jwks_uri = match &keys {
        ClientKeys::Uri(u) => Some(u.clone()),
        ClientKeys::Document(_) => None,
    };
    Ok(ok(
        StatusCode::OK,
        ClientKeysView {
            client_id: before.client_id,
            auth_method: entente_store::enums::ClientAuth::PrivateKeyJwt.to_string(),
            source: if jwks_uri.is_some() {
                "jwks_uri"
            } else {
                "jwks"
            }
            .into(),
            jwks_uri,
        },
    ))
}
