//! tower-sessions store on Entente's own database (one sqlx, one schema, both backends).

use entente_store::Store;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, Error};

#[derive(Debug, Clone)]
pub struct DbSessionStore {
    store: Store,
}

impl DbSessionStore {
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn backend(e: impl std::fmt::Display) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // Collisions of 128-bit ids are astronomically rare; still, never overwrite a session.
        loop {
            let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
            if self
                .store
                .session_create(
                    &record.id.to_string(),
                    data,
                    record.expiry_date.unix_timestamp(),
                )
                .await
                .map_err(backend)?
            {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let data = serde_json::to_string(record).map_err(|e| Error::Encode(e.to_string()))?;
        self.store
            .session_save(
                &record.id.to_string(),
                data,
                record.expiry_date.unix_timestamp(),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = crate::state::now();
        match self
            .store
            .session_load(&id.to_string(), now)
            .await
            .map_err(backend)?
        {
            Some(data) => Ok(Some(
                serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?,
            )),
            None => Ok(None),
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store
            .session_delete(&id.to_string())
            .await
            .map_err(backend)
    }
}
