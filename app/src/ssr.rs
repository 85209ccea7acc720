//! Server-only helpers of the console: context, sessions, role checks, error wording.

use entente_domain::forwarded::ClientAddr;
use entente_domain::password::{dummy_verify, verify_password};
use entente_domain::secret::SecretHasher;
use entente_store::{Actor, Store, StoreError};
use leptos::prelude::*;
use tower_sessions::Session;

use crate::api::CreatedClient;

/// What the console's server functions need from the running service; provided as context.
#[derive(Clone, Debug)]
pub struct ConsoleContext {
    pub store: Store,
    pub hasher: SecretHasher,
    pub issuer: String,
    pub throttle: std::sync::Arc<LoginThrottle>,
    pub federation: FederationHandle,
}

pub type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// Federation services that live in the server crate (key fetching, the decision with keys).
pub trait FederationServices: Send + Sync {
    /// Registration-time SSRF check of a JWKS URL; the normalised URL or a sentence.
    fn check_jwks_uri(&self, uri: String) -> BoxFuture<Result<String, String>>;
    /// Evaluates a token request without issuing anything (as the admin API's explain does).
    fn explain(
        &self,
        request: entente_domain::federation::explain::ExplainRequest,
    ) -> BoxFuture<entente_domain::federation::explain::Explanation>;
    /// Applies committed catalog changes to this replica now (others follow the change feed),
    /// so that "try a token" right after an edit sees the edit.
    fn apply_changes(&self) -> BoxFuture<()>;
}

#[derive(Clone)]
pub struct FederationHandle(pub std::sync::Arc<dyn FederationServices>);

impl std::fmt::Debug for FederationHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FederationHandle")
    }
}

type KeyedLimiter<K> = governor::DefaultKeyedRateLimiter<K>;

/// Sign-in attempts per account and per source address (security case F48). Unknown accounts
/// are throttled like known ones, so the limit reveals nothing about which e-mails exist.
pub struct LoginThrottle {
    per_account: KeyedLimiter<String>,
    per_address: KeyedLimiter<std::net::IpAddr>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginThrottle")
    }
}

impl Default for LoginThrottle {
    /// 5 attempts a minute per account, 20 per source address.
    fn default() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_minute(five), Quota::per_minute(twenty))
    }
}

impl LoginThrottle {
    pub fn with_quotas(per_account: governor::Quota, per_address: governor::Quota) -> Self {
        Self {
            per_account: governor::RateLimiter::keyed(per_account),
            per_address: governor::RateLimiter::keyed(per_address),
        }
    }

    /// Forgets keys whose budget is full again, so the tables do not grow without bound
    /// (called every minute by the server's maintenance worker).
    pub fn prune(&self) {
        self.per_account.retain_recent();
        self.per_account.shrink_to_fit();
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }

    /// Keys currently held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.per_account.len() + self.per_address.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when this attempt is within both budgets.
    pub fn allow(&self, email: &str, address: Option<std::net::IpAddr>) -> bool {
        let account_ok = self
            .per_account
            .check_key(&email.trim().to_ascii_lowercase())
            .is_ok();
        let address_ok = address.is_none_or(|a| self.per_address.check_key(&a).is_ok());
        account_ok && address_ok
    }
}

const ADMIN_ID: &str = "admin_id";
const LOGIN_AT: &str = "login_at";
/// Sessions end 12 hours after sign-in whatever the activity (idle expiry is on the cookie layer).
const ABSOLUTE_TIMEOUT: i64 = 12 * 3600;

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

pub fn console() -> Result<ConsoleContext, ServerFnError> {
    use_context::<ConsoleContext>()
        .ok_or_else(|| ServerFnError::new("the console is not configured"))
}

/// An error sentence for the user, with the HTTP status it deserves (bad input is never a 500).
/// A plain HTML form post (no JavaScript yet) keeps Leptos' redirect back to the form, which
/// shows the error there; a status set here would replace that redirect.
pub fn fail(status: axum::http::StatusCode, message: impl Into<String>) -> ServerFnError {
    let html_form = use_context::<axum::http::request::Parts>().is_some_and(|p| {
        p.headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
    });
    if !html_form && let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(status);
    }
    ServerFnError::new(message.into())
}

/// Store errors as sentences for users; database details go to the log only.
pub fn user_error(e: StoreError) -> ServerFnError {
    use axum::http::StatusCode;
    match e {
        StoreError::Db(db) => {
            tracing::error!(error = %db, "console database error");
            fail(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable; try again shortly",
            )
        }
        StoreError::NotFound(_) => fail(StatusCode::NOT_FOUND, e.to_string()),
        StoreError::Conflict(_) => fail(StatusCode::CONFLICT, e.to_string()),
        StoreError::Invalid(_) => fail(StatusCode::BAD_REQUEST, e.to_string()),
    }
}

pub struct AdminSession {
    pub id: String,
    pub email: String,
    pub role: String,
}

impl AdminSession {
    pub fn actor(&self) -> Actor {
        Actor::new(format!("admin:{}", self.email))
    }
}

async fn session() -> Result<Session, ServerFnError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|_| ServerFnError::new("session unavailable"))
}

pub async fn current_admin() -> Result<Option<AdminSession>, ServerFnError> {
    let s = session().await?;
    admin_from_session(&console()?.store, &s)
        .await
        .map_err(user_error)
}

