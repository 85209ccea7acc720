//! Host-only partners and API-client owners.
//!
//! A host-only partner holds the admin API's clients: only the host (the `entente` CLI on the
//! server's machine) may change it, its clients, grants, people or stage; no console, portal
//! or admin API caller can. Existing deployments mark the `operations` partner made by
//! `entente admin api-client`, and any partner holding a grant of an `entente:` scope.
//!
//! An API client's owner is the console user who answers for it: four eyes compare people, so
//! a change filed with the client's token cannot be approved by its owner.
//!
//! Console invitations made before, for anybody, stop working.
//!
//! An application's source network (an IPv4 address, an IPv6 /48) lets every replica count
//! the public form's applications per network in the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(boolean("host_only").default(false))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("clients")
                .add_column(string_null("owner"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("partner_applications")
                .add_column(string_null("source_network"))
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE partners SET host_only = TRUE WHERE slug = 'operations' \
                 OR id IN (SELECT partner_id FROM grants WHERE scopes LIKE '%entente:%')",
            )
            .await?;
        // Console invitations are bound to an address from now on: unused ones made before
        // for anybody stop working (the first administrator's link is made anew at start-up).
        m.get_connection()
            .execute_unprepared(
                "UPDATE admin_invites SET expires_at = 0 \
                 WHERE email IS NULL AND partner_id IS NULL AND used_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partner_applications")
                .drop_column("source_network")
                .take(),
        )
        .await?;
        m.alter_table(Table::alter().table("clients").drop_column("owner").take())
            .await?;
        m.alter_table(
            Table::alter()
                .table("partners")
                .drop_column("host_only")
                .take(),
        )
        .await
    }
}
