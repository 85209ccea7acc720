//! The OAuth endpoints: plain axum handlers speaking RFC form and JSON. The token endpoint
//! dispatches to one file per grant; `issue` turns decisions into signed tokens.

pub mod caller;
pub mod client_auth;
pub mod discovery;
pub mod form;
pub mod introspect;
pub mod issue;
pub mod keys;
pub mod refresh_family;
pub mod revoke;
pub mod token;
pub mod token_client_credentials;
pub mod token_exchange;
pub mod token_jwt_bearer;
pub mod token_refresh;

use axum::Extension;
use entente_domain::environment::Environment;

/// The environment whose endpoint a request came to: the sandbox's routes carry it as an
/// extension (`router::router`); production's carry none.
pub fn environment_of(e: Option<Extension<Environment>>) -> Environment {
    e.map_or(Environment::Production, |e| e.0)
}
