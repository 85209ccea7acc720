//! What partners ask of the administrators from the portal, over real HTTP on SQLite and
//! PostgreSQL: production for the organisation, scopes, production clients. Each is filed and
//! never applied by the partner (not even where an administrator's edit would apply at once),
//! an administrator decides it on the console's changes page, and the portal shows the
//! decision. Another partner's request is "not found" (G50).

use entente_domain::lifecycle::Stage;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::catalog::NewPartner;
use entente_store::enums::{EnvironmentColumn, PartnerStage, Role};
use serde_json::Value;

use crate::common::{API, Creds, TestServer};
use crate::console::{call, session};
use crate::governance::complete_onboarding;
use crate::portal::partner_session;
use crate::sandbox::{SANDBOX_API, sandbox_audience};

crate::on_both!(
    a_sandbox_partner_asks_for_production,
    scope_requests_are_filed_never_applied,
    production_clients_are_approved_and_keyed_by_the_partner,
);

/// The id in "Request #12 filed: …".
fn filed_id(answer: &Value) -> String {
    let text = answer.as_str().unwrap_or_default();
    let rest = text
        .strip_prefix("Request #")
        .unwrap_or_else(|| panic!("not a filed request: {answer}"));
    rest.split(' ').next().unwrap().to_owned()
}

