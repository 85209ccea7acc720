//! The one error every operation returns; each door maps it to its own answer (a status and
//! a sentence, a problem document, an exit code).

use entente_store::StoreError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpError {
    /// Nobody is signed in and the operation needs somebody.
    #[error("sign in first")]
    SignedOut,
    /// This actor may not do this (the policy table, a reserved target, four eyes).
    #[error("{0}")]
    Forbidden(String),
    /// It does not exist — or, for a partner's people, it is another partner's.
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
    /// The change waits for a different administrator's approval.
    #[error("{0} needs a different administrator's approval; file it as a change request")]
    NeedsApproval(String),
    #[error("{0}")]
    TooMany(String),
    /// The database failed; the cause is logged, never shown.
    #[error("the service is unavailable; try again shortly")]
    Unavailable,
    /// Every password worker is taken (a flood of sign-ins waits its turn, then gives up).
    #[error("the server is busy; try again shortly")]
    Busy,
}

impl OpError {
    /// The HTTP status a door answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::SignedOut => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::Invalid(_) => 400,
            Self::Conflict(_) | Self::NeedsApproval(_) => 409,
            Self::TooMany(_) => 429,
            Self::Unavailable | Self::Busy => 503,
        }
    }

    /// The default refusal of the policy table.
    pub fn role() -> Self {
        Self::Forbidden("your role may not do this".into())
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Db(db) => {
                tracing::error!(error = %db, "operation failed in the database");
                Self::Unavailable
            }
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict(what) => Self::Conflict(format!("{what} already exists")),
            StoreError::Stale(m) => Self::Conflict(m),
            StoreError::Invalid(m) => Self::Invalid(m),
            StoreError::Forbidden(m) => Self::Forbidden(m),
            StoreError::NeedsApproval(m) => Self::NeedsApproval(m),
            StoreError::TooMany(m) => Self::TooMany(m),
        }
    }
}
