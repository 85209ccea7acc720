//! Role checks inside the console's server functions: sessions and the checks each function
//! makes, and every role but `admin` refused by admin functions and the admin API.

use super::*;

on_both!(sessions_and_role_checks, other_roles_are_refused);

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
