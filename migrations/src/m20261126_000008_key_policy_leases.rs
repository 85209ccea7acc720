//! The signing-key rotation policy an administrator sets (one row), and leases: a database lock
//! with an expiry, so that with several replicas exactly one runs a periodic job.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("key_policy")
                .col(integer("id").primary_key())
                .col(big_integer("rotation_interval"))
                .col(big_integer("publish_lead"))
                .col(big_integer("retirement_grace"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("leases")
                .col(string("name").primary_key())
                .col(string("holder"))
                .col(big_integer("expires_at"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("leases").take()).await?;
        m.drop_table(Table::drop().table("key_policy").take()).await
    }
}
