//! Change requests: a change that widens production access is filed instead of applied, and a
//! different administrator approves (the change is applied in the same transaction) or rejects
//! it. What needs approval is decided by `entente_domain::governance`; this module reads the
//! state it compares and keeps the requests.

mod apply;
mod approval;
mod change;
mod deciding;
mod describe;
mod filing;
mod held;
mod listing;
mod subject;

use entente_domain::governance::RequestStatus;

pub use change::{Change, GrantSet};
pub(crate) use filing::submit_in;

use crate::StoreError;
use crate::entities::change_request;

/// What `Store::submit` did.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// Nothing needed approval: the change is in effect (`id`: the trust rule it set, if any).
    Applied { id: Option<String> },
    /// The change waits for approval as this request.
    Requested(Box<change_request::Model>),
}

/// A page of change requests.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub partner: Option<String>,
    /// One request by its number (an audit event's link opens on it, however old).
    pub id: Option<i64>,
    pub limit: u64,
    /// Newest requests to skip.
    pub offset: u64,
}

fn invalid(e: impl Into<String>) -> StoreError {
    StoreError::Invalid(e.into())
}
