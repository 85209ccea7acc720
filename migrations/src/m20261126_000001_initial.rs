//! The foundation schema: partners, audiences and scopes, grants, clients and their credentials,
//! signing keys, revoked tokens, assertion replay cache, administrators, sessions, audit events and
//! the change feed. Timestamps are Unix seconds (BIGINT) so both databases compare them alike.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn id(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .string()
        .not_null()
        .primary_key()
        .take()
}

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    to_col: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("partners")
                .col(id("id"))
                .col(string_uniq("slug"))
                .col(string("name"))
                .col(string("environment"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audiences")
                .col(id("id"))
                .col(string_uniq("identifier"))
                .col(string("name"))
                .col(big_integer("token_lifetime"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("scopes")
                .col(string("audience_id"))
                .col(string("name"))
                .col(string("description"))
                .primary_key(Index::create().col("audience_id").col("name"))
                .foreign_key(&mut fk("scopes", "audience_id", "audiences", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("grants")
                .col(string("partner_id"))
                .col(string("audience_id"))
                .col(text("scopes"))
                .col(big_integer("updated_at"))
                .primary_key(Index::create().col("partner_id").col("audience_id"))
                .foreign_key(&mut fk("grants", "partner_id", "partners", "id"))
                .foreign_key(&mut fk("grants", "audience_id", "audiences", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("clients")
                .col(id("client_id"))
                .col(string("kind"))
                .col(string_null("partner_id"))
                .col(string_null("audience_id"))
                .col(string("name"))
                .col(string("auth_method"))
                .col(text("grant_types"))
                .col(text("allowed_scopes"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .foreign_key(&mut fk("clients", "partner_id", "partners", "id"))
                .foreign_key(&mut fk("clients", "audience_id", "audiences", "id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("client_secrets")
                .col(id("id"))
                .col(string("client_id"))
                .col(blob("hash"))
                .col(big_integer("created_at"))
                .col(big_integer_null("expires_at"))
                .foreign_key(&mut fk(
                    "client_secrets",
                    "client_id",
                    "clients",
                    "client_id",
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("client_jwks")
                .col(id("client_id"))
                .col(text("jwks"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("client_jwks", "client_id", "clients", "client_id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("signing_keys")
                .col(id("kid"))
                .col(string("algorithm"))
                .col(string("state"))
                .col(blob("private_sealed"))
                .col(text("public_jwk"))
                .col(big_integer("created_at"))
                .col(big_integer("state_since"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("revoked_tokens")
                .col(id("jti"))
                .col(big_integer("exp"))
                .col(big_integer("revoked_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("assertion_jtis")
                .col(string("client_id"))
                .col(string("jti"))
                .col(big_integer("exp"))
                .primary_key(Index::create().col("client_id").col("jti"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("admin_users")
                .col(id("id"))
                .col(string_uniq("email"))
                .col(text("password_hash"))
                .col(string("role"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("admin_invites")
                .col(ColumnDef::new("token_hash").blob().not_null().primary_key())
                .col(string_null("email"))
                .col(string("role"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("used_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("sessions")
                .col(id("id"))
                .col(text("data"))
                .col(big_integer("expires_at"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("audit_events")
                .col(big_pk_auto("id"))
                .col(big_integer("at"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("target"))
                .col(text("details"))
                .col(string_null("request_id"))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("changes")
                .col(big_pk_auto("seq"))
                .col(string("topic"))
                .col(big_integer("at"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_clients_partner")
                .table("clients")
                .col("partner_id")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_secrets_client")
                .table("client_secrets")
                .col("client_id")
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_expiry")
                .table("sessions")
                .col("expires_at")
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "changes",
            "audit_events",
            "sessions",
            "admin_invites",
            "admin_users",
            "assertion_jtis",
            "revoked_tokens",
            "signing_keys",
            "client_jwks",
            "client_secrets",
            "clients",
            "grants",
            "scopes",
            "audiences",
            "partners",
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
