//! Entente's integration tests: one binary (one link of the server) with a module per area.
//! Every test starts the server through `entente_server::startup::Application`, the path `main`
//! takes, on a fresh SQLite or PostgreSQL database, and talks HTTP to it; some run the real binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;
#[allow(dead_code, unused_imports)]
mod fed;

mod admin_api;
mod applications;
mod audit;
mod caps;
mod cli;
mod client_keys;
mod cluster;
mod config;
mod console;
mod examples;
mod four_eyes;
mod governance;
mod host_only;
mod interop;
mod keys;
mod limits;
mod oauth;
mod partner_people;
mod policy_walk;
mod portal;
mod portal_requests;
mod sandbox;
mod sso;
mod staleness;
mod startup;
mod telemetry;
mod test_idp;
mod usage;
mod verified_tokens;
