//! The admin REST API over HTTP: bearer tokens whose scope names a role, every resource the
//! console manages, four-eyes approval between two API clients, RFC 9457 refusals, and the
//! OpenAPI document it is generated with.

use serde_json::{Value, json};

use crate::common::{API, TestServer};
use entente_domain::ScopeSet;
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewPartner};

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

async fn the_admin_api_runs_the_federation(s: &TestServer) {
    let (admin, operator, auditor, second) = api_tokens(s).await;
    let api = Api { s };
    // Audiences and scopes.
    let (st, aud) = api
        .call(
            "POST",
            "/audiences",
            &operator,
            Some(json!({"identifier": API, "name": "Orders", "scopes": ["orders:read", "orders:write"]})),
        )
        .await;
    assert_eq!(st, 201, "{aud}");
    assert_eq!(aud["scopes"].as_array().unwrap().len(), 2);
    let (st, _) = api
        .call(
            "PUT",
            "/scopes",
            &operator,
            Some(json!({"audience": API, "scope": "orders:write", "description": "Place orders", "sensitivity": "high"})),
        )
        .await;
    assert_eq!(st, 200);
    // Partners: create, read, page.
    for slug in ["acme", "globex", "initech"] {
        let (st, p) = api
            .call(
                "POST",
                "/partners",
                &operator,
                Some(json!({"slug": slug, "name": slug.to_uppercase(), "stage": "sandbox"})),
            )
            .await;
        assert_eq!(st, 201, "{p}");
    }
    let (st, page) = api
        .call("GET", "/partners?limit=2&offset=1", &auditor, None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(page["total"], 4, "ops and the three: {page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["items"][0]["slug"], "globex");
    let (st, _) = api.call("GET", "/partners?limit=500", &auditor, None).await;
    assert_eq!(st, 400, "limits are bounded");
    let (st, p) = api.call("GET", "/partners/acme", &auditor, None).await;
    assert_eq!((st, p["stage"].as_str()), (200, Some("sandbox")));
    let (st, _) = api.call("GET", "/partners/nobody", &auditor, None).await;
    assert_eq!(st, 404);
    // The auditor reads but changes nothing.
    let (st, _) = api
        .call(
            "POST",
            "/partners",
            &auditor,
            Some(json!({"slug": "x", "name": "X"})),
        )
        .await;
    assert_eq!(st, 403);
    // The record and the checklist.
    let record = json!({
        "legal_name": "Acme Corporation Ltd",
        "agreement": {"reference": "MSA-1", "signed_on": "2026-01-01", "expires_on": "2099-01-01",
                      "permitted_operations": "read orders", "data_class": "confidential"},
        "contacts": {
            "technical": {"name": "T", "email": "t@acme.example", "phone": "+1 555 0100"},
            "security": {"name": "S", "email": "s@acme.example", "phone": "+1 555 0101"},
            "business": {"name": "B", "email": "b@acme.example", "phone": "+1 555 0102"}},
        "escalation": [{"name": "NOC", "contact": "noc@acme.example", "hours": "24x7"}]
    });
    let (st, o) = api
        .call(
            "PUT",
            "/partners/acme/record",
            &operator,
            Some(record.clone()),
        )
        .await;
    assert_eq!(st, 200, "{o}");
    assert_eq!(o["record"], record);
    let (st, o) = api
        .call("POST", "/partners/acme/questionnaire", &operator, None)
        .await;
    assert_eq!(st, 200);
    let done: Vec<&str> = o["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["done"] == true)
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert!(done.contains(&"questionnaire"), "{o}");
    let (st, _) = api
        .call(
            "PUT",
            "/partners/acme/record",
            &operator,
            Some(json!({"contacts": {"technical": {"email": "not an address"}}})),
        )
        .await;
    assert_eq!(st, 400, "a malformed record is refused");
    // Clients: the secret is shown once.
    let (st, c) = api
        .call(
            "POST",
            "/partners/acme/clients",
            &operator,
            Some(json!({"name": "backend", "scopes": "orders:read"})),
        )
        .await;
    assert_eq!(st, 201, "{c}");
    // A partner in the sandbox stage: its client is a sandbox client, and a production one is
    // refused.
    assert_eq!(c["environment"], "sandbox", "{c}");
    let secret = c["client_secret"].as_str().unwrap().to_owned();
    let (st, refused) = api
        .call(
            "POST",
            "/partners/acme/clients",
            &operator,
            Some(json!({"name": "live", "scopes": "orders:read", "environment": "production"})),
        )
        .await;
    assert_eq!(st, 400, "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap()
            .contains("sandbox clients only"),
        "{refused}"
    );
    let (st, sandbox_api) = api
        .call(
            "POST",
            "/audiences",
            &operator,
            Some(json!({"identifier": SANDBOX_API, "scopes": ["orders:read"], "environment": "sandbox"})),
        )
        .await;
    assert_eq!(
        (st, sandbox_api["environment"].as_str()),
        (201, Some("sandbox")),
        "{sandbox_api}"
    );
    let (_, list) = api
        .call("GET", "/partners/acme/clients", &auditor, None)
        .await;
    assert_eq!(list["total"], 1);
    assert!(
        !list.to_string().contains(&secret),
        "secrets never appear after creation"
    );
    let (st, _) = api
        .call(
            "POST",
            "/partners/acme/clients",
            &operator,
            Some(json!({"name": "x", "scopes": "orders:read", "grant_types": "password"})),
        )
        .await;
    assert_eq!(st, 400);
    // Grants on a sandbox partner apply at once.
    let (st, g) = api
        .call(
            "PUT",
            "/partners/acme/grants",
            &operator,
            Some(json!({"grants": [{"audience": API, "scopes": "orders:read"}, {"audience": SANDBOX_API, "scopes": "orders:read"}]})),
        )
        .await;
    assert_eq!((st, g["outcome"].as_str()), (200, Some("applied")), "{g}");
    let (_, g) = api
        .call("GET", "/partners/acme/grants", &auditor, None)
        .await;
    assert_eq!(
        g,
        json!([{"audience": API, "scopes": ["orders:read"]}, {"audience": SANDBOX_API, "scopes": ["orders:read"]}])
    );
    // The client gets sandbox tokens with the granted scope, at the sandbox's endpoint.
    s.refresh().await;
    let creds = crate::common::Creds {
        id: c["client_id"].as_str().unwrap().into(),
        secret,
    };
    let r = s
        .post_form(
            "/sandbox/oauth2/token",
            Some(&creds),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["scope"], "orders:read");
    // A trusted issuer with a pasted JWKS, and a trust rule under it.
    let jwks = json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": "k1", "use": "sig", "alg": "ES256",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]});
    let (st, i) = api
        .call(
            "POST",
            "/partners/acme/issuers",
            &operator,
            Some(json!({"issuer": "https://idp.acme.example", "jwks": jwks.to_string()})),
        )
        .await;
    assert_eq!(st, 201, "{i}");
    let (st, _) = api
        .call(
            "POST",
            "/partners/acme/issuers",
            &operator,
            Some(json!({"issuer": "https://idp2.acme.example", "jwks_uri": "file:///etc/passwd"})),
        )
        .await;
    assert_eq!(
        st, 400,
        "the JWKS URL is checked (the test server allows loopback, never file:)"
    );
    let (st, r) = api
        .call(
            "PUT",
            "/partners/acme/trust-rules",
            &operator,
            Some(json!({
            "issuer": "https://idp.acme.example", "audience": API, "scopes": "orders:read",
            "claims": "email groups=partner_groups"})),
        )
        .await;
    assert_eq!((st, r["outcome"].as_str()), (200, Some("applied")), "{r}");
    let (_, rules) = api
        .call("GET", "/partners/acme/trust-rules", &auditor, None)
        .await;
    assert_eq!(rules[0]["claims"], "email groups=partner_groups");
    let rule_id = rules[0]["id"].as_str().unwrap().to_owned();
    let (st, _) = api
        .call(
            "POST",
            &format!("/trust-rules/{rule_id}/enabled"),
            &operator,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(st, 200);
    // Promotion waits for the checklist; reactivation is filed by the operator, the same client
    // cannot approve it with its admin scope, no token decides, a signed-in administrator does.
    let (st, o) = api
        .call(
            "POST",
            "/partners/globex/stage",
            &operator,
            Some(json!({"to": "production", "reason": "go live"})),
        )
        .await;
    assert_eq!(st, 400, "globex's checklist is not complete: {o}");
    assert!(o["detail"].as_str().unwrap().contains("checklist"), "{o}");
    let (st, listed) = api
        .call("GET", "/change-requests?status=pending", &auditor, None)
        .await;
    assert_eq!(st, 200);
    let pending = listed["items"].as_array().unwrap().len();
    let (st, _) = api
        .call(
            "POST",
            "/partners/initech/suspend",
            &operator,
            Some(json!({"reason": "breach"})),
        )
        .await;
    assert_eq!(st, 200);
    let (st, o) = api
        .call(
            "POST",
            "/partners/initech/reactivate",
            &operator,
            Some(json!({"reason": "fixed"})),
        )
        .await;
    assert_eq!((st, o["outcome"].as_str()), (202, Some("requested")), "{o}");
    let id = o["change_request"].as_i64().unwrap();
    let (_, listed) = api
        .call("GET", "/change-requests?status=pending", &auditor, None)
        .await;
    assert_eq!(listed["items"].as_array().unwrap().len(), pending + 1);
    let (st, _) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &operator,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(st, 403, "operators do not decide");
    let (st, _) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &admin,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(st, 403, "the filer does not decide its own request");
    let (st, _) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &second,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(st, 403, "a token never decides: four eyes are two people");
    let alice = format!(
        "cookie:{}",
        crate::console::session(s, "alice@example.test", entente_store::enums::Role::Admin).await
    );
    let (st, _) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &alice,
            Some(json!({"decision": "reject"})),
        )
        .await;
    assert_eq!(st, 400, "rejecting needs a comment");
    let (st, d) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &alice,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!((st, d["status"].as_str()), (200, Some("approved")), "{d}");
    let (_, p) = api.call("GET", "/partners/initech", &auditor, None).await;
    assert_eq!(p["stage"], "sandbox");
    let (st, _) = api
        .call(
            "POST",
            &format!("/change-requests/{id}/decision"),
            &alice,
            Some(json!({"decision": "approve"})),
        )
        .await;
    assert_eq!(st, 409, "decided once");
    // Keys: administrators only.
    let (st, keys) = api.call("GET", "/keys", &auditor, None).await;
    assert_eq!(st, 200);
    let kid = keys["keys"][0]["kid"].as_str().unwrap().to_owned();
    let (st, _) = api
        .call("POST", "/keys/rotate", &operator, Some(json!({})))
        .await;
    assert_eq!(st, 403);
    let (st, k) = api
        .call(
            "POST",
            "/keys/rotate",
            &admin,
            Some(json!({"immediate": true})),
        )
        .await;
    assert_eq!(st, 201, "{k}");
    let (st, _) = api
        .call(
            "POST",
            &format!("/keys/{kid}/revoke"),
            &admin,
            Some(json!({"confirm": "wrong"})),
        )
        .await;
    assert_eq!(st, 400, "the typed confirmation must match");
    let mut policy = keys["policy"].clone();
    policy["retirement_grace"] = json!(1);
    let (st, _) = api.call("PUT", "/keys/policy", &admin, Some(policy)).await;
    assert_eq!(st, 400, "grace below the longest token lifetime");
    // Console users: visible to readers; roles changed by administrators.
    let (st, users) = api.call("GET", "/users", &auditor, None).await;
    assert_eq!(
        (st, users["total"].as_u64()),
        (200, Some(3)),
        "alice and the bots' two owners: {users}"
    );
    assert_eq!(users["items"][0]["role"], "admin");
    let (st, _) = api
        .call(
            "PUT",
            "/users/alice@example.test",
            &operator,
            Some(json!({"role": "auditor", "enabled": true})),
        )
        .await;
    assert_eq!(st, 403, "operators do not manage roles");
    let (st, last) = api
        .call(
            "PUT",
            "/users/alice@example.test",
            &admin,
            Some(json!({"role": "operator", "enabled": true})),
        )
        .await;
    assert_eq!(st, 400, "never no administrator left: {last}");
    crate::console::session(s, "bob@example.test", entente_store::enums::Role::Admin).await;
    let (st, u) = api
        .call(
            "PUT",
            "/users/alice@example.test",
            &admin,
            Some(json!({"role": "operator", "enabled": true})),
        )
        .await;
    assert_eq!((st, u["role"].as_str()), (200, Some("operator")), "{u}");
    // The audit log saw the API caller as itself.
    let (_, audit) = api
        .call(
            "GET",
            "/audit?action=partner.create&limit=5",
            &auditor,
            None,
        )
        .await;
    assert!(
        audit["events"][0]["actor"]
            .as_str()
            .unwrap()
            .starts_with("api:cl_"),
        "{audit}"
    );
}

on_both!(the_admin_api_runs_the_federation);

/// Without credentials, with a bad token, or with malformed input: problem details, never a 5xx.
async fn refusals_are_problem_details(s: &TestServer) {
    let (admin, ..) = api_tokens(s).await;
    let api = Api { s };
    let r = s
        .http
        .get(s.url(&format!("{V1}/partners")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.headers()["cache-control"], "no-store");
    // A cross-site request with the console's cookie would be refused the same way.
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .header("origin", "https://evil.example")
        .bearer_auth(&admin)
        .json(&json!({"slug": "x", "name": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let (st, _) = api.call("GET", "/partners", "not-a-token", None).await;
    assert_eq!(st, 401);
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = s
        .http
        .post(s.url(&format!("{V1}/partners")))
        .bearer_auth(&admin)
        .body("slug=x")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let (st, _) = api
        .call("POST", "/partners", &admin, Some(json!({"slug": 7})))
        .await;
    assert_eq!(st, 422);
    // An array is not an object, even where every field has a default (schemathesis found a
    // record replaced by nothing this way).
    api.call(
        "POST",
        "/partners",
        &admin,
        Some(json!({"slug": "kept", "name": "Kept"})),
    )
    .await;
    let record = json!({"legal_name": "Kept Ltd"});
    let (st, _) = api
        .call("PUT", "/partners/kept/record", &admin, Some(record))
        .await;
    assert_eq!(st, 200);
    for body in [json!([]), json!(["x"]), json!("text"), json!(null)] {
        let (st, _) = api
            .call("PUT", "/partners/kept/record", &admin, Some(body.clone()))
            .await;
        assert_eq!(st, 422, "{body}");
        let (st, _) = api
            .call("POST", "/keys/rotate", &admin, Some(body.clone()))
            .await;
        assert_eq!(st, 422, "{body}");
    }
    let (_, o) = api
        .call("GET", "/partners/kept/onboarding", &admin, None)
        .await;
    assert_eq!(
        o["record"]["legal_name"], "Kept Ltd",
        "the record is untouched"
    );
    let (st, _) = api
        .call("GET", "/change-requests/not-a-number", &admin, None)
        .await;
    assert_eq!(st, 400);
    for path in [
        "/audit?limit=",
        "/audit?before=",
        "/audit?limit=abc",
        "/audit?format=xml",
    ] {
        let (st, _) = api.call("GET", path, &admin, None).await;
        assert_eq!(st, 400, "{path}");
    }
    let (st, _) = api
        .call("GET", "/change-requests/99999", &admin, None)
        .await;
    assert_eq!(st, 404);
    let (st, _) = api
        .call(
            "POST",
            "/partners",
            &admin,
            Some(json!({"slug": "Bad Slug!", "name": "x"})),
        )
        .await;
    assert_eq!(st, 400);
}

on_both!(refusals_are_problem_details);

/// The document is OpenAPI 3.1, lists every route, and every route declares its operation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route() {
    let s = TestServer::start(crate::common::Backend::Sqlite).await;
    let r = s
        .http
        .get(s.url(&format!("{V1}/openapi.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the document is public");
    let doc: Value = r.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let keys = entente_server::admin_api::route_keys();
    assert!(keys.len() >= 30, "{keys:?}");
    for k in &keys {
        let (method, path) = k.split_once(' ').unwrap();
        assert!(
            doc["paths"][path][method.to_lowercase()].is_object(),
            "{k} is documented"
        );
        assert!(
            entente_server::admin_api::routes::operation(k).is_some(),
            "{k} performs a declared operation"
        );
    }
    for (route, _) in entente_server::admin_api::routes::ROUTES {
        assert!(
            keys.iter().any(|k| k == route),
            "{route} is declared but not served"
        );
    }
    s.stop().await;
}

/// The console, the admin API and the CLI are three doors to the same rules: the same changes
/// through each leave the same partner, grants, trust rule and audit trail.
async fn console_api_and_cli_reach_the_same_results(s: &TestServer) {
    use crate::console::{call, session};
    let (_, operator, auditor, _) = api_tokens(s).await;
    let api = Api { s };
    let (st, _) = api
        .call(
            "POST",
            "/audiences",
            &operator,
            Some(json!({"identifier": API, "scopes": ["orders:read", "orders:write"]})),
        )
        .await;
    assert_eq!(st, 201);
    let jwks = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
    let issuer = "https://idp.same.example";

    // The console.
    let olga = session(s, "olga@example.test", entente_store::enums::Role::Operator).await;
    for (name, form) in [
        (
            "create_partner",
            vec![
                ("slug", "via-console"),
                ("name", "Same Inc"),
                ("stage", "sandbox"),
            ],
        ),
        (
            "set_partner_grant",
            vec![
                ("partner", "via-console"),
                ("audience", API),
                ("scopes", "orders:read"),
                ("reason", ""),
            ],
        ),
        (
            "add_trusted_issuer",
            vec![
                ("partner", "via-console"),
                ("issuer", issuer),
                ("jwks_uri", ""),
                ("jwks", jwks),
                ("access_tokens", "on"),
            ],
        ),
        (
            "set_trust_rule",
            vec![
                ("partner", "via-console"),
                ("issuer", issuer),
                ("audience", API),
                ("scopes", "orders:read"),
                ("claims", "email"),
                ("max_depth", "1"),
                ("reason", ""),
            ],
        ),
    ] {
        let (code, answer) = call(s, &olga, name, &form).await;
        assert_eq!(code, 200, "{name}: {answer}");
    }
    // The admin API.
    for (method, path, body) in [
        (
            "POST",
            "/partners".to_string(),
            json!({"slug": "via-api", "name": "Same Inc", "stage": "sandbox"}),
        ),
        (
            "PUT",
            "/partners/via-api/grants".into(),
            json!({"grants": [{"audience": API, "scopes": "orders:read"}]}),
        ),
        (
            "POST",
            "/partners/via-api/issuers".into(),
            json!({"issuer": issuer, "jwks": jwks}),
        ),
        (
            "PUT",
            "/partners/via-api/trust-rules".into(),
            json!({"issuer": issuer, "audience": API, "scopes": "orders:read", "claims": "email"}),
        ),
    ] {
        let (st, v) = api.call(method, &path, &operator, Some(body)).await;
        assert!(st == 200 || st == 201, "{method} {path}: {v}");
    }
    // The CLI.
    let dir = std::env::temp_dir().join(format!("entente-same-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let jwks_file = dir.join("jwks.json");
    std::fs::write(&jwks_file, jwks).unwrap();
    let base = s.base.clone();
    for args in [
        vec![
            "partner", "create", "--slug", "via-cli", "--name", "Same Inc", "--stage", "sandbox",
        ],
        vec![
            "grant",
            "set",
            "--partner",
            "via-cli",
            "--audience",
            API,
            "--scopes",
            "orders:read",
        ],
        vec![
            "issuer",
            "add",
            "--partner",
            "via-cli",
            "--issuer",
            issuer,
            "--jwks-file",
            jwks_file.to_str().unwrap(),
            "--entente-issuer",
            &base,
        ],
        vec![
            "trust-rule",
            "set",
            "--partner",
            "via-cli",
            "--issuer",
            issuer,
            "--audience",
            API,
            "--scopes",
            "orders:read",
            "--claims",
            "email",
        ],
    ] {
        tokio::task::block_in_place(|| crate::cli::entente(s, &args));
    }
    std::fs::remove_dir_all(&dir).ok();

    // The same state, read back through one door.
    let strip = |mut v: Value, drop: &[&str]| {
        for k in drop {
            if let Some(o) = v.as_object_mut() {
                o.remove(*k);
            }
            if let Some(a) = v.as_array_mut() {
                for x in a {
                    x.as_object_mut().unwrap().remove(*k);
                }
            }
        }
        v
    };
    let mut seen: Vec<Value> = vec![];
    for slug in ["via-console", "via-api", "via-cli"] {
        let (_, p) = api
            .call("GET", &format!("/partners/{slug}"), &auditor, None)
            .await;
        let (_, g) = api
            .call("GET", &format!("/partners/{slug}/grants"), &auditor, None)
            .await;
        let (_, i) = api
            .call("GET", &format!("/partners/{slug}/issuers"), &auditor, None)
            .await;
        let (_, r) = api
            .call(
                "GET",
                &format!("/partners/{slug}/trust-rules"),
                &auditor,
                None,
            )
            .await;
        let (_, a) = api
            .call("GET", &format!("/audit?partner={slug}"), &auditor, None)
            .await;
        let mut actions: Vec<String> = a["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect();
        actions.sort();
        seen.push(json!({
            "partner": strip(p, &["slug", "created_at"]),
            "grants": g,
            "issuers": strip(i, &["created_at"]),
            "rules": strip(r, &["id"]),
            "actions": actions,
        }));
    }
    assert_eq!(seen[0], seen[1], "console and API");
    assert_eq!(seen[1], seen[2], "API and CLI");
    assert!(
        seen[0]["actions"].as_array().unwrap().len() >= 4,
        "{}",
        seen[0]
    );
}

on_both!(console_api_and_cli_reach_the_same_results);

/// Who administers Entente is not catalog data: neither an operator nor an administrator can,
/// through the API or the console, grant the admin API's role scopes or touch its audience (an
/// operator could otherwise mint an administrator's token); tokens are checked against the
/// catalog on every request and must be a client's own.
async fn the_admin_api_cannot_be_granted_from_inside(s: &TestServer) {
    let (admin, operator, ..) = api_tokens(s).await;
    let api = Api { s };
    let admin_api = format!("{}/admin/api/v1", s.base);
    api.call(
        "POST",
        "/partners",
        &operator,
        Some(json!({"slug": "mallory", "name": "Mallory", "stage": "sandbox"})),
    )
    .await;
    for (method, path, body) in [
        (
            "POST",
            "/audiences",
            json!({"identifier": admin_api, "scopes": ["entente:admin"]}),
        ),
        (
            "POST",
            "/audiences",
            json!({"identifier": "https://x.example", "scopes": ["entente:admin"]}),
        ),
        (
            "PUT",
            "/partners/mallory/grants",
            json!({"grants": [{"audience": admin_api, "scopes": "entente:admin"}]}),
        ),
        (
            "POST",
            "/partners/mallory/clients",
            json!({"name": "bot", "scopes": "entente:admin"}),
        ),
        (
            "PUT",
            "/scopes",
            json!({"audience": admin_api, "scope": "entente:admin", "description": "x", "sensitivity": "low"}),
        ),
    ] {
        for token in [&operator, &admin] {
            let (st, v) = api.call(method, path, token, Some(body.clone())).await;
            assert_eq!(st, 403, "{method} {path}: {v}");
        }
    }
    // Nor through the console.
    let olga =
        crate::console::session(s, "olga@example.test", entente_store::enums::Role::Admin).await;
    let (code, _) = crate::console::call(
        s,
        &olga,
        "set_partner_grant",
        &[
            ("partner", "mallory"),
            ("audience", &admin_api),
            ("scopes", "entente:admin"),
            ("reason", ""),
        ],
    )
    .await;
    assert_eq!(code, 403);
    // The ops client's own secret is the host's to rotate.
    let ops_client = s
        .state
        .store
        .list_clients(Some(
            &s.state.store.partner_by_slug("ops").await.unwrap().id,
        ))
        .await
        .unwrap();
    let (st, _) = api
        .call(
            "POST",
            &format!("/clients/{}/secret", ops_client[0].client_id),
            &admin,
            Some(json!({})),
        )
        .await;
    assert_eq!(st, 403);
    // A token stops the moment its client may no longer hold it: the ops partner suspended.
    let (st, _) = api.call("GET", "/partners", &admin, None).await;
    assert_eq!(st, 200);
    s.state
        .store
        .suspend_partner(
            &Actor::new("test"),
            "ops",
            "test",
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let (st, _) = api.call("GET", "/partners", &admin, None).await;
    assert_eq!(st, 401, "a suspended client's token is refused at once");
}

on_both!(the_admin_api_cannot_be_granted_from_inside);
