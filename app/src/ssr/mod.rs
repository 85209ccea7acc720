//! Server-only infrastructure of the console: the context the server provides, error wording,
//! sessions and role checks, and how the console answers the operations' errors.

pub mod audit_text;
pub mod portal;
pub mod routes;
pub mod session;

use entente_domain::secret::SecretHasher;
use entente_store::{Store, StoreError};
use leptos::prelude::*;

use crate::error::ConsoleError;
pub use crate::error::fail;

pub use entente_operations::LoginThrottle;
pub use portal::portal_user;
pub use session::{
    AdminSession, accept_invite, admin_from_session, authorize, authorize_partner_user,
    client_address, current_admin, login, logout, request_actor,
};

/// What the console's server functions need from the running service; provided as context.
#[derive(Clone, Debug)]
pub struct ConsoleContext {
    pub store: Store,
    pub hasher: SecretHasher,
    pub issuer: String,
    /// Password sign-ins (the operations hold the same one for invitations accepted).
    pub throttle: std::sync::Arc<LoginThrottle>,
    pub sandbox: SandboxHandle,
    pub telemetry: TelemetryHandle,
    /// Every change goes through these.
    pub ops: entente_operations::Operations,
}

pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// The sandbox and "try a token" tools, which run the server's real token path: nothing here
/// changes the catalog (changes go through `ops`).
pub trait Sandbox: Send + Sync {
    /// Evaluates a token request without issuing anything (as the admin API's explain does).
    /// `staff` adds the diagnosis only staff may read (another partner's API named in full).
    fn explain(
        &self,
        request: entente_domain::federation::explain::ExplainRequest,
        staff: bool,
    ) -> BoxFuture<entente_domain::federation::explain::Explanation>;
    /// Sends a token request, as `client_id` with its secret (HTTP Basic), through the sandbox's
    /// real token endpoint handler — authentication, rate limits, policy, signing, usage — as a
    /// client calling over HTTP from `address` would.
    fn sandbox_token_request(
        &self,
        client_id: String,
        client_secret: String,
        form: Vec<(String, String)>,
        address: Option<std::net::IpAddr>,
    ) -> BoxFuture<TrialResponse>;
    /// Checks a token as a sandbox resource server would: each check with whether it passed
    /// and why.
    fn inspect_sandbox_token(&self, token: String) -> BoxFuture<Vec<(String, bool, String)>>;
    /// The sandbox test IdP's issuer identifier and JWKS (to register it for a partner).
    fn test_idp(&self) -> (String, String);
    /// A test subject token for `sub` with the tester's claims (a JSON object), addressed to
    /// Entente: an access token for token exchange, or an assertion for jwt-bearer.
    fn mint_test_token(
        &self,
        kind: entente_domain::test_idp::Kind,
        sub: String,
        claims: String,
    ) -> Result<String, String>;
}

/// What the usage pages read from the running service (every replica's in cluster mode).
pub trait Telemetry: Send + Sync {
    /// Requests allowed and refused in the last second by limited subjects (`partner:<slug>`
    /// or `client:<client_id>`; other keys are left out), in one read.
    fn observed(&self, keys: Vec<String>) -> BoxFuture<Vec<(String, u64, u64)>>;
    /// Usage of the last `seconds` (≤ 300) per second, for a partner (slug), a client, or
    /// everyone: the live charts' starting point.
    fn recent_usage(
        &self,
        partner: Option<String>,
        client: Option<String>,
        seconds: i64,
    ) -> BoxFuture<entente_domain::usage::Report>;
}

/// What the token endpoint answered: status, the headers a client reads, the body.
#[derive(Debug, Clone)]
pub struct TrialResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

#[derive(Clone)]
pub struct SandboxHandle(pub std::sync::Arc<dyn Sandbox>);

impl std::fmt::Debug for SandboxHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SandboxHandle")
    }
}

#[derive(Clone)]
pub struct TelemetryHandle(pub std::sync::Arc<dyn Telemetry>);

impl std::fmt::Debug for TelemetryHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TelemetryHandle")
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn format_time(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
            ))
            .ok()
        })
        .unwrap_or_default()
}

pub fn console() -> Result<ConsoleContext, ConsoleError> {
    use_context::<ConsoleContext>().ok_or_else(|| {
        tracing::error!("the console context is missing");
        fail(ConsoleError::new(500, "the console is not configured"))
    })
}

/// A 400 with this sentence.
pub fn bad_request(message: impl Into<String>) -> ConsoleError {
    fail(ConsoleError::bad_request(message))
}

/// Store errors as sentences for users; database details go to the log only.
pub fn user_error(e: StoreError) -> ConsoleError {
    fail(match e {
        StoreError::Db(db) => {
            tracing::error!(error = %db, "console database error");
            ConsoleError::unavailable()
        }
        StoreError::NotFound(_) => ConsoleError::not_found(e.to_string()),
        StoreError::Conflict(_) | StoreError::Stale(_) => ConsoleError::conflict(e.to_string()),
        StoreError::Invalid(_) => ConsoleError::bad_request(e.to_string()),
        StoreError::NeedsApproval(_) => ConsoleError::conflict(e.to_string()),
        StoreError::Forbidden(m) => ConsoleError::new(403, m),
        StoreError::TooMany(m) => ConsoleError::too_many(m),
    })
}

/// An operation's refusal or failure as the console answers it.
pub fn op_error(e: entente_operations::OpError) -> ConsoleError {
    use entente_operations::OpError;
    let status = e.status();
    fail(match e {
        OpError::SignedOut => ConsoleError::signed_out(),
        OpError::Unavailable => ConsoleError::unavailable(),
        e => ConsoleError::new(status, e.to_string()),
    })
}

/// Submits a change that may widen production access: applied at once when it does not, filed
/// as a change request when it does. The sentence tells the user which.
pub async fn submit_change(
    admin: &AdminSession,
    change: entente_store::governance::Change,
    reason: &str,
) -> Result<String, ConsoleError> {
    let out = console()?
        .ops
        .submit(&admin.acting(), change, reason, true, now())
        .await
        .map_err(op_error)?;
    Ok(outcome_sentence(out))
}

/// What became of a submitted change, in a sentence.
pub fn outcome_sentence(out: entente_operations::governance::Outcome) -> String {
    use entente_operations::governance::Outcome;
    match out {
        Outcome::Applied { .. } => "Saved.".into(),
        Outcome::Requested(r) => format!(
            "Change request #{} filed: {}. It takes effect when a different administrator approves it.",
            r.id, r.summary
        ),
    }
}
