//! The audit key and the signed checkpoints of the audit chain, as stored. Signing happens in
//! the server (it holds the master key); this only reads and writes the rows.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::{audit_chain_head, audit_checkpoint, audit_event, audit_key};
use crate::{Result, Store, StoreError};

impl Store {
    /// The audit key (the first one made: a key is never replaced by a race).
    pub async fn audit_key(&self) -> Result<Option<audit_key::Model>> {
        Ok(audit_key::Entity::find()
            .order_by_asc(audit_key::Column::CreatedAt)
            .order_by_asc(audit_key::Column::Kid)
            .one(self.db())
            .await?)
    }

    /// Stores a new audit key unless one exists; returns the key in use.
    pub async fn keep_audit_key(&self, key: audit_key::Model) -> Result<audit_key::Model> {
        let txn = self.write().await?;
        let existing = audit_key::Entity::find().one(&txn).await?;
        if existing.is_none() {
            key.into_active_model().insert(&txn).await?;
        }
        txn.commit().await?;
        self.audit_key()
            .await?
            .ok_or_else(|| StoreError::NotFound("the audit key".into()))
    }

    /// The chain's head: the last sequence number and its hash.
    pub async fn audit_head(&self) -> Result<(i64, String)> {
        let h = audit_chain_head::Entity::find_by_id(1)
            .one(self.db())
            .await?
            .ok_or_else(|| StoreError::Invalid("the audit chain has no head row".into()))?;
        Ok((h.seq, h.hash))
    }

    /// The stored hash of the event at `seq`, if it is there.
    pub async fn audit_hash_at(&self, seq: i64) -> Result<Option<String>> {
        Ok(audit_event::Entity::find()
            .filter(audit_event::Column::Seq.eq(seq))
            .one(self.db())
            .await?
            .and_then(|e| e.hash))
    }

    /// The chain as of now: the last checkpoint (the chain was verified up to it when it was
    /// signed), and the events since it verified against it.
    pub async fn audit_chain_since_checkpoint(
        &self,
    ) -> Result<(Option<audit_checkpoint::Model>, crate::audit::ChainState)> {
        let last = self.last_audit_checkpoint().await?;
        if let Some(c) = &last
            && self.audit_hash_at(c.seq).await?.as_deref() != Some(c.head.as_str())
        {
            let broken = entente_domain::audit_chain::Broken {
                seq: c.seq,
                why: format!(
                    "event {} no longer holds the hash its checkpoint signed",
                    c.seq
                ),
            };
            return Ok((last, crate::audit::ChainState::Broken(broken)));
        }
        let from = last.as_ref().map_or(1, |c| c.seq + 1);
        let state = self.verify_audit_chain(Some(from)).await?;
        Ok((last, state))
    }

    /// When the first event of the chain was written, if there is one.
    pub async fn first_audit_event_at(&self) -> Result<Option<i64>> {
        Ok(audit_event::Entity::find()
            .filter(audit_event::Column::Seq.eq(1i64))
            .one(self.db())
            .await?
            .map(|e| e.at))
    }

    pub async fn audit_checkpoints(&self) -> Result<Vec<audit_checkpoint::Model>> {
        Ok(audit_checkpoint::Entity::find()
            .order_by_asc(audit_checkpoint::Column::Seq)
            .all(self.db())
            .await?)
    }

    pub async fn last_audit_checkpoint(&self) -> Result<Option<audit_checkpoint::Model>> {
        Ok(audit_checkpoint::Entity::find()
            .order_by_desc(audit_checkpoint::Column::Seq)
            .limit(1)
            .one(self.db())
            .await?)
    }

    /// Keeps a checkpoint; one already signed for the same place stands.
    pub async fn add_audit_checkpoint(&self, c: audit_checkpoint::Model) -> Result<()> {
        let txn = self.write().await?;
        if audit_checkpoint::Entity::find_by_id(c.seq)
            .one(&txn)
            .await?
            .is_none()
        {
            c.into_active_model().insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
