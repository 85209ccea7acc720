//! Server-only helpers of the console: context, sessions, role checks, error wording.

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
    /// Evaluates a token request (the explain JSON) without issuing anything.
    fn explain(&self, request: serde_json::Value) -> BoxFuture<serde_json::Value>;
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
    fn default() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self {
            per_account: governor::RateLimiter::keyed(Quota::per_minute(five)),
            per_address: governor::RateLimiter::keyed(Quota::per_minute(twenty)),
        }
    }
}

impl LoginThrottle {
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
    let address = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .ok()
        .map(|ci| ci.0.ip());
    if !c.throttle.allow(email, address) {
        tracing::warn!("sign-in throttled");
        return Err(fail(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too many sign-in attempts; wait a minute and try again",
        ));
    }
    let admin = c.store.admin_by_email(email).await.map_err(user_error)?;
    let ok = match &admin {
        Some(a) if a.enabled => crate::ssr::verify_password(password, &a.password_hash),
        _ => {
            dummy_verify(password);
            false
        }
    };
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
    let hash = hash_password(password).map_err(|e| fail(axum::http::StatusCode::BAD_REQUEST, e))?;
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

pub const MIN_PASSWORD_LEN: usize = 12;

pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        ));
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(phc).is_ok_and(|h| {
        argon2::Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// Verifies against a fixed hash when the account does not exist, so timing does not tell.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let phc = DUMMY.get_or_init(|| hash_password("dummy-password-for-timing").unwrap_or_default());
    let _ = verify_password(password, phc);
}