/// The signed-in console user of a session, if the session is live (also used by the admin
/// REST API, which shares the console's sessions).
pub async fn admin_from_session(
    store: &entente_store::Store,
    s: &tower_sessions::Session,
) -> Result<Option<AdminSession>, entente_store::StoreError> {
    let id: Option<String> = s.get(ADMIN_ID).await.ok().flatten();
    let login_at: i64 = s.get(LOGIN_AT).await.ok().flatten().unwrap_or(0);
    let Some(id) = id else { return Ok(None) };
    if now() - login_at > ABSOLUTE_TIMEOUT {
        let _ = s.flush().await;
        return Ok(None);
    }
    let admin = store.admin_by_id(&id).await?;
    Ok(admin.filter(|a| a.enabled).map(|a| AdminSession {
        id: a.id,
        email: a.email,
        role: a.role,
    }))
}

pub async fn require_admin() -> Result<AdminSession, ServerFnError> {
    match current_admin().await? {
        Some(a) if a.role == "admin" => Ok(a),
        Some(_) => Err(fail(
            axum::http::StatusCode::FORBIDDEN,
            "your role may not do this",
        )),
        None => Err(fail(axum::http::StatusCode::UNAUTHORIZED, "sign in first")),
    }
}

async fn start_session(admin_id: &str) -> Result<(), ServerFnError> {
    let s = session().await?;
    // A fresh id at sign-in defeats session fixation.
    s.cycle_id()
        .await
        .map_err(|_| ServerFnError::new("session unavailable"))?;
    s.insert(ADMIN_ID, admin_id)
        .await
        .map_err(|_| ServerFnError::new("session unavailable"))?;
    s.insert(LOGIN_AT, now())
        .await
        .map_err(|_| ServerFnError::new("session unavailable"))?;
    Ok(())
}

pub async fn login(email: &str, password: &str) -> Result<(), ServerFnError> {
    let c = console()?;
    // Resolved by the server from the socket (and trusted proxies' headers) on every request.
    let address = use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientAddr>().copied())
        .map(|a| a.0);
    if !c.throttle.allow(email, address) {
        tracing::warn!("sign-in throttled");
        return Err(fail(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too many sign-in attempts; wait a minute and try again",
        ));
    }
    let admin = c.store.admin_by_email(email).await.map_err(user_error)?;
    let password = password.to_owned();
    let phc = admin
        .as_ref()
        .filter(|a| a.enabled)
        .map(|a| a.password_hash.clone());
    let ok = password_work(move || match phc {
        Some(phc) => verify_password(&password, &phc),
        None => {
            dummy_verify(&password);
            false
        }
    })
    .await?;
    match admin {
        Some(a) if ok => start_session(&a.id).await,
        // One message for unknown account and wrong password: no user enumeration.
        _ => Err(fail(
            axum::http::StatusCode::UNAUTHORIZED,
            "e-mail or password is wrong",
        )),
    }
}

pub async fn logout() -> Result<(), ServerFnError> {
    session()
        .await?
        .flush()
        .await
        .map_err(|_| ServerFnError::new("session unavailable"))
}

pub async fn accept_invite(token: &str, email: &str, password: &str) -> Result<(), ServerFnError> {
    let c = console()?;
    let password = password.to_owned();
    let hash = password_work(move || hash_password(&password))
        .await?
        .map_err(|e| fail(axum::http::StatusCode::BAD_REQUEST, e))?;
    let admin = c
        .store
        .accept_invite(&c.hasher.hash(token), email, hash, now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => fail(
                axum::http::StatusCode::BAD_REQUEST,
                "this set-up link is invalid, used or expired; run `entente admin create` instead",
            ),
            other => user_error(other),
        })?;
    start_session(&admin.id).await
}

pub async fn create_secret_client(
    admin: &AdminSession,
    partner: &str,
    name: &str,
    scopes: &str,
) -> Result<CreatedClient, ServerFnError> {
    let c = console()?;
    let p = c.store.partner_by_slug(partner).await.map_err(user_error)?;
    let scopes = entente_domain::ScopeSet::parse(scopes)
        .map_err(|e| fail(axum::http::StatusCode::BAD_REQUEST, e.description))?;
    if scopes.is_empty() {
        return Err(fail(
            axum::http::StatusCode::BAD_REQUEST,
            "give the client at least one scope",
        ));
    }
    let secret = entente_domain::secret::generate_secret();
    let client_id = entente_domain::secret::new_client_id();
    let new = entente_store::catalog::NewClient::partner_secret(
        p.id,
        name.to_owned(),
        scopes,
        vec!["client_credentials".into()],
        c.hasher.hash(&secret),
    );
    c.store
        .create_client(&admin.actor(), new, client_id.clone(), now())
        .await
        .map_err(user_error)?;
    Ok(CreatedClient {
        client_id,
        client_secret: secret,
    })
}

pub use entente_domain::password::{MIN_PASSWORD_LEN, hash_password};

/// At most this many Argon2 computations run at once; more sign-ins wait their turn instead of
/// taking every blocking thread (a flood of sign-ins must not starve the runtime).
const PASSWORD_WORKERS: usize = 2;

fn password_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| tokio::sync::Semaphore::new(PASSWORD_WORKERS))
}

/// Runs Argon2 work on a blocking thread, bounded by `PASSWORD_WORKERS`.
pub async fn password_work<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ServerFnError> {
    let _permit = password_permits()
        .acquire()
        .await
        .map_err(|_| ServerFnError::new("the server is shutting down"))?;
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ServerFnError::new("password check failed"))
}
