//! Signed checkpoints of the audit chain, and the Ed25519 key that signs them (sealed under the
//! master key, like the token signing keys).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_keys")
                .col(text("kid").primary_key())
                .col(blob("private_sealed"))
                .col(text("public_jwk"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_checkpoints")
                .col(big_integer("seq").primary_key())
                .col(text("head"))
                .col(big_integer("at"))
                .col(text("kid"))
                .col(text("jws"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("audit_checkpoints").take())
            .await?;
        m.drop_table(Table::drop().table("audit_keys").take()).await
    }
}
