//! Fresh, migrated databases for tests: a temporary SQLite file, or a new PostgreSQL database
//! on the server named by `ENTENTE_TEST_POSTGRES_URL` (default: this machine's test server).
//! PostgreSQL being unreachable fails the test with a clear message; nothing is skipped.

use sea_orm::{ConnectionTrait, Database};

use crate::Store;

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that lives as long as the value (the PostgreSQL database is dropped on `cleanup`).
pub struct TestDb {
    pub url: String,
    pub store: Store,
    pg_admin: Option<(String, String)>,
    _dir: Option<TempDir>,
}

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let p = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
        #[allow(clippy::expect_used)]
        std::fs::create_dir_all(&p).expect("create temporary directory");
        Self(p)
    }
}

impl TestDb {
    #[allow(clippy::expect_used)]
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("entente-test");
                let url = format!("sqlite://{}/entente.db?mode=rwc", dir.0.display());
                let store = Store::connect(&url).await.expect("open SQLite");
                store.migrate().await.expect("migrate SQLite");
                Self {
                    url,
                    store,
                    pg_admin: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = std::env::var("ENTENTE_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into());
                let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| {
                    panic!("PostgreSQL is required for the tests and is not reachable at {admin_url}: {e}. Start it (see README) or set ENTENTE_TEST_POSTGRES_URL.")
                });
                let name = format!("entente_t_{}", uuid::Uuid::new_v4().simple());
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(b, _)| b);
                let url = format!("{base}/{name}");
                let store = Store::connect(&url)
                    .await
                    .expect("open PostgreSQL test database");
                store.migrate().await.expect("migrate PostgreSQL");
                Self {
                    url,
                    store,
                    pg_admin: Some((admin_url, name)),
                    _dir: None,
                }
            }
        }
    }

    /// Drops the PostgreSQL database (SQLite files go with the value).
    pub async fn cleanup(self) {
        if let Some((admin_url, name)) = &self.pg_admin {
            drop(self.store);
            if let Ok(admin) = Database::connect(admin_url).await {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    }
}
