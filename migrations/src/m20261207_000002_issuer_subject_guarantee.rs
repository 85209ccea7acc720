//! A trusted issuer may be registered as guaranteeing that its subject claim never changes and
//! is never reassigned; only such an issuer may name a mutable claim (`email`,
//! `preferred_username`…) as the subject (case B25, finding L-9). Off for existing issuers.
//! A clock skew below the 10 s minimum (A10) is raised to it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("trusted_issuers")
                .add_column(boolean("subject_claim_guaranteed").default(false))
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE trusted_issuers SET skew = 10 WHERE skew < 10")
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("trusted_issuers")
                .drop_column("subject_claim_guaranteed")
                .take(),
        )
        .await
    }
}
