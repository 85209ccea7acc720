//! Console session records for tower-sessions (the store adapter lives in `server`).

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::entities::session;
use crate::{Result, Store};

impl Store {
    pub async fn session_load(&self, id: &str, now: i64) -> Result<Option<String>> {
        let s = session::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?;
        Ok(s.filter(|s| s.expires_at > now).map(|s| s.data))
    }

    /// Inserts or replaces a session record.
    pub async fn session_save(&self, id: &str, data: String, expires_at: i64) -> Result<()> {
        let am = session::ActiveModel {
            id: Set(id.to_owned()),
            data: Set(data),
            expires_at: Set(expires_at),
        };
        if session::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await?
            .is_some()
        {
            am.update(self.db()).await?;
        } else {
            am.insert(self.db()).await?;
        }
        Ok(())
    }

    /// Inserts only if the id is new; false on collision.
    pub async fn session_create(&self, id: &str, data: String, expires_at: i64) -> Result<bool> {
        let res = session::ActiveModel {
            id: Set(id.to_owned()),
            data: Set(data),
            expires_at: Set(expires_at),
        }
        .insert(self.db())
        .await;
        match res {
            Ok(_) => Ok(true),
            Err(e)
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn session_delete(&self, id: &str) -> Result<()> {
        session::Entity::delete_by_id(id.to_owned())
            .exec(self.db())
            .await?;
        Ok(())
    }

    pub async fn session_purge(&self, now: i64) -> Result<u64> {
        Ok(session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lte(now))
            .exec(self.db())
            .await?
            .rows_affected)
    }
}
