//! Explain and trust rules over HTTP, through the admin API and the console's server functions:
//! sign-in (or an admin API bearer token with its scope) required, cross-site refused, the trace
//! says why; internal JWKS URLs refused (E40).

use super::*;

on_both!(
    explain_and_trust_rules_over_http,
    explain_takes_admin_api_bearer_tokens,
);

/// Explain over the admin API and through the console's server functions: sign-in required,
/// cross-site refused, the trace says why; issuer registration refuses internal JWKS URLs (E40).
async fn explain_and_trust_rules_over_http(s: &TestServer) {
    use serde_json::json;
    let f = fed::setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let body = json!({"client_id": f.client.id, "grant_type": fed::TX, "subject_token": pt,
                      "subject_token_type": fed::AT, "audience": common::API});
    let http = reqwest::Client::new();
    let url = s.url("/admin/api/v1/exchange/explain");
    let r = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let session = signed_in(s).await;
    let r = http
        .post(&url)
        .header("cookie", &session)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "F43 for the admin API");
    let r = http
        .post(&url)
        .header("cookie", &session)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["allowed"], true, "{v}");
    assert!(v["trace"].as_array().unwrap().iter().any(|t| {
        t["step"] == "subject_token"
            && t["detail"]
                .as_str()
                .unwrap()
                .contains("signature verified with key")
    }));
    let r = http
        .post(&url)
        .header("cookie", &session)
        .body("{\"client_id\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "bad input is a 4xx");

    // Staff are told why a named API is refused, in full, where the client is told only that it
    // is not registered: here a sandbox API the partner holds no grant on, asked by a production
    // client (the console's explain says the same).
    s.state
        .store
        .create_audience(
            &entente_store::Actor::new("test"),
            entente_store::catalog::NewAudience {
                identifier: "https://sandbox.payroll.test".into(),
                name: "Payroll sandbox".into(),
                scopes: vec!["pay:read".into()],
                token_lifetime: 300,
                environment: entente_domain::environment::Environment::Sandbox,
            },
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let mut other = body.clone();
    other["audience"] = json!("https://sandbox.payroll.test");
    let r = http
        .post(&url)
        .header("cookie", &session)
        .json(&other)
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], "invalid_target", "{v}");
    assert_eq!(
        v["error_description"],
        "the requested audience is not registered or not enabled"
    );
    let why = format!(
        "https://sandbox.payroll.test is a sandbox API and {} is a production client (the \
         partner holds no grant on it either): grant the partner the sandbox API and call it \
         with a sandbox client",
        f.client.id
    );
    assert_eq!(v["diagnosis"], why.as_str(), "{v}");

    // The console's "try a token" server function tells the same story.
    let same_origin =
        |r: reqwest::RequestBuilder| r.header("origin", &s.base).header("cookie", &session);
    let r = same_origin(http.post(s.url(path_of("explain_token"))))
        .form(&[
            ("client_id", f.client.id.as_str()),
            ("subject_token", "not-a-jwt"),
            ("subject_token_type", fed::AT),
            ("actor_token", ""),
            ("audience", common::API),
            ("scope", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["allowed"], false);
    assert!(
        v["summary"].as_str().unwrap().contains("not a signed JWT"),
        "{v}"
    );
    let r = same_origin(http.post(s.url(path_of("explain_token"))))
        .form(&[
            ("client_id", f.client.id.as_str()),
            ("subject_token", pt.as_str()),
            ("subject_token_type", fed::AT),
            ("actor_token", ""),
            ("audience", "https://sandbox.payroll.test"),
            ("scope", ""),
        ])
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(
        v["summary"]
            .as_str()
            .unwrap()
            .ends_with(&format!(". Why: {why}")),
        "{v}"
    );
    // A JWKS URL with a forbidden scheme is refused with a sentence, not a 500 (this harness runs
    // with the development setting that allows loopback; production refusals are tested in
    // cli/federation.rs).
    let r = same_origin(http.post(s.url(path_of("add_trusted_issuer"))))
        .form(&[
            ("partner", "acme"),
            ("issuer", "https://idp2.acme.test"),
            ("jwks_uri", "gopher://idp2.acme.test/keys"),
            ("jwks", ""),
            ("access_tokens", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("is not allowed"));
}

/// Explain over the admin API with a bearer token: one Entente issued for the admin API audience
/// with entente:admin works; without the scope it is 403 insufficient_scope, a garbage token 401
/// invalid_token.
async fn explain_takes_admin_api_bearer_tokens(s: &TestServer) {
    use serde_json::json;
    let f = fed::setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let body = json!({"client_id": f.client.id, "grant_type": fed::TX, "subject_token": pt,
                      "subject_token_type": fed::AT, "audience": common::API});
    let http = reqwest::Client::new();
    let url = s.url("/admin/api/v1/exchange/explain");
    // A bearer token Entente issued for the admin API audience with entente:admin works too;
    // without the scope it is 403 insufficient_scope, a garbage token 401 invalid_token.
    let admin_api = format!("{}/admin/api/v1", s.base);
    let a = entente_store::Actor::new("test");
    s.state
        .store
        .create_audience(
            &a,
            entente_store::catalog::NewAudience {
                identifier: admin_api.clone(),
                name: "Admin API".into(),
                scopes: vec!["entente:admin".into(), "entente:read".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.state
        .store
        .set_grant(
            &a,
            "globex",
            &admin_api,
            &entente_domain::ScopeSet::parse("entente:admin entente:read").unwrap(),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let ops = s
        .secret_client("globex", "entente:admin entente:read")
        .await;
    let admin_token = s
        .token(
            &ops,
            &[("resource", &admin_api), ("scope", "entente:admin")],
        )
        .await;
    let reader_token = s
        .token(&ops, &[("resource", &admin_api), ("scope", "entente:read")])
        .await;
    let r = http
        .post(&url)
        .bearer_auth(admin_token["access_token"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(&url)
        .bearer_auth(reader_token["access_token"].as_str().unwrap())
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let r = http
        .post(&url)
        .bearer_auth("not-a-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}
