//! Console web security over HTTP (cases F43–F45): every server function is POST-only and refuses
//! cross-site requests; role checks run inside server functions; sign-in sets a hardened cookie
//! with a fresh session id, and sign-out destroys the session server-side. This module holds the
//! console helpers (server function paths, sign-in, calls) its submodules and other modules share.

use crate::common::{self, Backend, TestServer};
use crate::fed;

mod audiences;
mod clients;
mod explain;
mod roles;
mod sessions;
mod trust_form;
mod web_security;

pub(crate) fn server_fns() -> Vec<(&'static str, String)> {
    // Registered by the `app` crate's #[server] functions (linked through entente_server).
    let _ = entente_server::console::leptos_options();
    let mut v: Vec<(&'static str, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, m)| (p, m.to_string()))
        .collect();
    v.sort();
    v
}

pub(crate) fn path_of(name: &str) -> &'static str {
    server_fns()
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| {
            p.trim_start_matches("/api/")
                .strip_prefix(name)
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        })
        .unwrap_or_else(|| panic!("no server fn {name}"))
}

pub(crate) async fn signed_in(s: &TestServer) -> String {
    let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "admin@example.test",
            hash,
            entente_store::enums::Role::Admin,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .post(s.url(path_of("login")))
        .header("origin", &s.base)
        .form(&[
            ("email", "admin@example.test"),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Creates a console user with `role` and signs them in; their session cookie.
pub(crate) async fn session(
    s: &TestServer,
    email: &str,
    role: entente_store::enums::Role,
) -> String {
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            email,
            hash,
            role,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    sign_in(s, email, PASSWORD).await
}

/// Signs in as `email`; the session cookie.
pub(crate) async fn sign_in(s: &TestServer, email: &str, password: &str) -> String {
    let r = reqwest::Client::new()
        .post(s.url(path_of("login")))
        .header("origin", &s.base)
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{email} signs in");
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// Calls a server function as `who`; the status and the JSON answer.
pub(crate) async fn call(
    s: &TestServer,
    who: &str,
    name: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(s.url(path_of(name)))
        .header("origin", &s.base)
        .header("cookie", who)
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}
