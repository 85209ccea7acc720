//! Console web security over HTTP (cases F43–F45): every server function is POST-only and refuses
//! cross-site requests; role checks run inside server functions; sign-in sets a hardened cookie
//! with a fresh session id, and sign-out destroys the session server-side.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Backend, TestServer};

fn server_fns() -> Vec<(&'static str, String)> {
    // Registered by the `app` crate's #[server] functions (linked through entente_server).
    let _ = entente_server::console::leptos_options();
    let mut v: Vec<(&'static str, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(p, m)| (p, m.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn every_server_function_is_post() {
    let fns = server_fns();
    assert!(
        fns.len() >= 11,
        "expected the console's server functions, found {fns:?}"
    );
    for (path, method) in &fns {
        assert_eq!(method, "POST", "{path} is not POST-encoded (F44)");
    }
}

async fn cross_site_posts_are_refused(s: &TestServer) {
    let client = reqwest::Client::new();
    for (path, _) in server_fns() {
        let r = client
            .post(s.url(path))
            .header("origin", "https://evil.example")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path} accepted a cross-origin POST (F43)");
        let r = client
            .post(s.url(path))
            .header("sec-fetch-site", "cross-site")
            .header("origin", &s.base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path} accepted a cross-site POST (F43)");
        let r = client
            .post(s.url(path))
            .header("sec-fetch-site", "same-site")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            403,
            "{path} accepted a same-site, cross-origin POST (F43)"
        );
    }
}

fn path_of(name: &str) -> &'static str {
    server_fns()
        .into_iter()
        .map(|(p, _)| p)
        .find(|p| p.trim_start_matches("/api/").starts_with(name))
        .unwrap_or_else(|| panic!("no server fn {name}"))
}

async fn sessions_and_role_checks(s: &TestServer) {
    let hash = app::ssr::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "admin@example.test",
            hash,
            "admin",
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let same_origin = |r: reqwest::RequestBuilder| {
        r.header("origin", &s.base)
            .header("sec-fetch-site", "same-origin")
    };

    // Without a session, a server function refuses to act.
    let r = same_origin(client.post(s.url(path_of("list_partners"))))
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error() || r.status().is_client_error());
    assert!(r.text().await.unwrap().contains("sign in first"));

    // Without JavaScript (a plain form post wanting HTML), the error goes back to the form page.
    let r = same_origin(client.post(s.url(path_of("login"))))
        .header("accept", "text/html")
        .header("referer", s.url("/login"))
        .form(&[
            ("email", "admin@example.test"),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert!(r.headers()["location"].to_str().unwrap().contains("__err="));

    // Wrong password and unknown account read the same.
    let bad = same_origin(client.post(s.url(path_of("login"))))
        .form(&[
            ("email", "admin@example.test"),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let unknown = same_origin(client.post(s.url(path_of("login"))))
        .form(&[
            ("email", "nobody@example.test"),
            ("password", "wrong password!!"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(bad, unknown);

    let r = same_origin(client.post(s.url(path_of("login"))))
        .form(&[
            ("email", "admin@example.test"),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .expect("sign-in sets the session cookie")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("entente_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();

    let r = same_origin(client.post(s.url(path_of("list_partners"))))
        .header("cookie", &session)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // The console page renders for the signed-in administrator, with security headers.
    let r = client
        .get(s.url("/keys"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let html = r.text().await.unwrap();
    assert!(html.contains("Signing keys"));

    // Sign-out destroys the session server-side: the old cookie no longer works.
    let _ = same_origin(client.post(s.url(path_of("logout"))))
        .header("cookie", &session)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    let r = same_origin(client.post(s.url(path_of("list_partners"))))
        .header("cookie", &session)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("sign in first"));
}

/// The first-administrator link: valid once, within its hour; the account it creates can sign in.
async fn first_administrator_link_works_once(s: &TestServer) {
    let token = entente_domain::secret::random_token(32);
    s.state
        .store
        .create_invite(
            s.state.hasher.hash(&token),
            "admin",
            entente_server::state::now() + 3600,
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let page = client
        .get(s.url(&format!("/setup?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Create the first administrator"));
    let form = [
        ("token", token.as_str()),
        ("email", "first@example.test"),
        ("password", "a long enough password"),
    ];
    let r = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(
        r.headers().get("set-cookie").is_some(),
        "the new administrator is signed in"
    );
    let again = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", token.as_str()),
            ("email", "second@example.test"),
            ("password", "a long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "the link is single-use");
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("invalid, used or expired")
    );
    let short = client
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", "x"),
            ("email", "x@example.test"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 400);
    assert_eq!(s.state.store.count_admins().await.unwrap(), 1);
}

/// F48: sign-in is throttled per account (5 a minute), and unknown accounts alike.
async fn sign_in_is_throttled(s: &TestServer) {
    let client = reqwest::Client::new();
    for email in ["admin@example.test", "nobody@example.test"] {
        let mut statuses = vec![];
        for _ in 0..6 {
            let form = [("email", email), ("password", "wrong password!!")];
            let r = client
                .post(s.url(path_of("login")))
                .header("origin", &s.base)
                .form(&form)
                .send()
                .await
                .unwrap();
            statuses.push(r.status().as_u16());
        }
        assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "{email}");
    }
}

#[allow(dead_code, unused_imports)]
mod fed;

async fn signed_in(s: &TestServer) -> String {
    let hash = app::ssr::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "admin@example.test",
            hash,
            "admin",
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
    // A JWKS URL with a forbidden scheme is refused with a sentence, not a 500 (this harness runs
    // with the development setting that allows loopback; production refusals are in tests/cli.rs).
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

on_both!(
    cross_site_posts_are_refused,
    sessions_and_role_checks,
    first_administrator_link_works_once,
    sign_in_is_throttled,
    explain_and_trust_rules_over_http
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404() {
    let s = TestServer::start(Backend::Sqlite).await;
    let r = reqwest::get(s.url("/no/such/page")).await.unwrap();
    assert_eq!(r.status(), 404);
    s.stop().await;
}
