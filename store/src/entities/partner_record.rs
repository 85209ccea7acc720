//! The `partner_records` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partner_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: String,
    pub record: String,
    pub questionnaire_accepted_at: Option<i64>,
    pub questionnaire_accepted_by: Option<String>,
    pub issuer_check_at: Option<i64>,
    pub issuer_check_ok: bool,
    pub issuer_check_detail: Option<String>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
