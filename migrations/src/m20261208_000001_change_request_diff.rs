//! A change request keeps what it changes as before → after lines (JSON), made in the same
//! transaction as the filing and again at approval, so an approver reads the difference rather
//! than a one-line summary, and a decided request shows what its approval did.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("change_requests")
                .add_column(text("diff").default(""))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("change_requests")
                .drop_column("diff")
                .take(),
        )
        .await
    }
}
