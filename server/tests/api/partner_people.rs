//! A partner's own people through the admin API and the CLI, on SQLite and PostgreSQL:
//! invitation links shown once and usable by their address only, withdrawn invitations that stop
//! working, a user's role and access changed (their session stops at once), and the partner's
//! single-sign-on settings read without their secret.

use entente_store::Actor;
use entente_store::enums::Role;
use serde_json::{Value, json};

use crate::common::TestServer;
use crate::console::call;
use crate::portal::{partner_session, two_partners};

crate::on_both!(administrators_manage_a_partners_people);

const PASSWORD: &str = "correct horse battery staple";

async fn administrators_manage_a_partners_people(s: &TestServer) {
    two_partners(s).await;
    let (admin, operator, auditor, _) = crate::admin_api::api_tokens(s).await;
    let http = reqwest::Client::new();
    let send = |method: reqwest::Method, path: String, token: String, body: Option<Value>| {
        let http = http.clone();
        async move {
            let mut r = http
                .request(method, s.url(&format!("/admin/api/v1{path}")))
                .bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            let r = r.send().await.unwrap();
            let status = r.status().as_u16();
            let text = r.text().await.unwrap();
            (
                status,
                serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text)),
            )
        }
    };
    use reqwest::Method;
    let invite = |token: String, body: Value| {
        send(
            Method::POST,
            "/partners/acme/invitations".into(),
            token,
            Some(body),
        )
    };

    // Auditors read, operators invite; a console role or a bad address is refused.
    let (code, _) = invite(auditor.clone(), json!({"email": "vic@acme.test"})).await;
    assert_eq!(code, 403);
    for (bad, status) in [
        (json!({"email": "vic@acme.test", "role": "admin"}), 400),
        (json!({"email": "not-an-address"}), 400),
        (json!({"email": "vic@acme.test", "extra": 1}), 422),
    ] {
        let (code, body) = invite(operator.clone(), bad.clone()).await;
        assert_eq!(code, status, "{bad}: {body}");
    }
    let (code, body) = send(
        Method::POST,
        "/partners/nobody/invitations".into(),
        operator.clone(),
        Some(json!({"email": "x@nobody.test"})),
    )
    .await;
    assert_eq!(code, 404, "{body}");
    let (code, created) = invite(
        operator.clone(),
        json!({"email": "Vic@Acme.test", "role": "partner_viewer"}),
    )
    .await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["email"], "vic@acme.test");
    let link = created["link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/setup?token=", s.base)),
        "{link}"
    );
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let (code, _) = invite(operator.clone(), json!({"email": "gone@acme.test"})).await;
    assert_eq!(code, 201);

    let (code, people) = send(
        Method::GET,
        "/partners/acme/users".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{people}");
    let invited: Vec<&str> = people["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["email"].as_str().unwrap())
        .collect();
    assert_eq!(invited.len(), 2, "{people}");
    assert!(
        !people.to_string().contains(&token),
        "the link is shown once"
    );
    // Another partner's list does not carry them.
    let (_, theirs) = send(
        Method::GET,
        "/partners/globex/users".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert!(!theirs.to_string().contains("acme.test"), "{theirs}");

    // Withdrawn: the link stops working; withdrawing again is not found.
    let withdraw = |email: &'static str, token: String| {
        send(
            Method::DELETE,
            format!("/partners/acme/invitations/{email}"),
            token,
            None,
        )
    };
    assert_eq!(withdraw("gone@acme.test", auditor.clone()).await.0, 403);
    assert_eq!(withdraw("gone@acme.test", operator.clone()).await.0, 204);
    assert_eq!(withdraw("gone@acme.test", operator.clone()).await.0, 404);
    let (_, people) = send(
        Method::GET,
        "/partners/acme/users".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(
        people["invitations"].as_array().unwrap().len(),
        1,
        "{people}"
    );

    // Another partner's invitation is not acme's to withdraw (G50): 404, and it stays.
    let (code, _) = send(
        Method::POST,
        "/partners/globex/invitations".into(),
        operator.clone(),
        Some(json!({"email": "gina@globex.test"})),
    )
    .await;
    assert_eq!(code, 201);
    let (code, _) = send(
        Method::DELETE,
        "/partners/acme/invitations/gina@globex.test".into(),
        operator.clone(),
        None,
    )
    .await;
    assert_eq!(code, 404);
    let (_, theirs) = send(
        Method::GET,
        "/partners/globex/users".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert!(theirs.to_string().contains("gina@globex.test"), "{theirs}");

    // The link works for its address.
    let (code, answer) = call(
        s,
        "",
        "setup_admin",
        &[
            ("token", &token),
            ("email", "vic@acme.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let vic = crate::console::sign_in(s, "vic@acme.test", PASSWORD).await;
    assert_eq!(call(s, &vic, "portal_overview", &[]).await.0, 200);

    // Role and access: a disabled user's session stops at once; the last partner admin stays.
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let put = |email: &'static str, body: Value, token: String| {
        send(
            Method::PUT,
            format!("/partners/acme/users/{email}"),
            token,
            Some(body),
        )
    };
    let (code, body) = put(
        "pat@acme.test",
        json!({"role": "partner_viewer", "enabled": true}),
        admin.clone(),
    )
    .await;
    assert_eq!(code, 400, "the last partner admin: {body}");
    let (code, body) = put(
        "vic@acme.test",
        json!({"role": "partner_viewer", "enabled": false}),
        operator.clone(),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["enabled"], false);
    assert_ne!(call(s, &vic, "portal_overview", &[]).await.0, 200);
    assert_eq!(call(s, &pat, "portal_overview", &[]).await.0, 200);
    let (code, _) = put(
        "gil@globex.test",
        json!({"role": "partner_viewer", "enabled": false}),
        operator.clone(),
    )
    .await;
    assert_eq!(code, 404, "another partner's user is not acme's");
    let (code, _) = put(
        "vic@acme.test",
        json!({"role": "auditor", "enabled": true}),
        operator.clone(),
    )
    .await;
    assert_eq!(code, 400);

    // Single sign-on: none yet, then what the partner set, never its secret.
    let (code, _) = send(
        Method::GET,
        "/partners/acme/sign-in".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(code, 404);
    let p = s.state.store.partner_by_slug("acme").await.unwrap();
    s.state
        .store
        .set_partner_sign_in(
            &Actor::new("portal:pat@acme.test"),
            &p,
            entente_store::sign_in::SignInSettings {
                issuer: "https://login.acme.test".into(),
                client_id: "entente-portal".into(),
                client_secret_sealed: Some(b"sealed-secret-bytes".to_vec()),
                join_role: Some(Role::PartnerViewer),
                domains: vec!["acme.test".into()],
                enabled: true,
            },
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let (code, sso) = send(
        Method::GET,
        "/partners/acme/sign-in".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(code, 200, "{sso}");
    assert_eq!(sso["issuer"], "https://login.acme.test");
    assert_eq!(sso["join_domains"], json!(["acme.test"]));
    assert_eq!(sso["join_role"], "partner_viewer");
    assert!(!sso.to_string().contains("secret"), "{sso}");

    // The console's partner page shows the same, to an auditor too.
    let aud = crate::console::session(s, "aud@entente.test", Role::Auditor).await;
    let (code, team) = call(s, &aud, "partner_team", &[("partner", "acme")]).await;
    assert_eq!(code, 200, "{team}");
    assert_eq!(
        team["sign_in"]["issuer"], "https://login.acme.test",
        "{team}"
    );
    assert!(!team.to_string().contains("sealed"), "{team}");

    // The CLI shows the same.
    let out = tokio::task::block_in_place(|| {
        crate::cli::entente(s, &["partner", "users", "--partner", "acme"])
    });
    assert_eq!(out["users"].as_array().unwrap().len(), 2, "{out}");
    let out = tokio::task::block_in_place(|| {
        crate::cli::entente(s, &["partner", "sign-in", "--partner", "acme"])
    });
    assert_eq!(out["issuer"], "https://login.acme.test", "{out}");
    assert!(!out.to_string().contains("secret"), "{out}");
}
