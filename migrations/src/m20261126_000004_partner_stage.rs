//! Partner lifecycle: a stage (applied, in_review, sandbox, production, suspended, offboarded),
//! the stage a suspended partner returns to, and why it was suspended. Existing partners start in
//! the stage their environment names.

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
                .add_column(string("stage").default("production"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(string_null("resume_stage"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(text_null("suspended_reason"))
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE partners SET stage = environment")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for c in ["suspended_reason", "resume_stage", "stage"] {
            m.alter_table(Table::alter().table("partners").drop_column(c).take())
                .await?;
        }
        Ok(())
    }
}
