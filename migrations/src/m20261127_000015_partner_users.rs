//! Partner users: a console user (and an invitation) may belong to one partner, as
//! `partner_admin` or `partner_viewer`. Everyone who exists stays a console user of no partner.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const TABLES: [&str; 2] = ["admin_users", "admin_invites"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in TABLES {
            m.alter_table(
                Table::alter()
                    .table(t)
                    .add_column(string_null("partner_id"))
                    .take(),
            )
            .await?;
        }
        // A partner's team is listed by partner.
        m.create_index(
            Index::create()
                .name("admin_users_partner")
                .table("admin_users")
                .col("partner_id")
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("admin_users_partner")
                .table("admin_users")
                .to_owned(),
        )
        .await?;
        for t in TABLES {
            m.alter_table(Table::alter().table(t).drop_column("partner_id").take())
                .await?;
        }
        Ok(())
    }
}
