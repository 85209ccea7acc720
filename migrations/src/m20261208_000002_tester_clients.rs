//! A partner's admins may let each of its sandbox testers get a sandbox client of their own
//! (off until they say so), so a tester never needs a secret passed on by hand.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(boolean("testers_get_clients").default(false))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partners")
                .drop_column("testers_get_clients")
                .take(),
        )
        .await
    }
}
