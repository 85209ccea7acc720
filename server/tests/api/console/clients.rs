//! Issue 24, item 4: a client's page in the console, over real HTTP on SQLite and PostgreSQL.
//! Created with token exchange from the console, then edited (scopes and grant types), rotated
//! with an overlap, and disabled — each change through the operations layer, audited, and
//! felt by the token endpoint; what an auditor or a mistyped scope list may not do, refused
//! with nothing written.

use entente_store::enums::Role;

use crate::common::{API, Creds, TestServer, assert_oauth_error};
use crate::console::{call, session};

crate::on_both!(a_client_is_managed_from_its_console_page);

async fn token(s: &TestServer, creds: &Creds) -> reqwest::Response {
    s.post_form(
        "/oauth2/token",
        Some(creds),
        &[
            ("grant_type", "client_credentials"),
            ("resource", API),
            ("scope", "orders:read"),
        ],
    )
    .await
}

async fn a_client_is_managed_from_its_console_page(s: &TestServer) {
    s.seed().await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let audrey = session(s, "audrey@example.test", Role::Auditor).await;

    // The new-client form gives grant types; the answer is what the secret dialog shows.
    let (code, created) = call(
        s,
        &olga,
        "create_client",
        &[
            ("partner", "acme"),
            ("name", "gateway"),
            ("scopes", "orders:read"),
            ("token_exchange", "on"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{created}");
    assert_eq!(created["client_name"], "gateway");
    assert_eq!(
        created["token_endpoint"],
        format!("{}/oauth2/token", s.base)
    );
    let id = created["client_id"].as_str().unwrap().to_owned();
    let first = Creds {
        id: id.clone(),
        secret: created["client_secret"].as_str().unwrap().into(),
    };
    let stored = s.state.store.client(&id).await.unwrap();
    assert_eq!(
        stored.grant_types,
        "client_credentials urn:ietf:params:oauth:grant-type:token-exchange"
    );
    s.refresh().await;
    assert_eq!(token(s, &first).await.status(), 200);

    // Anyone on the staff reads the page; it names what the partner holds and the history.
    let (code, page) = call(
        s,
        &audrey,
        "client_detail",
        &[("partner", "acme"), ("client_id", &id)],
    )
    .await;
    assert_eq!(code, 200, "{page}");
    assert_eq!(page["granted"], serde_json::json!(["orders:read"]));
    assert_eq!(page["environment"], "production");
    assert_eq!(page["events"][0]["action"], "client.create");
    assert!(
        !page.to_string().contains(&first.secret),
        "the page never holds the secret"
    );
    // Under another partner's address it does not exist.
    let (code, _) = call(
        s,
        &audrey,
        "client_detail",
        &[("partner", "globex"), ("client_id", &id)],
    )
    .await;
    assert_eq!(code, 404);

    // Refused with nothing written: an auditor, a comma-separated list, no grant type.
    let edit = |scopes: &'static str, ticks: &[&'static str]| {
        let mut f = vec![("client_id", id.clone()), ("scopes", scopes.to_owned())];
        f.extend(ticks.iter().map(|t| (*t, "on".to_owned())));
        f
    };
    let send = |who: String, form: Vec<(&'static str, String)>| async move {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        call(s, &who, "console_update_client", &form).await
    };
    let (code, _) = send(audrey.clone(), edit("orders:read", &["client_credentials"])).await;
    assert_eq!(code, 403);
    let (code, refused) = send(
        olga.clone(),
        edit("orders:read, orders:write", &["client_credentials"]),
    )
    .await;
    assert_eq!(code, 400, "{refused}");
    assert!(refused.to_string().contains("commas"), "{refused}");
    let (code, refused) = send(olga.clone(), edit("orders:read", &[])).await;
    assert_eq!(code, 400, "{refused}");
    assert!(refused.to_string().contains("grant type"), "{refused}");
    let unchanged = s.state.store.client(&id).await.unwrap();
    assert_eq!(unchanged, stored);

    // Token exchange only: the token endpoint stops giving it client-credentials tokens.
    let (code, saved) = send(
        olga.clone(),
        edit("orders:read orders:write", &["token_exchange"]),
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    s.refresh().await;
    assert_oauth_error(token(s, &first).await, 400, "unauthorized_client").await;
    let (_, page) = call(
        s,
        &olga,
        "client_detail",
        &[("partner", "acme"), ("client_id", &id)],
    )
    .await;
    assert_eq!(page["events"][0]["action"], "client.update");
    let line = page["events"][0]["change"].as_str().unwrap();
    assert!(
        line.contains("scopes orders:read → orders:read orders:write"),
        "{line}"
    );
    assert!(line.contains("grant_types client_credentials"), "{line}");
    let (code, saved) = send(olga.clone(), edit("orders:read", &["client_credentials"])).await;
    assert_eq!(code, 200, "{saved}");
    s.refresh().await;
    assert_eq!(token(s, &first).await.status(), 200);

    // A rotation with no overlap: the new secret works, the old one at once no longer.
    let (code, rotated) = call(
        s,
        &olga,
        "console_rotate_secret",
        &[("client_id", &id), ("overlap", "0")],
    )
    .await;
    assert_eq!(code, 200, "{rotated}");
    assert_eq!(rotated["client_name"], "gateway");
    let second = Creds {
        id: id.clone(),
        secret: rotated["client_secret"].as_str().unwrap().into(),
    };
    s.refresh().await;
    assert_oauth_error(token(s, &first).await, 401, "invalid_client").await;
    assert_eq!(token(s, &second).await.status(), 200);
    let (code, _) = call(
        s,
        &olga,
        "console_rotate_secret",
        &[("client_id", &id), ("overlap", "99999999")],
    )
    .await;
    assert_eq!(code, 400, "an overlap beyond 30 days");

    // Disabled: no more tokens; the audit trail has it all.
    let (code, said) = call(
        s,
        &olga,
        "console_set_client_enabled",
        &[("client_id", &id), ("enabled", "false")],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    s.refresh().await;
    assert_oauth_error(token(s, &second).await, 401, "invalid_client").await;
    let (_, page) = call(
        s,
        &audrey,
        "client_detail",
        &[("partner", "acme"), ("client_id", &id)],
    )
    .await;
    assert_eq!(page["enabled"], false);
    let actions: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "client.disable",
            "client.rotate_secret",
            "client.update",
            "client.update",
            "client.create"
        ]
    );
}
