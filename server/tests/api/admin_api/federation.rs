//! The admin API runs the whole federation: every resource the console manages, with four-eyes
//! approval between two API clients.

use super::*;

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
