//! Rate limits: named tiers (one may be the default) and the setting of a partner or client
//! (a tier or its own numbers). Subjects are `partner:<id>` or `client:<client_id>`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("rate_tiers")
                .col(string("name").primary_key())
                .col(big_integer("per_second"))
                .col(big_integer("burst"))
                .col(boolean("is_default").default(false))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("rate_limits")
                .col(string("subject").primary_key())
                .col(string_null("partner_id"))
                .col(string_null("client_id"))
                .col(string_null("tier"))
                .col(big_integer_null("per_second"))
                .col(big_integer_null("burst"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("rate_limits_tier")
                .table("rate_limits")
                .col("tier")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("rate_limits").take())
            .await?;
        m.drop_table(Table::drop().table("rate_tiers").take()).await
    }
}
