//! The change feed: one row per committed mutation; readers poll the highest sequence number and
//! reload their caches when it moves. Works alike on SQLite and PostgreSQL and across processes
//! (the CLI changes what a running server serves within a second).

use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect, Set};

use crate::entities::change;
use crate::{Result, Store};

pub mod topic {
    pub const CATALOG: &str = "catalog";
    pub const KEYS: &str = "keys";
    pub const REVOCATIONS: &str = "revocations";
}

/// The PostgreSQL channel that wakes every replica's change feed.
pub const CHANNEL: &str = "entente_changes";

pub(crate) async fn publish(db: &impl ConnectionTrait, topic: &str, now: i64) -> Result<()> {
    change::ActiveModel {
        topic: Set(topic.to_owned()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // On PostgreSQL the notification goes out when the transaction commits (never before the
    // row is visible), so listeners read the change at once instead of at their next poll.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await?;
    }
    Ok(())
}

/// A change-feed position and which topics moved since the previous one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    pub latest: i64,
    pub topics: Vec<String>,
}

impl Store {
    /// Changes after `since` (at most 1000 rows are looked at; a larger gap reports every topic).
    pub async fn changes_since(&self, since: i64) -> Result<ChangeSet> {
        use sea_orm::{ColumnTrait, QueryFilter};
        let rows = change::Entity::find()
            .filter(change::Column::Seq.gt(since))
            .order_by_asc(change::Column::Seq)
            .limit(1000)
            .all(self.db())
            .await?;
        let mut topics: Vec<String> = rows.iter().map(|r| r.topic.clone()).collect();
        topics.sort_unstable();
        topics.dedup();
        if rows.len() == 1000 {
            topics = vec![
                topic::CATALOG.into(),
                topic::KEYS.into(),
                topic::REVOCATIONS.into(),
            ];
        }
        Ok(ChangeSet {
            latest: rows.last().map_or(since, |r| r.seq),
            topics,
        })
    }

    /// On PostgreSQL: listens for committed changes and calls `wake` for each notification
    /// (several may arrive as one). Returns when the listening connection fails, so that the
    /// caller can start again; on SQLite returns `Ok(false)` at once (there is nothing to hear:
    /// the poll is the feed).
    pub async fn listen_changes(&self, wake: impl Fn()) -> Result<bool> {
        if self.db().get_database_backend() != sea_orm::DbBackend::Postgres {
            return Ok(false);
        }
        let pool = self.db().get_postgres_connection_pool();
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool)
            .await
            .map_err(|e| {
                crate::StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                    e.into(),
                )))
            })?;
        listener.listen(CHANNEL).await.map_err(|e| {
            crate::StoreError::Db(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                e.into(),
            )))
        })?;
        // The caller reads once now: anything committed before LISTEN took effect is not missed.
        wake();
        loop {
            match listener.try_recv().await {
                Ok(Some(_)) => wake(),
                // The connection dropped: notifications may have been lost meanwhile.
                Ok(None) => {
                    wake();
                    return Ok(true);
                }
                Err(e) => {
                    return Err(crate::StoreError::Db(sea_orm::DbErr::Conn(
                        sea_orm::RuntimeErr::SqlxError(e.into()),
                    )));
                }
            }
        }
    }

    pub async fn latest_change(&self) -> Result<i64> {
        let row = change::Entity::find()
            .order_by_desc(change::Column::Seq)
            .one(self.db())
            .await?;
        Ok(row.map_or(0, |r| r.seq))
    }
}
