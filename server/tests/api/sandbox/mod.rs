//! The sandbox environment over real HTTP on SQLite and PostgreSQL: its own issuer, keys, JWKS,
//! metadata (RFC 8414 §3.1 placement) and audiences; tokens never cross between environments,
//! tested both ways at the token, introspection, revocation and admin endpoints. This module
//! holds the sandbox fixtures its submodules (and other modules) share.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::lifecycle::Stage;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use serde_json::{Value, json};

use crate::common::{API, Creds, TestServer, assert_oauth_error};
use crate::fed::{self, AT, TX, claims_of};

mod command_line;
mod environments;
mod partners;

pub const SANDBOX_API: &str = "https://sandbox.api.example.test";

/// A sandbox audience (orders:read) granted to acme.
pub(crate) async fn sandbox_audience(s: &TestServer) {
    let a = Actor::new("test");
    s.state
        .store
        .create_audience(
            &a,
            NewAudience {
                identifier: SANDBOX_API.into(),
                name: "Orders (sandbox)".into(),
                scopes: vec!["orders:read".into()],
                token_lifetime: 300,
                environment: Environment::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    s.state
        .store
        .set_grant(
            &a,
            "acme",
            SANDBOX_API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

/// A secret client of `partner` in `env` (`None`: as the partner's stage decides).
pub(crate) async fn client_in(
    s: &TestServer,
    partner: &str,
    env: Option<Environment>,
    grants: &[&str],
) -> Creds {
    let secret = entente_domain::secret::generate_secret();
    let pid = s.state.store.partner_by_slug(partner).await.unwrap().id;
    let new = NewClient::partner_secret(
        pid,
        "sandbox trial".into(),
        ScopeSet::parse("orders:read").unwrap(),
        grants.iter().map(|g| (*g).to_owned()).collect(),
        s.state.hasher.hash(&secret),
    )
    .in_environment(env);
    let id = entente_domain::secret::new_client_id();
    s.state
        .store
        .create_client(&Actor::new("test"), new, id.clone(), now())
        .await
        .unwrap();
    s.refresh().await;
    Creds { id, secret }
}

async fn get_json(s: &TestServer, path: &str) -> Value {
    let r = s.http.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn header_kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn token_at(s: &TestServer, path: &str, c: &Creds, audience: &str) -> Value {
    let r = s
        .post_form(
            path,
            Some(c),
            &[("grant_type", "client_credentials"), ("resource", audience)],
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn introspect_at(s: &TestServer, path: &str, rs: &Creds, token: &str) -> Value {
    let r = s.post_form(path, Some(rs), &[("token", token)]).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}
