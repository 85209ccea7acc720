//! Applications sent from the public "apply to become a partner" form: one per partner it
//! created (in stage `applied`), kept for the administrators who review it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner_applications")
                .col(string("partner_id").primary_key())
                .col(string("organisation"))
                .col(string("website"))
                .col(string("contact_name"))
                .col(string("contact_email"))
                .col(text("use_case"))
                .col(string_null("source"))
                .col(big_integer("submitted_at"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("partner_applications").take())
            .await
    }
}
