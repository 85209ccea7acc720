//! Usage rollups: one row per minute, replica and group of requests (partner, client, audience,
//! grant type or endpoint, result), with a latency histogram in fixed bucket columns so that SQL
//! can sum minutes and replicas. Each replica writes only its own rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Latency bucket columns (`entente_domain::usage::BUCKETS`).
pub const LATENCY_COLUMNS: usize = 16;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table("usage_minutes")
            .col(big_integer("minute"))
            .col(string("replica"))
            .col(string("partner_id"))
            .col(string("client_id"))
            .col(string("audience"))
            .col(string("kind"))
            .col(string("result"))
            .col(big_integer("count"));
        for i in 0..LATENCY_COLUMNS {
            table.col(big_integer(format!("lat_{i}")).default(0));
        }
        table.primary_key(
            Index::create()
                .col("minute")
                .col("replica")
                .col("partner_id")
                .col("client_id")
                .col("audience")
                .col("kind")
                .col("result"),
        );
        m.create_table(table.take()).await?;
        for (name, cols) in [
            ("usage_minutes_partner", ["partner_id", "minute"]),
            ("usage_minutes_client", ["client_id", "minute"]),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table("usage_minutes")
                    .col(cols[0])
                    .col(cols[1])
                    .take(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("usage_minutes").take())
            .await
    }
}
