//! The `partners` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub slug: String,
    pub name: String,
    pub environment: String,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub stage: crate::enums::PartnerStage,
    pub resume_stage: Option<crate::enums::PartnerStage>,
    pub suspended_reason: Option<String>,
    pub first_exchange_at: Option<i64>,
    /// Holds the admin API's clients: changed from the host only (`crate::reserved`).
    pub host_only: bool,
    /// Its sandbox testers may each get a sandbox client of their own (its admins decide).
    pub testers_get_clients: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
