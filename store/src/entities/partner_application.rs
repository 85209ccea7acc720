//! The `partner_applications` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_applications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: String,
    pub organisation: String,
    pub website: String,
    pub contact_name: String,
    pub contact_email: String,
    #[sea_orm(column_type = "Text")]
    pub use_case: String,
    pub source: Option<String>,
    pub submitted_at: i64,
    /// The source's network (IPv4 address, IPv6 /48): what the per-network cap counts.
    pub source_network: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
