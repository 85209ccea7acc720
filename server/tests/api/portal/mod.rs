//! The partner portal over real HTTP on SQLite and PostgreSQL: partner users join by a one-time
//! link bound to their address, see and change their own partner only — another partner's
//! client or team member is "not found" (G50) — and give themselves nothing they were not
//! granted (G51); the walk of every route in policy_walk shows they reach no console or admin
//! API route. This module holds the fixtures the tests in its submodules (and other modules) share.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::enums::Role;
use serde_json::Value;

use crate::common::{Creds, TestServer};
use crate::console::{call, session};
use crate::sandbox::{SANDBOX_API, client_in, sandbox_audience};

mod access;
mod clients;
mod pages;
mod playground;
mod testers;

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in partner user of `partner` (made directly, as `entente` would seed one).
pub(crate) async fn partner_session(
    s: &TestServer,
    partner: &str,
    email: &str,
    role: Role,
) -> String {
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    let p = s.state.store.partner_by_slug(partner).await.unwrap();
    s.state
        .store
        .create_partner_user(&Actor::new("test"), &p, email, hash, role, now())
        .await
        .unwrap();
    crate::console::sign_in(s, email, PASSWORD).await
}

/// acme and globex (production), each granted orders:read on the sandbox audience.
pub(crate) async fn two_partners(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "globex",
            SANDBOX_API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}
