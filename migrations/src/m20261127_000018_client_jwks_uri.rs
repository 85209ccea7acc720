//! A private_key_jwt client's public keys may be published at a `jwks_uri` (RFC 7591 §2) instead
//! of registered as a document. When they are, `jwks` is empty and the token service fetches
//! them as it fetches a trusted issuer's keys.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("client_jwks")
                .add_column(string_null("jwks_uri"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("client_jwks")
                .drop_column("jwks_uri")
                .take(),
        )
        .await
    }
}
