//! The `usage_alerts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: i64,
    pub replica: String,
    pub partner_id: String,
    pub client_id: String,
    /// `issuance_spike` or `error_surge`.
    pub kind: String,
    pub window_start: i64,
    pub window_secs: i64,
    pub observed: f64,
    pub expected: f64,
    pub score: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
