//! The public router (token service, discovery, health, once per environment) and the metrics
//! router; the console and the admin API are merged in `startup::router`.

use axum::routing::{get, post};
use axum::{Extension, Router};
use entente_domain::environment::{Environment, SANDBOX_PATH};

use crate::http::{health, middleware};
use crate::oauth;
use crate::state::AppState;

/// The token service's routes, once per environment: production's at the root, the sandbox's
/// below `/sandbox` (its issuer identifier's paths), marked with `Environment::Sandbox`. The
/// console and the admin API are merged in `startup::router`.
pub fn router(state: AppState) -> Router {
    let sandbox = Environment::Sandbox;
    Router::new()
        .merge(token_service(&state, ""))
        .merge(token_service(&state, SANDBOX_PATH).layer(Extension(sandbox)))
        // RFC 8414 §3.1: the well-known segment goes between the host and the issuer's path.
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::discovery::oauth_metadata),
        )
        .route(
            &format!("/.well-known/oauth-authorization-server{SANDBOX_PATH}"),
            get(oauth::discovery::oauth_metadata).layer(Extension(sandbox)),
        )
        .route(
            &format!("{}/jwks.json", entente_domain::test_idp::PATH),
            get(crate::state::test_idp::jwks),
        )
        .route(
            crate::audit_checkpoints::KEY_PATH,
            get(crate::audit_checkpoints::key_set),
        )
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        // The 30 s timeout is `startup::router`'s, around everything: one timer per request.
        .with_state(state)
}

/// One environment's endpoints below `prefix` (its issuer identifier's path).
fn token_service(state: &AppState, prefix: &str) -> Router<AppState> {
    // A replica that cannot read the change feed may miss revocations made elsewhere: it stops
    // issuing and vouching for tokens until it can (ENTENTE_MAX_STALENESS).
    let vouching = Router::new()
        .route(&format!("{prefix}/oauth2/token"), post(oauth::token::token))
        .route(
            &format!("{prefix}/oauth2/introspect"),
            post(oauth::introspect::introspect),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::staleness::refuse_when_stale,
        ));
    Router::new()
        .merge(vouching)
        .route(
            &format!("{prefix}/oauth2/revoke"),
            post(oauth::revoke::revoke),
        )
        // OpenID Connect Discovery appends its well-known segment to the issuer.
        .route(
            &format!("{prefix}/.well-known/openid-configuration"),
            get(oauth::discovery::oauth_metadata),
        )
        .route(
            &format!("{prefix}/.well-known/jwks.json"),
            get(oauth::discovery::jwks),
        )
}

/// `/metrics` for Prometheus, served on ENTENTE_METRICS_LISTEN only: it names partners and
/// their volumes, which the public listener must not show.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(health::metrics))
        .route("/readyz", get(health::readyz_detail))
        .with_state(state)
}
