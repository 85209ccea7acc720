//! Audit events name the partner they concern (for the audit page's partner filter) and the
//! source address of the request that caused them.

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
                .table("audit_events")
                .add_column(string_null("partner"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(string_null("source"))
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE audit_events SET partner = substr(target, 9) WHERE target LIKE 'partner:%'",
            )
            .await?;
        m.create_index(
            Index::create()
                .name("audit_events_partner")
                .table("audit_events")
                .col("partner")
                .col("id")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("audit_events_at")
                .table("audit_events")
                .col("at")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["partner", "source"] {
            m.alter_table(Table::alter().table("audit_events").drop_column(c).take())
                .await?;
        }
        Ok(())
    }
}
