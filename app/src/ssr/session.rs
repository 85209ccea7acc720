//! Console sessions: sign-in (throttled, Argon2 off the runtime), sign-out, the first
//! administrator's invitation, the signed-in administrator and the role check.

use entente_domain::forwarded::ClientAddr;
use entente_store::{Actor, StoreError};
use leptos::prelude::*;
use tower_sessions::Session;

use super::{console, fail, now, user_error};
use crate::error::ConsoleError;

const ADMIN_ID: &str = "admin_id";
const LOGIN_AT: &str = "login_at";
/// The role the user had when this session id was issued: a different role read at a request
/// gets the session a new id (security case F45).
const ROLE: &str = "role";
/// Sessions end 12 hours after sign-in whatever the activity (idle expiry is on the cookie layer).
const ABSOLUTE_TIMEOUT: i64 = 12 * 3600;

pub struct AdminSession {
    pub id: String,
    pub email: String,
    pub role: entente_store::enums::Role,
    /// A partner user's partner (its id); none for console users.
    pub partner_id: Option<String>,
}

impl AdminSession {
    /// Who acts, for the audit trail: the console user, with the request's id and the address
    /// it came from (the socket's, or what trusted proxies report).
    pub fn actor(&self) -> Actor {
        // Partner users act through the portal; the audit trail says so.
        let who = if self.partner_id.is_some() {
            "portal"
        } else {
            "admin"
        };
        request_actor(format!("{who}:{}", self.email))
    }

    /// This user as the operations see them: a console user, or a partner user of their
    /// partner.
    pub fn acting(&self) -> entente_operations::Actor {
        let trail = self.actor();
        match &self.partner_id {
            Some(pid) => entente_operations::Actor::partner(
                self.id.clone(),
                self.email.clone(),
                self.role,
                pid.clone(),
                trail,
            ),
            None => entente_operations::Actor::console(
                self.id.clone(),
                self.email.clone(),
                self.role,
                trail,
            ),
        }
    }
}

/// `name` acting through this request: with the request's id, its trace and the address it
/// came from (the socket's, or what trusted proxies report).
pub fn request_actor(name: String) -> Actor {
    let parts = use_context::<axum::http::request::Parts>();
    let header = |h: &str| {
        parts
            .as_ref()
            .and_then(|p| p.headers.get(h))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let source = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<ClientAddr>())
        .map(|a| a.0.to_string());
    Actor::new(name)
        .with_request_id(header("x-request-id"))
        .with_trace_id(header(entente_domain::audit::TRACE_ID_HEADER))
        .with_caller_request_id(header(entente_domain::audit::CALLER_REQUEST_ID_HEADER))
        .with_source(source)
}

async fn session() -> Result<Session, ConsoleError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))
}

pub async fn current_admin() -> Result<Option<AdminSession>, ConsoleError> {
    let s = session().await?;
    admin_from_session(&console()?.store, &s)
        .await
        .map_err(user_error)
}

/// The signed-in console user of a session, if the session is live (also used by the admin
/// REST API, which shares the console's sessions). A session whose user's role changed since
/// its id was issued gets a new id now (F45); call it while the response is still to be sent.
pub async fn admin_from_session(
    store: &entente_store::Store,
    s: &tower_sessions::Session,
) -> Result<Option<AdminSession>, entente_store::StoreError> {
    let Some(admin) = session_admin(store, s).await? else {
        return Ok(None);
    };
    // Roles are read on every request, so a changed role takes effect at once; the session id
    // changes with it too, as at sign-in: an id seen before the change (in a log, in a shared
    // machine's browser) does not carry the new privileges.
    let recorded: Option<entente_store::enums::Role> = s.get(ROLE).await.ok().flatten();
    if recorded != Some(admin.role) {
        let renewal = |e: tower_sessions::session::Error| {
            StoreError::Invalid(format!("the session could not be renewed: {e}"))
        };
        if recorded.is_some() {
            s.cycle_id().await.map_err(renewal)?;
            tracing::info!(user = %admin.email, "role changed: new session id");
        }
        s.insert(ROLE, admin.role).await.map_err(renewal)?;
    }
    Ok(Some(admin))
}

