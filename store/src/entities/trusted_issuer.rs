//! The `trusted_issuers` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_issuers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub partner_id: String,
    pub issuer: String,
    pub jwks_uri: Option<String>,
    pub jwks: Option<String>,
    /// Space-separated JWS algorithm names.
    pub algorithms: String,
    /// Space-separated accepted `aud` values.
    pub audiences: String,
    /// Space-separated token kinds.
    pub kinds: String,
    pub max_age: i64,
    pub skew: i64,
    pub subject_claim: String,
    /// The issuer guarantees that `subject_claim` never changes and is never reassigned
    /// (needed for a mutable claim such as `email`).
    pub subject_claim_guaranteed: bool,
    pub access_tokens_typed_jwt: bool,
    pub enabled: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
