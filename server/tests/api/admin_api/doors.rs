//! The admin API as one of three doors: the console, the API and the CLI reach the same results,
//! and nobody inside can grant themselves the admin API.

use super::*;

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
