//! The whole catalog in one consistent read, for the in-memory snapshot.

use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::CatalogData;
use crate::catalog_rows::{
    ClientKeysRow, ClientRow, GrantRow, IssuerRow, PartnerRow, RuleRow, SecretRow,
};
use crate::entities::{audience, client_secret, scope};
use crate::{Result, Store};

impl Store {
    /// The whole catalog, for the in-memory snapshot. Expired secrets are left out.
    ///
    /// One read transaction, so the snapshot never pairs, say, a new client with the secrets of
    /// before it (SQLite reads one WAL snapshot; PostgreSQL needs repeatable read for that).
    pub async fn load_catalog(&self, now: i64) -> Result<CatalogData> {
        use sea_orm::{AccessMode, IsolationLevel, TransactionTrait};
        let db = self.db();
        let txn = if self.backend() == sea_orm::DbBackend::Postgres {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        } else {
            db.begin().await?
        };
        let data = CatalogData {
            partners: PartnerRow::select().into_model().all(&txn).await?,
            audiences: audience::Entity::find().all(&txn).await?,
            scopes: scope::Entity::find().all(&txn).await?,
            grants: GrantRow::select().into_model().all(&txn).await?,
            clients: ClientRow::select().into_model().all(&txn).await?,
            secrets: SecretRow::select()
                .filter(
                    client_secret::Column::ExpiresAt
                        .is_null()
                        .or(client_secret::Column::ExpiresAt.gt(now)),
                )
                .into_model()
                .all(&txn)
                .await?,
            jwks: ClientKeysRow::select().into_model().all(&txn).await?,
            trusted_issuers: IssuerRow::select().into_model().all(&txn).await?,
            trust_rules: RuleRow::select().into_model().all(&txn).await?,
            rate_tiers: crate::entities::rate_tier::Entity::find().all(&txn).await?,
            rate_limits: crate::entities::rate_limit::Entity::find()
                .all(&txn)
                .await?,
        };
        txn.commit().await?;
        Ok(data)
    }
}
