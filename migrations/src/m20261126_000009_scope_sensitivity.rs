//! Scopes carry a sensitivity (low, medium, high) beside their description: the scope matrix
//! filters and colours by it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("scopes")
                .add_column(string("sensitivity").default("medium"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("grants_audience")
                .table("grants")
                .col("audience_id")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("scopes")
                .drop_column("sensitivity")
                .take(),
        )
        .await
    }
}
