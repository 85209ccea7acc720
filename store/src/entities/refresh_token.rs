//! The `refresh_tokens` table.

use sea_orm::entity::prelude::*;

/// One refresh token of a family; only its SHA-256 is stored.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub family_id: String,
    pub client_id: String,
    pub partner_id: String,
    pub rule_id: String,
    pub audience: String,
    pub scope: String,
    pub sub: String,
    pub act: Option<String>,
    pub claims: String,
    pub lineage: String,
    pub subject_key: String,
    pub absolute_exp: i64,
    pub created_at: i64,
    /// Set when the token was exchanged for its successor.
    pub used_at: Option<i64>,
    pub revoked: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
