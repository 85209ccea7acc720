//! Trusted issuers may declare that their access tokens are typed `JWT` rather than `at+jwt`
//! (Keycloak, Entra ID and Auth0 do so by default). Off for existing issuers.

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
                .add_column(boolean("access_tokens_typed_jwt").default(false))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("trusted_issuers")
                .drop_column("access_tokens_typed_jwt")
                .take(),
        )
        .await
    }
}
