//! The `partner_sign_in` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_sign_in")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: String,
    pub issuer: String,
    pub client_id: String,
    pub client_secret_sealed: Vec<u8>,
    pub join_role: Option<crate::enums::Role>,
    /// Space-separated e-mail domains whose people may join with `join_role`.
    pub domains: String,
    pub enabled: bool,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
