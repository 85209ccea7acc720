//! The `entente` server: configuration, start-up, the HTTP edge (token service, console, admin
//! API), shared state, background workers and the CLI. Protocol and policy decisions live in
//! `entente-domain`; storage in `entente-store`.

pub mod admin_api;
pub mod audit_checkpoints;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod http;
pub mod limits;
pub mod oauth;
pub mod operations;
pub mod partner_clients;
pub mod router;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod usage;
pub mod workers;
