//! The audit trail as a hash chain: each event gets a sequence number and the hash linking it
//! to the one before; one head row (the last sequence number and hash) is the single point
//! every audited change passes through. Events written before this are chained at start-up.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(big_integer_null("seq"))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("audit_events")
                .add_column(text_null("hash"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("audit_events_seq")
                .table("audit_events")
                .col("seq")
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_chain_head")
                .col(integer("id").primary_key())
                .col(big_integer("seq"))
                .col(text("hash"))
                .take(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table("audit_chain_head")
                .columns(["id", "seq", "hash"])
                .values_panic([1.into(), 0i64.into(), "0".repeat(64).into()])
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("audit_chain_head").take())
            .await?;
        m.drop_index(
            Index::drop()
                .name("audit_events_seq")
                .table("audit_events")
                .to_owned(),
        )
        .await?;
        for c in ["hash", "seq"] {
            m.alter_table(Table::alter().table("audit_events").drop_column(c).take())
                .await?;
        }
        Ok(())
    }
}
