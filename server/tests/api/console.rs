//! Console web security over HTTP (cases F43–F45): every server function is POST-only and refuses
//! cross-site requests; role checks run inside server functions; sign-in sets a hardened cookie
//! with a fresh session id, and sign-out destroys the session server-side.

use crate::common::{self, Backend, TestServer};

pub(crate) fn server_fns() -> Vec<(&'static str, String)> {
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

async fn sessions_and_role_checks(s: &TestServer) {
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
            entente_store::enums::Role::Admin,
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
    assert!(page.contains("Create your account"));
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

use crate::fed;

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

async fn sign_in_as_admin(s: &TestServer, origin: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut r = reqwest::Client::new()
        .post(s.url(path_of("login")))
        .header("origin", origin)
        .form(&[
            ("email", "admin@example.test"),
            ("password", "correct horse battery staple"),
        ]);
    if let Some(c) = cookie {
        r = r.header("cookie", c);
    }
    r.send().await.unwrap()
}

async fn signed_in_as(s: &TestServer, origin: &str, session: &str) -> bool {
    let r = reqwest::Client::new()
        .post(s.url(path_of("list_partners")))
        .header("origin", origin)
        .header("cookie", session)
        .form(&[("", "")])
        .send()
        .await
        .unwrap();
    r.status() == 200
}

/// Issue 7, defect 6: every console page carries a CSP whose per-response nonce is the one on
/// Leptos' scripts (no `unsafe-inline` for scripts), `frame-ancestors`, `base-uri` and
/// `object-src` locked; no HSTS over plain http.
async fn console_pages_carry_a_nonce_csp(s: &TestServer) {
    let mut nonces = vec![];
    for path in ["/login", "/no-such-page"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert!(r.headers().get("strict-transport-security").is_none());
        let csp = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        let html = r.text().await.unwrap();
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap()
            .to_owned();
        assert!(!script_src.contains("unsafe-inline"), "{csp}");
        for d in [
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ] {
            assert!(csp.contains(d), "{csp} lacks {d}");
        }
        let nonce = script_src
            .split_whitespace()
            .find_map(|t| t.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap()
            .to_owned();
        assert!(nonce.len() >= 22, "128 bits at least: {nonce}");
        let scripts = html.matches("<script").count();
        assert!(scripts > 0, "{path} renders Leptos' scripts");
        assert_eq!(
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            html.matches("nonce=\"").count(),
            "{path}: every nonce in the page is the header's"
        );
        assert!(
            html.matches(&format!("<script type=\"module\" nonce=\"{nonce}\""))
                .count()
                + html.matches(&format!("<script nonce=\"{nonce}\"")).count()
                >= 1,
            "{path}: {html}"
        );
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a new nonce per response");
}

/// Issue 7, defect 6: over https the cookie is `__Host-` and `Secure` and HSTS is sent; a new
/// session id at sign-in (the old one dies); 2 h idle expiry on cookie and record; 12 h absolute.
async fn session_cookie_and_timeouts(backend: Backend) {
    let db = common::TestDb::new(backend).await;
    let s = TestServer::start_with(
        db,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| {
            c.issuer = c.issuer.replace("http://", "https://");
        },
    )
    .await;
    let origin = s.base.replace("http://", "https://");
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
    for path in ["/login", "/.well-known/oauth-authorization-server"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=63072000",
            "{path}"
        );
    }
    let r = sign_in_as_admin(&s, &origin, None).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-entente="), "{cookie}");
    for attr in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=7200",
    ] {
        assert!(cookie.contains(attr), "{cookie} lacks {attr}");
    }
    assert!(!cookie.to_ascii_lowercase().contains("domain="), "{cookie}");
    let first = cookie.split(';').next().unwrap().to_owned();
    assert!(signed_in_as(&s, &origin, &first).await);

    // Signing in again with that cookie yields a new id; the old one is gone (no fixation).
    let r = sign_in_as_admin(&s, &origin, Some(&first)).await;
    let second = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert!(!signed_in_as(&s, &origin, &first).await);
    assert!(signed_in_as(&s, &origin, &second).await);

    // The record expires after 2 h of inactivity.
    let id = second.split_once('=').unwrap().1.to_owned();
    let now = entente_server::state::now();
    let data = s.state.store.session_load(&id, now).await.unwrap().unwrap();
    let expiry = {
        use sea_orm::EntityTrait;
        entente_store::entities::session::Entity::find_by_id(id.clone())
            .one(s.state.store.db())
            .await
            .unwrap()
            .unwrap()
            .expires_at
    };
    assert!(
        (expiry - (now + 7200)).abs() <= 5,
        "expires at {expiry}, now {now}"
    );
    s.state
        .store
        .session_save(&id, data.clone(), now - 1)
        .await
        .unwrap();
    assert!(!signed_in_as(&s, &origin, &second).await, "idle-expired");

    // 12 h after sign-in the session ends, however active.
    let r = sign_in_as_admin(&s, &origin, None).await;
    let third = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let id = third.split_once('=').unwrap().1.to_owned();
    let data = s.state.store.session_load(&id, now).await.unwrap().unwrap();
    let mut record: serde_json::Value = serde_json::from_str(&data).unwrap();
    let login_at = record["data"]["login_at"].as_i64().unwrap();
    assert!((login_at - now).abs() <= 5);
    record["data"]["login_at"] = serde_json::json!(now - 12 * 3600 - 1);
    s.state
        .store
        .session_save(&id, record.to_string(), now + 3600)
        .await
        .unwrap();
    assert!(!signed_in_as(&s, &origin, &third).await, "absolute timeout");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_and_timeouts_sqlite() {
    session_cookie_and_timeouts(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_and_timeouts_postgres() {
    session_cookie_and_timeouts(Backend::Postgres).await;
}

on_both!(console_pages_carry_a_nonce_csp);

/// Issue 7, defect 8: role checks with more than one role. A signed-in account whose role is
/// not `admin` is refused by every admin server function and by the admin API (403), while the
/// same request as an administrator succeeds.
async fn other_roles_are_refused(s: &TestServer) {
    let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
    for (email, role) in [
        ("admin@example.test", entente_store::enums::Role::Admin),
        ("auditor@example.test", entente_store::enums::Role::Auditor),
    ] {
        s.state
            .store
            .create_admin(
                &entente_store::Actor::new("test"),
                email,
                hash.clone(),
                role,
                entente_server::state::now(),
            )
            .await
            .unwrap();
    }
    let session_of = |email: &'static str| async move {
        let r = reqwest::Client::new()
            .post(s.url(path_of("login")))
            .header("origin", &s.base)
            .form(&[
                ("email", email),
                ("password", "correct horse battery staple"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    };
    let admin = session_of("admin@example.test").await;
    let auditor = session_of("auditor@example.test").await;
    let create = |session: String, slug: &'static str| async move {
        reqwest::Client::new()
            .post(s.url(path_of("create_partner")))
            .header("origin", &s.base)
            .header("cookie", session)
            .form(&[("slug", slug), ("name", "Initech"), ("stage", "sandbox")])
            .send()
            .await
            .unwrap()
    };
    let r = create(auditor.clone(), "initech").await;
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap());
    assert!(s.state.store.partner_by_slug("initech").await.is_err());
    let r = create(admin.clone(), "initech").await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let explain = |session: String| async move {
        reqwest::Client::new()
            .post(s.url("/admin/api/v1/exchange/explain"))
            .header("cookie", session)
            .json(&serde_json::json!({"client_id": "cl_x", "grant_type": "client_credentials"}))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(explain(auditor).await, 403);
    assert_eq!(explain(admin).await, 200);
}

on_both!(other_roles_are_refused);

/// Malformed arguments to a server function are a 400, never a 500.
async fn malformed_server_function_arguments_are_400(s: &TestServer) {
    for name in ["create_partner", "set_rule_enabled", "create_audience"] {
        let r = reqwest::Client::new()
            .post(s.url(path_of(name)))
            .header("origin", &s.base)
            .form(&[("token_lifetime", "not a number")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{name}");
    }
}

on_both!(malformed_server_function_arguments_are_400);

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

/// Review L-5: wrong passwords from one address use up that address's budget for the account,
/// not the account's: its owner signs in from another address meanwhile.
async fn a_guesser_does_not_lock_the_owner_out(backend: Backend) {
    let s = TestServer::start_with(
        common::TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| {
            c.trusted_proxies =
                entente_domain::forwarded::parse_proxies("127.0.0.1/32, ::1/128").unwrap();
        },
    )
    .await;
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
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
    let server = &s;
    let attempt = move |from: &'static str, password: &'static str| async move {
        reqwest::Client::new()
            .post(server.url(path_of("login")))
            .header("origin", &server.base)
            .header("x-forwarded-for", from)
            .form(&[("email", "admin@example.test"), ("password", password)])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let mut statuses = vec![];
    for _ in 0..6 {
        statuses.push(attempt("203.0.113.7", "wrong password!!").await);
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "the guesser");
    assert_eq!(
        attempt("198.51.100.9", PASSWORD).await,
        200,
        "the owner, from elsewhere"
    );
    assert_eq!(
        attempt("203.0.113.7", PASSWORD).await,
        429,
        "the guesser's address stays refused for the account"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_does_not_lock_the_owner_out_sqlite() {
    a_guesser_does_not_lock_the_owner_out(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guesser_does_not_lock_the_owner_out_postgres() {
    a_guesser_does_not_lock_the_owner_out(Backend::Postgres).await;
}

/// The session cookie's value a response sets, if any.
fn set_session_cookie(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| !c.ends_with('='))
}

/// F45: when a user's role changes, their session gets a new id at their next request (as at
/// sign-in); the old id no longer signs anyone in. Requests with an unchanged role keep it.
async fn a_role_change_renews_the_session_id(s: &TestServer) {
    use entente_store::enums::Role;
    let first = session(s, "rita@example.test", Role::Auditor).await;
    let list = move |cookie: String| async move {
        reqwest::Client::new()
            .post(s.url(path_of("list_partners")))
            .header("origin", &s.base)
            .header("cookie", cookie)
            .form(&[("", "")])
            .send()
            .await
            .unwrap()
    };
    let r = list(first.clone()).await;
    assert_eq!(r.status(), 200);
    assert!(
        set_session_cookie(&r).is_none_or(|c| c == first),
        "the same role keeps the id"
    );
    s.state
        .store
        .set_admin_access(
            &entente_store::Actor::new("test"),
            "someone-else",
            "rita@example.test",
            Role::Operator,
            true,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let r = list(first.clone()).await;
    assert_eq!(r.status(), 200, "the role is read per request");
    let second = set_session_cookie(&r).expect("a new session cookie");
    assert_ne!(second, first, "a new session id");
    assert!(
        !signed_in_as(s, &s.base, &first).await,
        "the old id is gone"
    );
    assert!(signed_in_as(s, &s.base, &second).await);
    let r = list(second.clone()).await;
    assert!(set_session_cookie(&r).is_none_or(|c| c == second));
}

on_both!(a_role_change_renews_the_session_id);
