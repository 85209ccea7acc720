//! Change requests: changes that widen production access wait here until a different
//! administrator approves or rejects them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("change_requests")
                .col(big_pk_auto("id"))
                .col(string("kind"))
                .col(string("partner_id"))
                // What the change is about (`partner:acme`, `grant:acme:<audience>`, …): at most
                // one pending request per target.
                .col(string("target"))
                .col(text("summary"))
                // For a promotion: the partner's grants and trust rules when it was filed (what
                // the approver judges; approval refuses if they changed meanwhile).
                .col(text("details").default(""))
                .col(text("payload"))
                .col(string("status"))
                .col(string("requested_by"))
                .col(big_integer("requested_at"))
                .col(text("reason"))
                .col(string_null("decided_by"))
                .col(big_integer_null("decided_at"))
                .col(text_null("decision_comment"))
                .foreign_key(
                    ForeignKey::create()
                        .from("change_requests", "partner_id")
                        .to("partners", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("change_requests_status")
                .table("change_requests")
                .col("status")
                .col("id")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("change_requests_partner")
                .table("change_requests")
                .col("partner_id")
                .take(),
        )
        .await?;
        // At most one pending request per target, even for two filings at the same instant.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX change_requests_one_pending ON change_requests (target) WHERE status = 'pending'",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("change_requests").take())
            .await
    }
}
