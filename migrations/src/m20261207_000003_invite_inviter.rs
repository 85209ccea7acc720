//! An invitation remembers who made it, so the page its link opens can say "invited by …"
//! beside the organisation and the role (an invitation nobody can place is a phishing shape).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("admin_invites")
                .add_column(string_null("invited_by"))
                .take(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("admin_invites")
                .drop_column("invited_by")
                .take(),
        )
        .await
    }
}
