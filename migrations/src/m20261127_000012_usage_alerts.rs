//! Usage anomaly alerts: a client's window that departed from its baseline (also written to the
//! audit log as a security event).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("usage_alerts")
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                .col(string("replica"))
                .col(string("partner_id"))
                .col(string("client_id"))
                .col(string("kind"))
                .col(big_integer("window_start"))
                .col(big_integer("window_secs"))
                .col(double("observed"))
                .col(double("expected"))
                .col(double("score"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("usage_alerts_at")
                .table("usage_alerts")
                .col("at")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("usage_alerts").take())
            .await
    }
}
