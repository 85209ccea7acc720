//! Entente's storage: sea-orm repositories over SQLite (default) or PostgreSQL.
//!
//! Every mutation writes its audit event and a change-feed row in the same transaction, so a
//! change is never visible without its record, and every replica's caches hear about it.

pub mod admins;
pub mod alerts;
pub mod applications;
pub mod audit;
mod audit_checkpoints;
pub mod catalog;
pub mod catalog_rows;
pub mod changes;
pub mod client_keys;
pub mod config;
pub mod entities;
pub mod enums;
pub mod federation;
pub mod governance;
pub mod keys;
pub mod limits;
pub mod matrix;
pub mod onboarding;
pub mod partner_users;
mod people;
pub mod refresh;
pub mod reserved;
pub mod sessions;
pub mod sign_in;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tokens;
pub mod usage;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr, SqlErr};
use sea_orm_migration::MigratorTrait;

pub use sea_orm;

/// Who changed something, for the audit trail.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub request_id: Option<String>,
    /// The OpenTelemetry trace of the request, when traces are exported.
    pub trace_id: Option<String>,
    /// The address the request came from (the socket's, or what trusted proxies report).
    pub source: Option<String>,
    /// The caller's own `X-Request-Id`, kept in audit details beside Entente's request id.
    pub caller_request_id: Option<String>,
    /// The host itself (the `entente` CLI on the server's machine), the only door that may
    /// change a host-only partner (`reserved`).
    host: bool,
}

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            request_id: None,
            trace_id: None,
            source: None,
            caller_request_id: None,
            host: false,
        }
    }
    /// The host's own actor: whoever runs the `entente` CLI against the database.
    pub fn host(name: impl Into<String>) -> Self {
        Self {
            host: true,
            ..Self::new(name)
        }
    }
    pub fn is_host(&self) -> bool {
        self.host
    }
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
    pub fn with_trace_id(mut self, id: Option<String>) -> Self {
        self.trace_id = id;
        self
    }
    pub fn with_source(mut self, source: Option<String>) -> Self {
        self.source = source;
        self
    }
    pub fn with_caller_request_id(mut self, id: Option<String>) -> Self {
        self.caller_request_id = id;
        self
    }
}

/// Databases bind offsets and limits as signed 64-bit integers (sea-query panics on larger
/// values): every user-supplied one passes through here.
pub(crate) fn bounded(n: u64) -> u64 {
    n.min(i64::MAX as u64)
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    /// What the change was decided on has changed meanwhile (a conflict, said in full).
    #[error("{0}")]
    Stale(String),
    #[error("{0}")]
    Invalid(String),
    /// This person may not do this (decide their own request, withdraw someone else's).
    #[error("{0}")]
    Forbidden(String),
    /// The change widens production access: it waits for a different administrator's approval.
    #[error("{0} needs a different administrator's approval; file it as a change request")]
    NeedsApproval(String),
    /// A cap on how much of something may be made (clients per partner, applications per
    /// hour) is reached: try later, or ask for the cap to be raised.
    #[error("{0}")]
    TooMany(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl StoreError {
    pub(crate) fn from_insert(e: DbErr, what: &str) -> Self {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::Conflict(what.to_owned()),
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                Self::NotFound(format!("what {what} refers to"))
            }
            _ => Self::Db(e),
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    caps: Caps,
}

/// Bounds on what callers other than the host can make, counted in the database so that every
/// replica shares them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// Clients one partner may have (ENTENTE_MAX_CLIENTS_PER_PARTNER).
    pub clients_per_partner: u64,
    /// Applications from the public form per hour, from everyone (ENTENTE_APPLICATIONS_PER_HOUR).
    pub applications_per_hour: u64,
    /// Applications per hour from one network (an IPv4 address, an IPv6 /48).
    pub applications_per_network_hour: u64,
    /// Applications per hour naming one contact address.
    pub applications_per_email_hour: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Self {
            clients_per_partner: 100,
            applications_per_hour: 100,
            applications_per_network_hour: 10,
            applications_per_email_hour: 3,
        }
    }
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…`. SQLite runs in WAL mode with foreign keys on.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(5))
            .max_connections(if url.starts_with("sqlite") { 8 } else { 16 })
            .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
                o.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(5))
            });
        let db = Database::connect(opts).await?;
        Ok(Self {
            db,
            caps: Caps::default(),
        })
    }

    /// The same store with these caps.
    pub fn with_caps(self, caps: Caps) -> Self {
        Self { caps, ..self }
    }

    pub fn caps(&self) -> Caps {
        self.caps
    }

    pub async fn migrate(&self) -> Result<()> {
        migration::Migrator::up(&self.db, None).await?;
        self.chain_audit_backlog().await?;
        Ok(())
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// A write transaction. On SQLite it takes the write lock at BEGIN (IMMEDIATE), so a
    /// read-then-write never fails with SQLITE_BUSY on upgrade; waiting uses the busy timeout.
    pub(crate) async fn write(&self) -> Result<sea_orm::DatabaseTransaction> {
        use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        Ok(self.db.begin_with_options(opts).await?)
    }

    /// Cheap reachability check for readiness probes.
    pub async fn ping(&self) -> Result<()> {
        self.db.ping().await?;
        Ok(())
    }
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
