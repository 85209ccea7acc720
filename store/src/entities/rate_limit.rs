//! The `rate_limits` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rate_limits")]
pub struct Model {
    /// `partner:<id>` or `client:<client_id>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    pub partner_id: Option<String>,
    pub client_id: Option<String>,
    pub tier: Option<String>,
    pub per_second: Option<i64>,
    pub burst: Option<i64>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
