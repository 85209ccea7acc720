//! Issue 23, defect 2: four eyes are two people. Each of the three ways one person could approve
//! their own change is refused: through an API client they own, through a second console
//! account (invitations are bound to the invited address), and under another role with the same
//! address (a partner user's request decided by the console user of that address).

use serde_json::{Value, json};

use crate::common::{API, TestServer};
use crate::console::{PASSWORD, call, path_of, session};
use crate::host_only::{api_client, api_token};
use entente_store::enums::Role;

crate::on_both!(one_person_never_approves_their_own_change);

fn decision(id: &str) -> [(&'static str, &str); 3] {
    [("id", id), ("decision", "approve"), ("comment", "")]
}

async fn accept(s: &TestServer, link: &str, email: &str) -> u16 {
    let token = link.split("token=").nth(1).unwrap();
    reqwest::Client::new()
        .post(s.url(path_of("setup_admin")))
        .header("origin", &s.base)
        .form(&[("token", token), ("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn scopes_of(s: &TestServer, partner: &str) -> String {
    let p = s.state.store.partner_by_slug(partner).await.unwrap();
    s.state
        .store
        .grants_of(&p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, scopes)| scopes)
        .collect::<Vec<_>>()
        .join(" ")
}

async fn one_person_never_approves_their_own_change(s: &TestServer) {
    s.seed().await;
    let alice = session(s, "alice@corp.example", Role::Admin).await;
    let bob = session(s, "bob@corp.example", Role::Admin).await;

    // 1. Alice's automation files a change; Alice may not approve it, Bob may.
    let bot = api_client(s, "alice-bot", "operator", "alice@corp.example");
    s.refresh().await;
    let token = api_token(s, &bot, "entente:operator").await;
    let r = s
        .http
        .put(s.url("/admin/api/v1/partners/acme/grants"))
        .bearer_auth(&token)
        .json(
            &json!({"grants": [{"audience": API, "scopes": "orders:read orders:write"}],
                      "reason": "acme needs to write"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let filed: Value = r.json().await.unwrap();
    let id = filed["change_request"].as_i64().unwrap().to_string();
    let (code, answer) = call(s, &alice, "decide_change_request", &decision(&id)).await;
    assert_eq!(code, 403, "the owner of the filing client: {answer}");
    assert!(answer.to_string().contains("different person"), "{answer}");
    assert_eq!(scopes_of(s, "acme").await, "orders:read");
    let (code, answer) = call(s, &bob, "decide_change_request", &decision(&id)).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(scopes_of(s, "acme").await, "orders:read orders:write");

    // An API client that answers to nobody (made before owners existed) files nothing until
    // the host names its owner; an owner's role must reach the client's.
    let made = tokio::task::block_in_place(|| {
        crate::cli::entente_raw(
            s,
            &[
                "client",
                "create",
                "--partner",
                "operations",
                "--name",
                "legacy",
                "--scopes",
                "entente:operator",
                "--environment",
                "production",
            ],
        )
    });
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let made: Value = serde_json::from_slice(&made.stdout).unwrap();
    let legacy = crate::common::Creds {
        id: made["client_id"].as_str().unwrap().to_owned(),
        secret: made["client_secret"].as_str().unwrap().to_owned(),
    };
    s.refresh().await;
    let legacy_token = api_token(s, &legacy, "entente:operator").await;
    let widen = json!({"grants": [{"audience": crate::common::OTHER_API, "scopes": "bill:read"}],
                       "reason": "billing"});
    let put = |t: String| {
        let widen = widen.clone();
        async move {
            s.http
                .put(s.url("/admin/api/v1/partners/globex/grants"))
                .bearer_auth(t)
                .json(&widen)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(put(legacy_token.clone()).await, 403);
    let olga = session(s, "olga@corp.example", Role::Operator).await;
    drop(olga);
    let set_owner = |owner: &'static str| {
        tokio::task::block_in_place(|| {
            crate::cli::entente_raw(
                s,
                &[
                    "admin",
                    "api-client-owner",
                    "--client-id",
                    &legacy.id,
                    "--owner",
                    owner,
                ],
            )
        })
    };
    assert!(!set_owner("nobody@corp.example").status.success());
    let out = set_owner("olga@corp.example");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(put(legacy_token).await, 202);

    // A client acting for its owner cannot change its owner's account either.
    let admin_bot = api_client(s, "alice-admin-bot", "admin", "alice@corp.example");
    s.refresh().await;
    let admin_token = api_token(s, &admin_bot, "entente:admin").await;
    let r = s
        .http
        .put(s.url("/admin/api/v1/users/alice@corp.example"))
        .bearer_auth(&admin_token)
        .json(&json!({"role": "auditor", "enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "{}", r.text().await.unwrap());

    // 2. A console invitation works for the invited address only, and an address in use cannot
    // be invited again: no second account of one's own.
    let (code, link) = call(
        s,
        &alice,
        "invite_console_user",
        &[("role", "admin"), ("email", "carol@corp.example")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    let link = link.as_str().unwrap().to_owned();
    assert!(accept(s, &link, "alice.second@corp.example").await >= 400);
    assert!(
        s.state
            .store
            .admin_by_email("alice.second@corp.example")
            .await
            .unwrap()
            .is_none()
    );
    assert!(accept(s, &link, "carol@corp.example").await < 400);
    for email in ["bob@corp.example", "ALICE@corp.example"] {
        let (code, answer) = call(
            s,
            &alice,
            "invite_console_user",
            &[("role", "admin"), ("email", email)],
        )
        .await;
        assert_eq!(code, 409, "{email}: {answer}");
    }

    // 3. The same address in another role: Alice cannot join a partner's team, and a request
    // filed under her address as a partner user is hers to no decision.
    let (code, answer) = call(
        s,
        &alice,
        "invite_partner_user",
        &[
            ("partner", "acme"),
            ("email", "alice@corp.example"),
            ("role", "partner_admin"),
        ],
    )
    .await;
    assert_eq!(code, 409, "{answer}");
    let r = s
        .http
        .post(s.url("/admin/api/v1/partners/globex/invitations"))
        .bearer_auth(&token)
        .json(&json!({"email": "alice@corp.example", "role": "partner_admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let filed = s
        .state
        .store
        .submit(
            &entente_store::Actor::new("portal:Alice@corp.example"),
            entente_store::governance::Change::Grant {
                partner: "acme".into(),
                audience: crate::common::OTHER_API.into(),
                scopes: entente_domain::ScopeSet::parse("bill:read").unwrap(),
            },
            "asked from the portal",
            true,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let entente_store::governance::Submitted::Requested(request) = filed else {
        panic!("a production grant waits for approval");
    };
    let id = request.id.to_string();
    let (code, answer) = call(s, &alice, "decide_change_request", &decision(&id)).await;
    assert_eq!(code, 403, "{answer}");
    let (code, answer) = call(s, &bob, "decide_change_request", &decision(&id)).await;
    assert_eq!(code, 200, "{answer}");
}
