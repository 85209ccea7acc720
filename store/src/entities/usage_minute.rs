//! The `usage_minutes` table.

use sea_orm::entity::prelude::*;

/// One minute of one group of requests as one replica counted it (absolute values: a
/// replica rewrites its row while the minute is open, so retries never double-count).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_minutes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub minute: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub replica: String,
    /// Empty when the caller was not authenticated.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub client_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub audience: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub result: String,
    pub count: i64,
    pub lat_0: i64,
    pub lat_1: i64,
    pub lat_2: i64,
    pub lat_3: i64,
    pub lat_4: i64,
    pub lat_5: i64,
    pub lat_6: i64,
    pub lat_7: i64,
    pub lat_8: i64,
    pub lat_9: i64,
    pub lat_10: i64,
    pub lat_11: i64,
    pub lat_12: i64,
    pub lat_13: i64,
    pub lat_14: i64,
    pub lat_15: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// The latency bucket columns, in bucket order.
pub const LATENCY: [Column; 16] = [
    Column::Lat0,
    Column::Lat1,
    Column::Lat2,
    Column::Lat3,
    Column::Lat4,
    Column::Lat5,
    Column::Lat6,
    Column::Lat7,
    Column::Lat8,
    Column::Lat9,
    Column::Lat10,
    Column::Lat11,
    Column::Lat12,
    Column::Lat13,
    Column::Lat14,
    Column::Lat15,
];
