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

pub(crate) async fn publish(db: &impl ConnectionTrait, topic: &str, now: i64) -> Result<()> {
    change::ActiveModel {
        topic: Set(topic.to_owned()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
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

    pub async fn latest_change(&self) -> Result<i64> {
        let row = change::Entity::find()
            .order_by_desc(change::Column::Seq)
            .one(self.db())
            .await?;
        Ok(row.map_or(0, |r| r.seq))
    }
}
