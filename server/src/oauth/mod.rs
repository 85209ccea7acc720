//! The OAuth endpoints: plain axum handlers speaking RFC form and JSON.

pub mod client_auth;
pub mod discovery;
pub mod error;
pub mod federation;
pub mod form;
pub mod grants;
pub mod introspect;
pub mod revoke;
pub mod token;
