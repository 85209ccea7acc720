//! Who may do what from the console: console users and their roles, grants (applied at once or
//! filed for approval), and the scope matrix.

use super::*;

/// Administrators manage console users: roles and access take effect on the user's next request;
/// nobody changes their own account; the last administrator stays one; invitations carry a role.
async fn console_users_and_roles(s: &TestServer) {
    let alice = session(s, "alice@example.test", Role::Admin).await;
    let bob = session(s, "bob@example.test", Role::Admin).await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let access = |email: &'static str, role: &'static str, enabled: &'static str| {
        [("email", email), ("role", role), ("enabled", enabled)]
    };

    let (code, page) = call(
        s,
        &olga,
        "list_console_users",
        &[("filter", ""), ("offset", "0")],
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(page["can_manage"], false);
    assert_eq!(page["users"].as_array().unwrap().len(), 3);
    assert_eq!(page["total"], 3);
    // Filtered on the server, by part of an address or by role.
    let (_, page) = call(
        s,
        &olga,
        "list_console_users",
        &[("filter", "OLGA@"), ("offset", "0")],
    )
    .await;
    assert_eq!(page["total"], 1, "{page}");
    let (_, page) = call(
        s,
        &olga,
        "list_console_users",
        &[("filter", "operator"), ("offset", "0")],
    )
    .await;
    assert_eq!(page["users"][0]["email"], "olga@example.test", "{page}");
    let (_, page) = call(
        s,
        &olga,
        "list_console_users",
        &[("filter", ""), ("offset", "2")],
    )
    .await;
    assert_eq!(
        page["users"].as_array().unwrap().len(),
        1,
        "the last page: {page}"
    );
    let (code, _) = call(
        s,
        &olga,
        "set_user_access",
        &access("bob@example.test", "auditor", "true"),
    )
    .await;
    assert_eq!(code, 403);
    let (code, answer) = call(
        s,
        &alice,
        "set_user_access",
        &access("alice@example.test", "operator", "true"),
    )
    .await;
    assert_eq!(code, 400, "{answer}");

    // Bob becomes an auditor: his open session loses the operator's rights at once.
    let (code, _) = call(
        s,
        &alice,
        "set_user_access",
        &access("bob@example.test", "auditor", "true"),
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = call(
        s,
        &bob,
        "create_partner",
        &[("slug", "hooli"), ("name", "Hooli"), ("stage", "applied")],
    )
    .await;
    assert_eq!(code, 403);
    // Olga is disabled: her session stops working.
    let (code, _) = call(
        s,
        &alice,
        "set_user_access",
        &access("olga@example.test", "operator", "false"),
    )
    .await;
    assert_eq!(code, 200);
    let (code, _) = call(s, &olga, "list_partners", &[("", "")]).await;
    assert_eq!(code, 401);

    // The last enabled administrator cannot be demoted, even by a path without a session.
    let alice_id = s
        .state
        .store
        .admin_by_email("alice@example.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    let err = s
        .state
        .store
        .set_admin_access(
            &entente_store::Actor::new("cli:root"),
            "cli",
            "alice@example.test",
            Role::Operator,
            true,
            entente_server::state::now(),
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("last enabled administrator"),
        "{err}"
    );
    assert_ne!(alice_id, "cli");

    // An invitation with a role: the link creates an auditor, once.
    let (code, link) = call(
        s,
        &alice,
        "invite_console_user",
        &[("role", "auditor"), ("email", "newbie@example.test")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    let link = link.as_str().unwrap().to_owned();
    let token = link.split("token=").nth(1).unwrap().to_owned();
    let accept = || async {
        reqwest::Client::new()
            .post(s.url(path_of("setup_admin")))
            .header("origin", &s.base)
            .form(&[
                ("token", token.as_str()),
                ("email", "newbie@example.test"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert!(accept().await < 400);
    assert!(accept().await >= 400, "an invitation works once");
    let newbie = s
        .state
        .store
        .admin_by_email("newbie@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(newbie.role, Role::Auditor);
    let events = s.state.store.recent_audit_events(50).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "admin.invite" && !e.details.contains(&token))
    );
    assert!(
        events
            .iter()
            .any(|e| e.action == "admin.access" && e.target == "admin:bob@example.test")
    );
}

on_both!(console_users_and_roles);

/// Issue 24 item 9: a console invitation's link says which role and who invited, for one
/// address; pending invitations are listed on Users, and an administrator revokes one (audited)
/// so its link stops working. An operator can do neither.
async fn console_invitations_are_listed_and_revocable(s: &TestServer) {
    let alice = session(s, "alice@example.test", Role::Admin).await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let (code, link) = call(
        s,
        &alice,
        "invite_console_user",
        &[("role", "operator"), ("email", "Nina@Example.test")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    let token = link
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let (code, offer) = call(s, "", "invitation", &[("token", token.as_str())]).await;
    assert_eq!(code, 200);
    assert_eq!(offer["email"], "nina@example.test", "{offer}");
    assert_eq!(
        offer["organisation"],
        Value::Null,
        "the console, not a partner"
    );
    assert_eq!(offer["invited_by"], "alice@example.test");
    assert_eq!(offer["role"], "operator — day-to-day changes");
    let (_, unknown) = call(s, "", "invitation", &[("token", "no-such-token")]).await;
    assert!(unknown.is_null());
    // The page shows the address read-only; the server refuses any other all the same.
    let other = reqwest::Client::new()
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", token.as_str()),
            ("email", "mallory@example.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 400);
    let (_, still) = call(s, "", "invitation", &[("token", token.as_str())]).await;
    assert_eq!(
        still["email"], "nina@example.test",
        "the link still works for nina"
    );

    let listed = |who: String| async move {
        let (code, page) = call(
            s,
            &who,
            "list_console_users",
            &[("filter", ""), ("offset", "0")],
        )
        .await;
        assert_eq!(code, 200, "{page}");
        page["invitations"].clone()
    };
    let pending = listed(olga.clone()).await;
    assert_eq!(pending.as_array().unwrap().len(), 1, "{pending}");
    assert_eq!(pending[0]["email"], "nina@example.test");
    assert_eq!(pending[0]["role"], "operator");

    let revoke = [("email", "nina@example.test")];
    let (code, _) = call(s, &olga, "revoke_console_invite", &revoke).await;
    assert_eq!(code, 403, "operators do not manage console users");
    let (code, said) = call(s, &alice, "revoke_console_invite", &revoke).await;
    assert_eq!(code, 200, "{said}");
    let (_, offer) = call(s, "", "invitation", &[("token", token.as_str())]).await;
    assert!(offer.is_null(), "the link stops working: {offer}");
    let accept = reqwest::Client::new()
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[
            ("token", token.as_str()),
            ("email", "nina@example.test"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(accept.status(), 400, "nor can it be accepted");
    assert_eq!(listed(alice.clone()).await, serde_json::json!([]));
    let (code, _) = call(s, &alice, "revoke_console_invite", &revoke).await;
    assert_eq!(code, 404, "nothing left to revoke");
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "admin.invite_revoke"
        && e.target == "admin:nina@example.test"
        && e.actor.contains("alice@example.test")));
}

on_both!(console_invitations_are_listed_and_revocable);

/// Grants from the console: a sandbox partner's apply at once; widening a production partner's
/// is a change request (narrowing is not); scopes the audience lacks are refused.
async fn grants_from_the_console(s: &TestServer) {
    use entente_domain::lifecycle::Stage;
    s.seed().await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let set = |partner: &'static str, scopes: &'static str| {
        [
            ("partner", partner),
            ("audience", crate::common::API),
            ("scopes", scopes),
            ("reason", "pilot"),
        ]
    };
    let granted = |slug: &'static str, who: String| async move {
        let (code, rows) = call(s, &who, "partner_grants", &[("partner", slug)]).await;
        assert_eq!(code, 200, "{rows}");
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["audience"] == crate::common::API)
            .unwrap()["granted"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    s.state
        .store
        .set_partner_stage(
            &entente_store::Actor::new("test"),
            "globex",
            Stage::Sandbox,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let (code, answer) = call(
        s,
        &olga,
        "set_partner_grant",
        &set("globex", "orders:read orders:write"),
    )
    .await;
    assert_eq!((code, answer.as_str()), (200, Some("Saved.")));
    assert_eq!(
        granted("globex", olga.clone()).await,
        "orders:read orders:write"
    );
    // acme is in production with orders:read: widening is a request, the grant stays.
    let (code, answer) = call(
        s,
        &olga,
        "set_partner_grant",
        &set("acme", "orders:read orders:write"),
    )
    .await;
    assert_eq!(code, 200);
    assert!(
        answer.as_str().unwrap().starts_with("Change request #"),
        "{answer}"
    );
    assert_eq!(granted("acme", olga.clone()).await, "orders:read");
    let (code, _) = call(s, &olga, "set_partner_grant", &set("acme", "")).await;
    assert_eq!(code, 200);
    assert_eq!(granted("acme", olga.clone()).await, "");
    let (code, answer) = call(s, &olga, "set_partner_grant", &set("acme", "bill:read")).await;
    assert_eq!(code, 400, "{answer}");
}

on_both!(grants_from_the_console);

/// The scope matrix: cells say granted / requested / not granted and whether a rule covers
/// them; a change set applies at once for a sandbox partner and files one request for a
/// production partner whose access it widens; auditors read, never edit; paging is server-side.
async fn the_scope_matrix(s: &TestServer) {
    use entente_domain::lifecycle::Stage;
    let fed = crate::fed::setup(s).await; // acme: production, granted orders:read orders:write, a rule on API
    let _ = fed;
    let store = &s.state.store;
    let test = entente_store::Actor::new("test");
    store
        .set_partner_stage(
            &test,
            "globex",
            Stage::Sandbox,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    store
        .set_scope_info(
            &test,
            crate::common::API,
            "orders:write",
            "Create and change orders",
            "high",
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let aud = session(s, "aud@example.test", Role::Auditor).await;
    let matrix = |who: String, sensitivity: &'static str, stage: &'static str| async move {
        let (code, page) = call(
            s,
            &who,
            "scope_matrix",
            &[
                ("audience", ""),
                ("sensitivity", sensitivity),
                ("stage", stage),
                ("search", ""),
                ("offset", "0"),
            ],
        )
        .await;
        assert_eq!(code, 200, "{page}");
        page
    };
    let page = matrix(aud.clone(), "", "").await;
    assert_eq!(page["can_edit"], false);
    assert_eq!(page["total"], 2);
    let cols: Vec<String> = page["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["audience"].as_str().unwrap(),
                c["scope"].as_str().unwrap()
            )
        })
        .collect();
    let col = |aud: &str, scope: &str| {
        cols.iter()
            .position(|c| c == &format!("{aud} {scope}"))
            .unwrap()
    };
    let write = col(crate::common::API, "orders:write");
    let bill = col(crate::common::OTHER_API, "bill:read");
    let acme = &page["rows"][0];
    assert_eq!(acme["slug"], "acme");
    // acme holds orders:write, and its trust rule covers it: granted + rule.
    assert_eq!(acme["cells"][write], 1 | 4);
    assert_eq!(acme["cells"][bill], 0);
    assert_eq!(page["columns"][write]["sensitivity"], "high");
    // Filters run on the server.
    let high = matrix(aud.clone(), "high", "").await;
    assert_eq!(high["columns"].as_array().unwrap().len(), 1);
    let sandbox = matrix(aud.clone(), "", "sandbox").await;
    assert_eq!(sandbox["total"], 1);
    assert_eq!(sandbox["rows"][0]["slug"], "globex");

    // One change set: globex (sandbox) gains bill:read at once; acme (production) gaining
    // bill:read and losing orders:write is one change request, nothing applied yet.
    let edits = serde_json::json!([
        {"partner": "globex", "audience": crate::common::OTHER_API, "scope": "bill:read", "grant": true},
        {"partner": "acme", "audience": crate::common::OTHER_API, "scope": "bill:read", "grant": true},
        {"partner": "acme", "audience": crate::common::API, "scope": "orders:write", "grant": false},
    ])
    .to_string();
    let (code, _) = call(
        s,
        &aud,
        "apply_matrix",
        &[("edits", edits.as_str()), ("reason", "")],
    )
    .await;
    assert_eq!(code, 403);
    let (code, answer) = call(
        s,
        &olga,
        "apply_matrix",
        &[("edits", edits.as_str()), ("reason", "billing pilot")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let said = answer.as_str().unwrap();
    assert!(
        said.contains("globex: saved") && said.contains("acme: Change request #"),
        "{said}"
    );
    let page = matrix(olga.clone(), "", "").await;
    assert_eq!(
        page["rows"][0]["cells"][bill], 2,
        "acme's bill:read is requested"
    );
    assert_eq!(
        page["rows"][0]["cells"][write],
        1 | 4,
        "and nothing of its set applied yet"
    );
    assert_eq!(page["rows"][1]["cells"][bill], 1, "globex's applied");
    let (code, _) = call(
        s,
        &olga,
        "apply_matrix",
        &[("edits", "not json"), ("reason", "")],
    )
    .await;
    assert_eq!(code, 400);
}

on_both!(the_scope_matrix);
