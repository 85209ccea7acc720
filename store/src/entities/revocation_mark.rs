//! The `revocation_marks` table.

use sea_orm::entity::prelude::*;

/// A revoked lineage key (`t:`, `f:`, `c:`, `p:`, `s:`): tokens carrying it, issued at or
/// before `revoked_at`, are inactive.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "revocation_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub target: String,
    pub exp: i64,
    pub revoked_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
