//! The admin REST API over HTTP: bearer tokens whose scope names a role, every resource the
//! console manages, four-eyes approval between two API clients, RFC 9457 refusals, and the
//! OpenAPI document it is generated with. This module holds the API's tokens and a caller that
//! its submodules share.

use serde_json::{Value, json};

use crate::common::{API, TestServer};
use entente_domain::ScopeSet;
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewPartner};

mod contract;
mod doors;
mod federation;

const V1: &str = "/admin/api/v1";
const SANDBOX_API: &str = "https://sandbox.api.example.test";

/// Bearer tokens for the admin API: (ops admin, ops operator, ops auditor, second admin). The
/// first three come from one client, so they act as one caller (`api:<client_id>`).
pub(crate) async fn api_tokens(s: &TestServer) -> (String, String, String, String) {
    let a = Actor::new("test");
    let now = entente_server::state::now();
    let admin_api = format!("{}/admin/api/v1", s.base);
    let store = &s.state.store;
    store
        .create_audience(
            &a,
            NewAudience {
                identifier: admin_api.clone(),
                name: "Admin API".into(),
                scopes: vec![
                    "entente:admin".into(),
                    "entente:operator".into(),
                    "entente:auditor".into(),
                ],
                token_lifetime: 300,
                environment: Default::default(),
            },
            now,
        )
        .await
        .unwrap();
    store
        .create_partner(
            &a,
            NewPartner {
                slug: "ops".into(),
                name: "Operations".into(),
                // Its client gets production tokens: the admin API is a production audience.
                stage: entente_domain::lifecycle::Stage::Production,
            },
            now,
        )
        .await
        .unwrap();
    let all = "entente:admin entente:operator entente:auditor";
    store
        .set_grant(&a, "ops", &admin_api, &ScopeSet::parse(all).unwrap(), now)
        .await
        .unwrap();
    s.refresh().await;
    let one = s.secret_client("ops", all).await;
    let two = s.secret_client("ops", "entente:admin").await;
    // Each answered for by a console user of its own (four eyes count the owner); auditors,
    // so that the tests' count of administrators is theirs alone.
    for (c, owner) in [
        (&one, "bot-owner@example.test"),
        (&two, "bot-owner-2@example.test"),
    ] {
        let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
        store
            .create_admin(&a, owner, hash, entente_store::enums::Role::Auditor, now)
            .await
            .unwrap();
        store
            .set_client_owner(&Actor::host("test"), &c.id, owner, now)
            .await
            .unwrap();
    }
    let token = |c, scope: &'static str| {
        let admin_api = admin_api.clone();
        async move {
            s.token(c, &[("resource", &admin_api), ("scope", scope)])
                .await["access_token"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    (
        token(&one, "entente:admin").await,
        token(&one, "entente:operator").await,
        token(&one, "entente:auditor").await,
        token(&two, "entente:admin").await,
    )
}

struct Api<'a> {
    s: &'a TestServer,
}

impl Api<'_> {
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let r = self
            .s
            .http
            .request(method.parse().unwrap(), self.s.url(&format!("{V1}{path}")));
        // "cookie:…" is a console session; anything else a bearer token.
        let mut r = match token.strip_prefix("cookie:") {
            Some(c) => r.header("cookie", c),
            None => r.bearer_auth(token),
        };
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let v: Value = r.json().await.unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(
                ct.as_deref(),
                Some("application/problem+json"),
                "{method} {path}: refusals are problem details: {v}"
            );
            assert_eq!(v["status"], status, "{v}");
        }
        (status, v)
    }
}
