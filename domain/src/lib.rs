//! Entente's protocol and policy logic.
//!
//! Everything here is plain Rust: no HTTP, no database, no wall clock. Callers pass `now`
//! (seconds since the Unix epoch) into every decision so that tests can pin time.

pub mod anomaly;
pub mod application;
pub mod audit;
pub mod audit_chain;
pub mod client_auth;
pub mod config;
pub mod environment;
pub mod error;
pub mod federation;
pub mod forwarded;
pub mod governance;
pub mod grant;
pub mod ids;
pub mod introspection;
pub mod json_strict;
pub mod jwks;
pub mod jws;
pub mod keyring;
pub mod keys;
pub mod lifecycle;
pub mod names;
pub mod onboarding;
pub mod password;
pub mod rate_limit;
pub mod scope;
pub mod sealing;
pub mod secret;
pub mod sso;
pub mod test_idp;
pub mod token;
pub mod usage;
pub mod verified;

pub use error::{OAuthError, OAuthErrorCode};
pub use scope::ScopeSet;

/// Seconds since the Unix epoch. Passed in, never read here.
pub type UnixTime = i64;
