//! The `entente` server: configuration, CLI, token service endpoints and background tasks.

pub mod admin_auth;
pub mod cli;
pub mod cli_federation;
pub mod config;
pub mod console;
pub mod explain;
pub mod federation_snapshot;
pub mod http;
pub mod issuer_keys;
pub mod keyring;
pub mod oauth;
pub mod session_store;
pub mod snapshot;
pub mod startup;
pub mod state;
pub mod workers;
