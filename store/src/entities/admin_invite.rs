//! The `admin_invites` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "admin_invites")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: Vec<u8>,
    pub email: Option<String>,
    pub role: crate::enums::Role,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    /// An invitation to a partner's team; none for console users.
    pub partner_id: Option<String>,
    /// Who made the invitation (an actor's name); none for the first administrator's.
    pub invited_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
