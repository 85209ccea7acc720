//! Environments: clients, audiences and signing keys belong to production or the sandbox.
//! Everything that exists stays in production.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 3] = ["clients", "audiences", "signing_keys"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one column at a time.
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(t)
                    .add_column(string("environment").default("production"))
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(Table::alter().table(t).drop_column("environment").take())
                .await?;
        }
        Ok(())
    }
}
