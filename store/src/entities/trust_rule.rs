//! The `trust_rules` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trust_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub partner_id: String,
    pub issuer_id: String,
    pub audience_id: String,
    pub scopes: String,
    /// JSON array of `{from, to}`.
    pub claims: String,
    /// JSON array of `{claim, value, scope}`.
    pub mappings: String,
    pub pairwise: bool,
    pub delegation: bool,
    pub max_depth: i32,
    pub delegation_only: bool,
    pub refresh: bool,
    pub lifetime: Option<i64>,
    pub refresh_lifetime: i64,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
