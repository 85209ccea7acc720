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
    /// JSON array of `entente_types::diff::DiffLine`: before → after, as filed and then as approved.
    pub diff: String,
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

impl Model {
    /// The stored before → after lines (none for a request filed before they were kept).
    pub fn diff_lines(&self) -> Vec<entente_types::diff::DiffLine> {
        serde_json::from_str(&self.diff).unwrap_or_default()
    }
}
