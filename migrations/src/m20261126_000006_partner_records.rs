//! Partner records (legal name, agreement, contacts, escalation path) and the onboarding facts
//! the server establishes: the security questionnaire's acceptance, the last check of the
//! partner's issuer keys, and the first successful token exchange.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partner_records")
                .col(string("partner_id").primary_key())
                // `entente_domain::onboarding::PartnerRecord` as JSON.
                .col(text("record"))
                .col(big_integer_null("questionnaire_accepted_at"))
                .col(string_null("questionnaire_accepted_by"))
                .col(big_integer_null("issuer_check_at"))
                .col(boolean("issuer_check_ok").default(false))
                .col(text_null("issuer_check_detail"))
                .col(big_integer("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .from("partner_records", "partner_id")
                        .to("partners", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("partners")
                .add_column(big_integer_null("first_exchange_at"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("partners")
                .drop_column("first_exchange_at")
                .take(),
        )
        .await?;
        m.drop_table(Table::drop().table("partner_records").take())
            .await
    }
}