async fn decide(s: &TestServer, admin: &str, id: &str, decision: &str, comment: &str) {
    let (code, answer) = call(
        s,
        admin,
        "decide_change_request",
        &[("id", id), ("decision", decision), ("comment", comment)],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
}

async fn my_requests(s: &TestServer, who: &str) -> Vec<Value> {
    let (code, page) = call(s, who, "portal_requests", &[]).await;
    assert_eq!(code, 200, "{page}");
    page["requests"].as_array().unwrap().clone()
}

async fn a_sandbox_partner_asks_for_production(s: &TestServer) {
    s.seed().await;
    s.state
        .store
        .create_partner(
            &Actor::new("test"),
            NewPartner {
                slug: "wonka".into(),
                name: "Wonka".into(),
                stage: Stage::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    let pat = partner_session(s, "wonka", "pat@wonka.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "wonka", "vic@wonka.test", Role::PartnerViewer).await;
    let ada = session(s, "ada@example.test", Role::Admin).await;
    let ask = [("reason", "our integration passed its tests")];

    // Not before the checklist is complete: the answer says what is missing.
    let (code, answer) = call(s, &pat, "portal_request_production", &ask).await;
    assert_eq!(code, 400, "{answer}");
    assert!(answer.to_string().contains("checklist"), "{answer}");
    complete_onboarding(s, "wonka").await;

    // Viewers only read.
    let (code, _) = call(s, &vic, "portal_request_production", &ask).await;
    assert_eq!(code, 403);
    let (code, answer) = call(s, &pat, "portal_request_production", &ask).await;
    assert_eq!(code, 200, "{answer}");
    let id = filed_id(&answer);
    let stage = |s: &TestServer| {
        let store = s.state.store.clone();
        async move { store.partner_by_slug("wonka").await.unwrap().stage }
    };
    assert_eq!(stage(s).await, PartnerStage::Sandbox, "filed, not applied");
    let (code, _) = call(s, &pat, "portal_request_production", &ask).await;
    assert_eq!(code, 409, "one pending promotion at a time");

    let (_, overview) = call(s, &pat, "portal_overview", &[]).await;
    assert!(
        overview["promotion"]
            .as_str()
            .unwrap()
            .starts_with(&format!("#{id}")),
        "{overview}"
    );
    let mine = my_requests(s, &pat).await;
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["status"], "pending");
    assert_eq!(mine[0]["withdrawable"], true);
    assert_eq!(mine[0]["requested_by"], "pat@wonka.test");
    assert_eq!(my_requests(s, &vic).await[0]["withdrawable"], false);

    // The console lists it for the administrators, filed by the portal user.
    let (_, page) = call(
        s,
        &ada,
        "list_change_requests",
        &[("status", "pending"), ("partner", "wonka"), ("offset", "0")],
    )
    .await;
    assert_eq!(
        page["rows"][0]["requested_by"], "portal:pat@wonka.test",
        "{page}"
    );

    decide(s, &ada, &id, "approve", "welcome").await;
    assert_eq!(stage(s).await, PartnerStage::Production);
    let mine = my_requests(s, &pat).await;
    assert_eq!(mine[0]["status"], "approved");
    let decision = mine[0]["decision"].as_str().unwrap();
    assert!(
        decision.starts_with("approved on ") && decision.ends_with(": welcome"),
        "{decision}"
    );
    // In production there is nothing more to ask this way.
    let (code, _) = call(s, &pat, "portal_request_production", &ask).await;
    assert_eq!(code, 400);
}

async fn scope_requests_are_filed_never_applied(s: &TestServer) {
    s.seed().await;
    // A sandbox API acme holds nothing on.
    s.state
        .store
        .create_audience(
            &Actor::new("test"),
            entente_store::catalog::NewAudience {
                identifier: SANDBOX_API.into(),
                name: "Orders (sandbox)".into(),
                scopes: vec!["orders:read".into()],
                token_lifetime: 300,
                environment: entente_domain::environment::Environment::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let gil = partner_session(s, "globex", "gil@globex.test", Role::PartnerAdmin).await;
    let ada = session(s, "ada@example.test", Role::Admin).await;
    let ask = |audience: &'static str, scopes: &'static str| {
        [
            ("audience", audience),
            ("scopes", scopes),
            ("reason", "we ship orders"),
        ]
    };
    let held = |s: &TestServer| {
        let store = s.state.store.clone();
        async move {
            let id = store.partner_by_slug("acme").await.unwrap().id;
            store.grants_of(&id).await.unwrap()
        }
    };
    let before = held(s).await;

    // Refused: a scope the API does not define, an API that does not exist, the admin API,
    // scopes already held.
    let (code, answer) = call(s, &pat, "portal_request_scopes", &ask(API, "orders:delete")).await;
    assert_eq!(code, 400, "{answer}");
    let (code, _) = call(
        s,
        &pat,
        "portal_request_scopes",
        &ask("https://nowhere.example.test", "x"),
    )
    .await;
    assert_eq!(code, 404);
    let admin_api = format!("{}/admin/api/v1", s.base);
    let form = [
        ("audience", admin_api.as_str()),
        ("scopes", "entente:admin"),
        ("reason", ""),
    ];
    let (code, _) = call(s, &pat, "portal_request_scopes", &form).await;
    assert_eq!(
        code, 404,
        "the admin API is not something partners can ask for"
    );
    let (code, _) = call(s, &pat, "portal_request_scopes", &ask(API, "orders:read")).await;
    assert_eq!(code, 400, "already held");

    // Filed, on production and on sandbox audiences alike; nothing changes until approved.
    let (code, answer) = call(s, &pat, "portal_request_scopes", &ask(API, "orders:write")).await;
    assert_eq!(code, 200, "{answer}");
    let production = filed_id(&answer);
    let (code, answer) = call(
        s,
        &pat,
        "portal_request_scopes",
        &ask(SANDBOX_API, "orders:read"),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let sandbox = filed_id(&answer);
    assert_eq!(held(s).await, before, "a partner's request applies nothing");

    // G50: another partner neither sees nor withdraws acme's requests.
    assert!(my_requests(s, &gil).await.is_empty());
    let (code, _) = call(s, &gil, "portal_withdraw", &[("id", production.as_str())]).await;
    assert_eq!(code, 404);

    // Meanwhile an administrator revokes what acme held: approving the request adds the scope
    // asked for to the grant as it is now, and brings nothing revoked back.
    s.state
        .store
        .set_grant(
            &Actor::new("admin:ada@example.test"),
            "acme",
            API,
            &entente_domain::ScopeSet::default(),
            now(),
        )
        .await
        .unwrap();
    decide(s, &ada, &production, "approve", "").await;
    decide(
        s,
        &ada,
        &sandbox,
        "reject",
        "the sandbox API is being rebuilt",
    )
    .await;
    let now_held = held(s).await;
    let on_api = now_held.iter().find(|(a, _)| a == API).unwrap();
    assert_eq!(on_api.1, "orders:write");
    assert!(!now_held.iter().any(|(a, _)| a == SANDBOX_API));
    let mine = my_requests(s, &pat).await;
    let rejected = mine
        .iter()
        .find(|r| r["id"].as_i64().map(|i| i.to_string()).as_deref() == Some(sandbox.as_str()))
        .unwrap();
    assert_eq!(rejected["status"], "rejected");
    assert!(
        rejected["decision"]
            .as_str()
            .unwrap()
            .ends_with(": the sandbox API is being rebuilt")
    );

    // Withdrawing: only one's own pending request.
    let (_, answer) = call(
        s,
        &pat,
        "portal_request_scopes",
        &ask(SANDBOX_API, "orders:read"),
    )
    .await;
    let again = filed_id(&answer);
    let pam = partner_session(s, "acme", "pam@acme.test", Role::PartnerAdmin).await;
    let (code, _) = call(s, &pam, "portal_withdraw", &[("id", again.as_str())]).await;
    assert_eq!(code, 403, "only who filed it withdraws it");
    let (code, _) = call(s, &pat, "portal_withdraw", &[("id", again.as_str())]).await;
    assert_eq!(code, 200);
    let (code, _) = call(s, &pat, "portal_withdraw", &[("id", again.as_str())]).await;
    assert_eq!(code, 409, "already withdrawn");
}

async fn production_clients_are_approved_and_keyed_by_the_partner(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let ada = session(s, "ada@example.test", Role::Admin).await;
    let form = |scopes: &'static str| {
        [
            ("name", "backend"),
            ("scopes", scopes),
            ("reason", "go-live"),
        ]
    };
    // Only scopes held in production.
    let (code, answer) = call(s, &pat, "portal_request_client", &form("orders:write")).await;
    assert_eq!(code, 400, "{answer}");
    let (code, answer) = call(s, &pat, "portal_request_client", &form("orders:read")).await;
    assert_eq!(code, 200, "{answer}");
    let id = filed_id(&answer);
    let production_clients = |s: &TestServer| {
        let store = s.state.store.clone();
        async move {
            let acme = store.partner_by_slug("acme").await.unwrap().id;
            store
                .list_clients(Some(&acme))
                .await
                .unwrap()
                .into_iter()
                .filter(|c| c.environment == EnvironmentColumn::Production && c.name == "backend")
                .collect::<Vec<_>>()
        }
    };
    assert!(production_clients(s).await.is_empty(), "filed, not created");

    decide(s, &ada, &id, "approve", "").await;
    let created = production_clients(s).await;
    assert_eq!(created.len(), 1);
    let client_id = created[0].client_id.clone();
    assert_eq!(created[0].allowed_scopes, "orders:read");
    // Created without a secret: nothing authenticates until the partner issues one.
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&Creds {
                id: client_id.clone(),
                secret: String::new(),
            }),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), 401);

    let (code, issued) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", client_id.as_str()), ("overlap", "0")],
    )
    .await;
    assert_eq!(code, 200, "{issued}");
    assert_eq!(issued["token_endpoint"], format!("{}/oauth2/token", s.base));
    let creds = Creds {
        id: client_id,
        secret: issued["client_secret"].as_str().unwrap().to_owned(),
    };
    let token = s.token(&creds, &[("audience", API)]).await;
    assert_eq!(token["scope"], "orders:read");

    // A sandbox-stage partner has no production clients to ask for.
    s.state
        .store
        .set_partner_stage(&Actor::new("test"), "globex", Stage::Sandbox, now())
        .await
        .unwrap();
    let gil = partner_session(s, "globex", "gil@globex.test", Role::PartnerAdmin).await;
    let (code, _) = call(s, &gil, "portal_request_client", &form("orders:read")).await;
    assert_eq!(code, 400);
}
