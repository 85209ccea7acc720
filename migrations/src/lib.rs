//! Every schema change is a migration here; both SQLite and PostgreSQL run the same list.

pub use sea_orm_migration::prelude::*;

mod m20261126_000001_initial;
mod m20261126_000002_federation;
mod m20261126_000003_typed_jwt;
mod m20261126_000004_partner_stage;
mod m20261126_000005_change_requests;
mod m20261126_000006_partner_records;
mod m20261126_000007_audit_partner_source;
mod m20261126_000008_key_policy_leases;
mod m20261126_000009_scope_sensitivity;
mod m20261127_000010_rate_limits;
mod m20261127_000011_usage;
mod m20261127_000012_usage_alerts;
mod m20261127_000013_audit_trace_id;
mod m20261127_000014_environments;
mod m20261127_000015_partner_users;
mod m20261127_000016_partner_applications;
mod m20261127_000017_partner_sign_in;
mod m20261127_000018_client_jwks_uri;
mod m20261207_000001_host_partners_and_owners;
mod m20261207_000002_issuer_subject_guarantee;
mod m20261207_000003_invite_inviter;
mod m20261208_000001_change_request_diff;
mod m20261208_000002_tester_clients;
mod m20261208_000003_audit_chain;
mod m20261208_000004_audit_checkpoints;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_initial::Migration),
            Box::new(m20261126_000002_federation::Migration),
            Box::new(m20261126_000003_typed_jwt::Migration),
            Box::new(m20261126_000004_partner_stage::Migration),
            Box::new(m20261126_000005_change_requests::Migration),
            Box::new(m20261126_000006_partner_records::Migration),
            Box::new(m20261126_000007_audit_partner_source::Migration),
            Box::new(m20261126_000008_key_policy_leases::Migration),
            Box::new(m20261126_000009_scope_sensitivity::Migration),
            Box::new(m20261127_000010_rate_limits::Migration),
            Box::new(m20261127_000011_usage::Migration),
            Box::new(m20261127_000012_usage_alerts::Migration),
            Box::new(m20261127_000013_audit_trace_id::Migration),
            Box::new(m20261127_000014_environments::Migration),
            Box::new(m20261127_000015_partner_users::Migration),
            Box::new(m20261127_000016_partner_applications::Migration),
            Box::new(m20261127_000017_partner_sign_in::Migration),
            Box::new(m20261127_000018_client_jwks_uri::Migration),
            Box::new(m20261207_000001_host_partners_and_owners::Migration),
            Box::new(m20261207_000002_issuer_subject_guarantee::Migration),
            Box::new(m20261207_000003_invite_inviter::Migration),
            Box::new(m20261208_000001_change_request_diff::Migration),
            Box::new(m20261208_000002_tester_clients::Migration),
            Box::new(m20261208_000003_audit_chain::Migration),
            Box::new(m20261208_000004_audit_checkpoints::Migration),
        ]
    }
}
