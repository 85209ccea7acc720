//! The `clients` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "clients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    pub kind: crate::enums::ClientKind,
    pub partner_id: Option<String>,
    pub audience_id: Option<String>,
    pub name: String,
    pub auth_method: crate::enums::ClientAuth,
    pub grant_types: String,
    pub allowed_scopes: String,
    pub enabled: bool,
    pub created_at: i64,
    pub environment: crate::enums::EnvironmentColumn,
    /// An API client's owner: the console user (e-mail) who answers for it.
    pub owner: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