/// The signed-in console user of a live session, read only: nothing about the session changes
/// (for checks made after the response has gone, such as a live stream's).
pub async fn session_admin(
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
        partner_id: a.partner_id,
    }))
}

/// The signed-in user whose kind and role the policy table lets perform the operation `route`
/// (a server function's name) performs; 401 signed out, 403 otherwise (an undeclared route
/// too). The operation itself still decides on its target.
async fn signed_in_for(route: &'static str) -> Result<AdminSession, ConsoleError> {
    let Some(op) = super::routes::operation(route) else {
        tracing::error!(route, "a server function with no operation is refused");
        return Err(fail(ConsoleError::forbidden()));
    };
    match current_admin().await? {
        Some(a) if entente_operations::policy::offers(&a.acting(), op) => Ok(a),
        Some(_) => Err(fail(ConsoleError::forbidden())),
        None => Err(fail(ConsoleError::signed_out())),
    }
}

/// A console user (administrator, operator or auditor) allowed `route`'s operation. The
/// console's door admits console users only: a partner's people use the portal (G51).
pub async fn authorize(route: &'static str) -> Result<AdminSession, ConsoleError> {
    let me = signed_in_for(route).await?;
    if me.partner_id.is_some() {
        return Err(fail(ConsoleError::forbidden()));
    }
    Ok(me)
}

/// A partner user allowed `route`'s operation: the portal's door admits a partner's people
/// only.
pub async fn authorize_partner_user(route: &'static str) -> Result<AdminSession, ConsoleError> {
    let me = signed_in_for(route).await?;
    if me.partner_id.is_none() {
        return Err(fail(ConsoleError::forbidden()));
    }
    Ok(me)
}

async fn start_session(
    admin_id: &str,
    role: entente_store::enums::Role,
) -> Result<(), ConsoleError> {
    begin_session(&session().await?, admin_id, role).await
}

/// Signs `admin_id`, whose role is `role`, into `s` (also from outside a server function:
/// federated sign-in).
pub async fn begin_session(
    s: &Session,
    admin_id: &str,
    role: entente_store::enums::Role,
) -> Result<(), ConsoleError> {
    // A fresh id at sign-in defeats session fixation.
    s.cycle_id()
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))?;
    s.insert(ADMIN_ID, admin_id)
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))?;
    s.insert(LOGIN_AT, now())
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))?;
    s.insert(ROLE, role)
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))?;
    Ok(())
}

/// Signs in; the role of who signed in (the portal's users go to the portal).
pub async fn login(
    email: &str,
    password: &str,
) -> Result<entente_store::enums::Role, ConsoleError> {
    use entente_operations::OpError;
    let typed = email.trim().to_ascii_lowercase();
    let actor = entente_operations::Actor::anonymous(request_actor(format!("admin:{typed}")));
    let account = console()?
        .ops
        .sign_in_with_password(&actor, email, password.to_owned(), client_address(), now())
        .await
        .map_err(|e| match e {
            OpError::SignedOut => fail(ConsoleError::new(
                401,
                entente_operations::arrivals::WRONG_PASSWORD,
            )),
            e => super::op_error(e),
        })?;
    start_session(&account.id, account.role).await?;
    Ok(account.role)
}

/// Resolved by the server from the socket (and trusted proxies' headers) on every request.
pub fn client_address() -> Option<std::net::IpAddr> {
    let addr = use_context::<axum::http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientAddr>().copied())
        .map(|a| a.0);
    if addr.is_none() {
        tracing::error!("no client address on the request: per-address throttling is off");
    }
    addr
}

pub async fn logout() -> Result<(), ConsoleError> {
    session()
        .await?
        .flush()
        .await
        .map_err(|_| ConsoleError::new(500, "session unavailable"))
}

/// Creates the invited account and signs it in; its role.
pub async fn accept_invite(
    token: &str,
    email: &str,
    password: &str,
) -> Result<entente_store::enums::Role, ConsoleError> {
    let actor = entente_operations::Actor::anonymous(request_actor(format!("invite:{email}")));
    let admin = console()?
        .ops
        .accept_console_invitation(
            &actor,
            token,
            email,
            password.to_owned(),
            client_address(),
            now(),
        )
        .await
        .map_err(super::op_error)?;
    start_session(&admin.id, admin.role).await?;
    Ok(admin.role)
}
