//! The `change_requests` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub partner_id: String,
    pub target: String,
    pub summary: String,
    pub details: String,
    pub payload: String,
    pub status: crate::enums::RequestStatusColumn,
    pub requested_by: String,
    pub requested_at: i64,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
    pub decision_comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
