//! Catalog commands acting on a running server: changes reach it within a second, and
//! suspending a partner (the kill switch) stops its tokens.

use super::*;

async fn cli_changes_reach_a_running_server(s: &TestServer) {
    let started = std::time::Instant::now();
    tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "create",
                "--slug",
                "acme",
                "--name",
                "Acme Corp",
                "--stage",
                "sandbox",
            ],
        );
        entente(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                API,
                "--scopes",
                "orders:read orders:write",
                // acme is in the sandbox stage: its client and this API are the sandbox's.
                "--environment",
                "sandbox",
            ],
        );
        entente(
            s,
            &[
                "grant",
                "set",
                "--partner",
                "acme",
                "--audience",
                API,
                "--scopes",
                "orders:read",
            ],
        );
    });
    let c = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "client",
                "create",
                "--partner",
                "acme",
                "--name",
                "backend",
                "--scopes",
                "orders:read",
            ],
        )
    });
    let creds = Creds {
        id: c["client_id"].as_str().unwrap().into(),
        secret: c["client_secret"].as_str().unwrap().into(),
    };
    let rs = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "resource-server",
                "create",
                "--audience",
                API,
                "--name",
                "orders-api",
            ],
        )
    });
    let rs = Creds {
        id: rs["client_id"].as_str().unwrap().into(),
        secret: rs["client_secret"].as_str().unwrap().into(),
    };
    let created = std::time::Instant::now();
    // No manual refresh: the server's own change-feed poll must pick this up within a second.
    let token = loop {
        let r = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&creds),
                &[("grant_type", "client_credentials")],
            )
            .await;
        if r.status() == 200 {
            break r.json::<serde_json::Value>().await.unwrap()["access_token"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        assert!(
            created.elapsed() < std::time::Duration::from_secs(1),
            "CLI change not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    // The resource server was created after the client: it too must be live within a second.
    loop {
        let r = s
            .post_form(
                "/sandbox/oauth2/introspect",
                Some(&rs),
                &[("token", &token)],
            )
            .await;
        if r.status() == 200 {
            assert_eq!(r.json::<serde_json::Value>().await.unwrap()["active"], true);
            break;
        }
        assert!(
            created.elapsed() < std::time::Duration::from_secs(1),
            "resource server not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let listed =
        tokio::task::block_in_place(|| entente(s, &["client", "list", "--partner", "acme"]));
    assert_eq!(listed.as_array().unwrap().len(), 1);
    // The staff side of the portal's tester switch, through the same operation.
    let switched = tokio::task::block_in_place(|| {
        entente(s, &["partner", "tester-clients", "--partner", "acme", "on"])
    });
    assert_eq!(switched["testers_get_clients"], true, "{switched}");
    let acme = s.state.store.partner_by_slug("acme").await.unwrap();
    assert!(acme.testers_get_clients);
    assert!(
        listed.to_string().find(&creds.secret).is_none(),
        "secrets never appear after creation"
    );
    let rotated = tokio::task::block_in_place(|| {
        entente(s, &["client", "rotate-secret", "--client-id", &creds.id])
    });
    let new = Creds {
        id: creds.id.clone(),
        secret: rotated["client_secret"].as_str().unwrap().into(),
    };
    let t0 = std::time::Instant::now();
    loop {
        let old_status = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&creds),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status();
        let new_status = s
            .post_form(
                "/sandbox/oauth2/token",
                Some(&new),
                &[("grant_type", "client_credentials")],
            )
            .await
            .status();
        if old_status == 401 && new_status == 200 {
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(1),
            "rotation not live after 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let keys = tokio::task::block_in_place(|| entente(s, &["key", "list"]));
    assert_eq!(keys[0]["state"], "active");
    let partners = tokio::task::block_in_place(|| entente(s, &["partner", "list"]));
    assert_eq!(partners[0]["slug"], "acme");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

on_both!(cli_changes_reach_a_running_server);

/// Issue 8, the kill switch: `entente partner suspend` refuses the partner's clients new tokens
/// and makes every outstanding token inactive at introspection within a second; only allowed
/// stage changes pass; `reactivate` restores issuance while the old tokens stay revoked; each
/// step is audited, with the reason and the notice to the partner's contacts.
async fn suspending_a_partner_stops_its_tokens(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let old = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.introspect(&rs, &old).await["active"], true);

    let refused = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &["partner", "stage", "--partner", "acme", "--to", "applied"],
        )
    });
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("cannot move from production to applied")
    );

    let v = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "suspend",
                "--partner",
                "acme",
                "--reason",
                "contract breach",
            ],
        )
    });
    assert_eq!(v["stage"], "suspended");
    // The background change feed applies it (no explicit refresh here): within a second.
    let started = std::time::Instant::now();
    loop {
        let inactive = s.introspect(&rs, &old).await["active"] == false;
        let r = s
            .post_form(
                "/oauth2/token",
                Some(&c),
                &[("grant_type", "client_credentials"), ("resource", API)],
            )
            .await;
        if inactive && r.status() == 401 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "suspension not effective within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A token a lagging replica signed after the suspension's mark (its iat is later) is not
    // covered by the mark: the partner's state refuses it all the same, and reactivation marks
    // again, so it never comes back to life.
    let claims = entente_domain::token::client_credentials_claims(
        &s.state.issuer,
        &c.id,
        "acme",
        &entente_domain::grant::Issuance {
            audience: API.into(),
            scope: entente_domain::ScopeSet::parse("orders:read").unwrap(),
            lifetime: 300,
        },
        "lagging-replica-token".into(),
        entente_server::state::now() + 1,
    );
    let lagging = entente_server::oauth::issue::sign(
        &s.state,
        entente_domain::environment::Environment::Production,
        &claims,
    )
    .unwrap();
    assert_eq!(s.introspect(&rs, &lagging).await["active"], false);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;

    // Reactivation restores access: it waits for a different administrator.
    let refused = tokio::task::block_in_place(|| {
        entente_raw(s, &["partner", "reactivate", "--partner", "acme"])
    });
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs a different administrator"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    // Filed on behalf of a console user, who then cannot approve it.
    let hash = entente_domain::password::hash_password("correct horse battery staple").unwrap();
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "olga@example.test",
            hash,
            entente_store::enums::Role::Operator,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let anonymous = tokio::task::block_in_place(|| {
        entente_raw(
            s,
            &[
                "partner",
                "reactivate",
                "--partner",
                "acme",
                "--request-approval",
            ],
        )
    });
    assert!(!anonymous.status.success());
    assert!(String::from_utf8_lossy(&anonymous.stderr).contains("--as EMAIL"));
    let v = tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner",
                "reactivate",
                "--partner",
                "acme",
                "--request-approval",
                "--as",
                "olga@example.test",
                "--reason",
                "breach remedied",
            ],
        )
    });
    assert_eq!(
        v["change_request"]["requested_by"],
        "admin:olga@example.test"
    );
    let id = v["change_request"]["id"].as_i64().unwrap();
    assert_eq!(v["change_request"]["status"], "pending");
    assert_eq!(v["change_request"]["reason"], "breach remedied");
    let listed = tokio::task::block_in_place(|| {
        entente(
            s,
            &["change", "list", "--status", "pending", "--partner", "acme"],
        )
    });
    assert_eq!(listed[0]["id"], id);
    assert_eq!(
        s.state.store.partner_by_slug("acme").await.unwrap().stage,
        entente_store::enums::PartnerStage::Suspended
    );
    s.state
        .store
        .decide_change_request(
            &entente_store::Actor::new("admin:approver@example.test"),
            true,
            id,
            entente_domain::governance::Decision::Approve,
            "remedied",
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let v = tokio::task::block_in_place(|| entente(s, &["partner", "list"]));
    assert_eq!(v[0]["stage"], "production");
    // The audit log from the command line: the suspension with its reason, the request, the
    // approval; and the same as CSV.
    let events = tokio::task::block_in_place(|| {
        entente(s, &["audit", "list", "--partner", "acme", "--since", "1h"])
    });
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in [
        "partner.suspend",
        "change_request.file",
        "change_request.approve",
        "partner.reactivate",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    let suspend = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "partner.suspend")
        .unwrap();
    assert_eq!(suspend["details"]["reason"], "contract breach");
    let csv = tokio::task::block_in_place(|| {
        entente_raw(s, &["audit", "list", "--partner", "acme", "--csv"])
    });
    assert!(csv.status.success());
    assert!(String::from_utf8_lossy(&csv.stdout).starts_with("id,at,actor,action,target,partner"));
    s.refresh().await;
    // Tokens issued in the suspension's second would still count as revoked: step past it.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let fresh = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.introspect(&rs, &fresh).await["active"], true);
    assert_eq!(
        s.introspect(&rs, &old).await["active"],
        false,
        "tokens revoked by the suspension stay revoked"
    );
    assert_eq!(
        s.introspect(&rs, &lagging).await["active"],
        false,
        "a token signed during the suspension stays dead after reactivation"
    );

    use sea_orm::{EntityTrait, QueryOrder};
    let actions: Vec<(String, String)> = entente_store::entities::audit_event::Entity::find()
        .order_by_asc(entente_store::entities::audit_event::Column::Id)
        .all(s.state.store.db())
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target == "partner:acme")
        .map(|e| (e.action, e.details))
        .collect();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert!(
        names.ends_with(&["partner.suspend", "partner.notice", "partner.reactivate"]),
        "{names:?}"
    );
    assert!(
        actions
            .iter()
            .any(|(a, d)| a == "partner.suspend" && d.contains("contract breach"))
    );
}

on_both!(suspending_a_partner_stops_its_tokens);
