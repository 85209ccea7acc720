//! The `entente` server: configuration, CLI, token service endpoints and background tasks.

pub mod cli;
pub mod config;
pub mod console;
pub mod http;
pub mod keyring;
pub mod oauth;
pub mod serve;
pub mod session_store;
pub mod snapshot;
pub mod state;
