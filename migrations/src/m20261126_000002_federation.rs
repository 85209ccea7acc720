//! Federation: trusted partner issuers, trust rules, refresh token families and revocation marks
//! (client, partner, subject, family and parent-token keys that derived tokens carry).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("trusted_issuers")
                .col(string("id").primary_key())
                .col(string("partner_id"))
                .col(string("issuer"))
                .col(text_null("jwks_uri"))
                .col(text_null("jwks"))
                .col(string("algorithms"))
                .col(text("audiences"))
                .col(string("kinds"))
                .col(big_integer("max_age"))
                .col(big_integer("skew"))
                .col(string("subject_claim"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("trusted_issuers", "partner_id", "partners"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("trusted_issuers_partner_issuer")
                .table("trusted_issuers")
                .col("partner_id")
                .col("issuer")
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("trust_rules")
                .col(string("id").primary_key())
                .col(string("partner_id"))
                .col(string("issuer_id"))
                .col(string("audience_id"))
                .col(text("scopes"))
                .col(text("claims"))
                .col(text("mappings"))
                .col(boolean("pairwise"))
                .col(boolean("delegation"))
                .col(integer("max_depth"))
                .col(boolean("delegation_only"))
                .col(boolean("refresh"))
                .col(big_integer_null("lifetime"))
                .col(big_integer("refresh_lifetime"))
                .col(boolean("enabled"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut fk("trust_rules", "partner_id", "partners"))
                .foreign_key(&mut fk("trust_rules", "issuer_id", "trusted_issuers"))
                .foreign_key(&mut fk("trust_rules", "audience_id", "audiences"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("trust_rules_issuer_audience")
                .table("trust_rules")
                .col("issuer_id")
                .col("audience_id")
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .col(string("token_hash").primary_key())
                .col(string("family_id"))
                .col(string("client_id"))
                .col(string("partner_id"))
                .col(string("rule_id"))
                .col(text("audience"))
                .col(text("scope"))
                .col(text("sub"))
                .col(text_null("act"))
                .col(text("claims"))
                .col(text("lineage"))
                .col(string("subject_key"))
                .col(big_integer("absolute_exp"))
                .col(big_integer("created_at"))
                .col(big_integer_null("used_at"))
                .col(boolean("revoked"))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("refresh_tokens_family")
                .table("refresh_tokens")
                .col("family_id")
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("revocation_marks")
                .col(string("target").primary_key())
                .col(big_integer("exp"))
                .col(big_integer("revoked_at"))
                .take(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            "revocation_marks",
            "refresh_tokens",
            "trust_rules",
            "trusted_issuers",
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
