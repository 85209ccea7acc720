//! Federated sign-in for partner users: a partner's OpenID Connect provider (its client secret
//! sealed under the master key), and the provider identities linked to partner users.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner_sign_in")
                .col(string("partner_id").primary_key())
                .col(string("issuer"))
                .col(string("client_id"))
                .col(blob("client_secret_sealed"))
                .col(string_null("join_role"))
                .col(string("domains"))
                .col(boolean("enabled"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("federated_identities")
                .col(string("issuer"))
                .col(string("subject"))
                .col(string("user_id"))
                .col(string("partner_id"))
                .col(big_integer("created_at"))
                .primary_key(Index::create().col("issuer").col("subject"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("federated_identities_user")
                .table("federated_identities")
                .col("user_id")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("federated_identities").take())
            .await?;
        m.drop_table(Table::drop().table("partner_sign_in").take())
            .await
    }
}
