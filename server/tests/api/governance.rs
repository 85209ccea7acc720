//! Four-eyes governance over HTTP, as the console does it: changes that widen production access
//! become change requests; a different administrator approves (the change applies then) or
//! rejects with a comment; operators and auditors never decide; the requester sees the decision.

use entente_store::enums::{PartnerStage, Role};
use serde_json::Value;

use crate::common::TestServer;
use crate::console::{PASSWORD, call, path_of, session};

async fn stage_of(s: &TestServer, slug: &str) -> PartnerStage {
    s.state.store.partner_by_slug(slug).await.unwrap().stage
}

/// The request a sentence like "Change request #3 filed: …" names.
fn request_id(answer: &Value) -> String {
    let text = answer.as_str().unwrap_or_default();
    let rest = text
        .strip_prefix("Change request #")
        .unwrap_or_else(|| panic!("not a filed request: {answer}"));
    rest.split(' ').next().unwrap().to_owned()
}

async fn requests(s: &TestServer, who: &str, status: &str) -> Vec<Value> {
    let (code, page) = call(
        s,
        who,
        "list_change_requests",
        &[("status", status), ("partner", ""), ("offset", "0")],
    )
    .await;
    assert_eq!(code, 200, "{page}");
    page["rows"].as_array().unwrap().clone()
}

/// Completes a partner's onboarding checklist through the store (the HTTP path is tested in
/// `onboarding_gates_promotion`).
pub(crate) async fn complete_onboarding(s: &TestServer, slug: &str) {
    let store = &s.state.store;
    let actor = entente_store::Actor::new("test");
    let now = entente_server::state::now();
    store
        .set_partner_record(&actor, slug, full_record(), now)
        .await
        .unwrap();
    store.accept_questionnaire(&actor, slug, now).await.unwrap();
    let mut issuer = entente_store::federation::NewTrustedIssuer::new(
        format!("https://idp.{slug}.test"),
        s.base.clone(),
    );
    issuer.jwks = Some(crate::fed::Idp::new(crate::fed::IDP).jwks);
    store
        .create_trusted_issuer(&actor, slug, issuer, now)
        .await
        .unwrap();
    store
        .record_issuer_check(&actor, slug, true, "1 key(s)", now)
        .await
        .unwrap();
    let id = store.partner_by_slug(slug).await.unwrap().id;
    assert!(store.mark_first_exchange(&id, now).await.unwrap());
    assert!(
        !store.mark_first_exchange(&id, now).await.unwrap(),
        "only the first counts"
    );
}

fn full_record() -> entente_domain::onboarding::PartnerRecord {
    serde_json::from_value(serde_json::json!({
        "legal_name": "Initech LLC",
        "agreement": {"reference": "MSA-7", "signed_on": "2026-01-15", "expires_on": "2030-01-14",
                      "permitted_operations": "read orders", "data_class": "confidential"},
        "contacts": {
            "technical": {"name": "Tess", "email": "tess@initech.test", "phone": "+1 555 0100"},
            "security": {"name": "Sam", "email": "sam@initech.test", "phone": "+1 555 0101"},
            "business": {"name": "Bo", "email": "bo@initech.test", "phone": "+1 555 0102"}
        },
        "escalation": [{"name": "NOC", "contact": "+1 555 0199", "hours": "24x7"}]
    }))
    .unwrap()
}

async fn four_eyes_in_the_console(s: &TestServer) {
    s.seed().await;
    let alice = session(s, "alice@example.test", Role::Admin).await;
    let bob = session(s, "bob@example.test", Role::Admin).await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let aud = session(s, "aud@example.test", Role::Auditor).await;

    // Nobody starts a partner in production; sandbox is fine.
    let create = |stage: &'static str| [("slug", "initech"), ("name", "Initech"), ("stage", stage)];
    let (code, _) = call(s, &olga, "create_partner", &create("production")).await;
    assert_eq!(code, 400);
    let (code, _) = call(s, &olga, "create_partner", &create("sandbox")).await;
    assert_eq!(code, 200);
    complete_onboarding(s, "initech").await;

    // The operator asks for production: a request, and the partner stays in sandbox.
    let promote = [
        ("partner", "initech"),
        ("to", "production"),
        ("reason", "checklist complete"),
    ];
    let (code, answer) = call(s, &olga, "move_partner_stage", &promote).await;
    assert_eq!(code, 200, "{answer}");
    let promotion = request_id(&answer);
    assert_eq!(stage_of(s, "initech").await, PartnerStage::Sandbox);
    // Asking twice while one is pending is a conflict, not a second request.
    let (code, _) = call(s, &olga, "move_partner_stage", &promote).await;
    assert_eq!(code, 409);

    let decide = |id: &str, decision: &'static str, comment: &'static str| {
        [
            ("id", id.to_owned()),
            ("decision", decision.to_owned()),
            ("comment", comment.to_owned()),
        ]
    };
    let form = |f: &[(&'static str, String); 3]| -> Vec<(&'static str, String)> { f.to_vec() };
    let post = |who: String, f: Vec<(&'static str, String)>| async move {
        let borrowed: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        call(s, &who, "decide_change_request", &borrowed).await
    };
    // Operators and auditors never decide, their own request or anyone's.
    let (code, _) = post(olga.clone(), form(&decide(&promotion, "approve", ""))).await;
    assert_eq!(code, 403);
    let (code, _) = post(aud.clone(), form(&decide(&promotion, "approve", ""))).await;
    assert_eq!(code, 403);
    assert_eq!(stage_of(s, "initech").await, PartnerStage::Sandbox);

    // An administrator's own request waits for a different administrator.
    let (code, answer) = call(
        s,
        &alice,
        "suspend_partner",
        &[("partner", "globex"), ("reason", "leaked secret")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let (code, answer) = call(
        s,
        &alice,
        "reactivate_partner",
        &[("partner", "globex"), ("reason", "secret rotated")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let reactivation = request_id(&answer);
    assert_eq!(stage_of(s, "globex").await, PartnerStage::Suspended);
    let (code, answer) = post(alice.clone(), form(&decide(&reactivation, "approve", ""))).await;
    assert_eq!(code, 403, "{answer}");
    assert!(answer.to_string().contains("different person"), "{answer}");
    assert_eq!(stage_of(s, "globex").await, PartnerStage::Suspended);
    // Rejecting says why.
    let (code, _) = post(bob.clone(), form(&decide(&reactivation, "reject", ""))).await;
    assert_eq!(code, 400);
    let (code, answer) = post(
        bob.clone(),
        form(&decide(
            &reactivation,
            "reject",
            "rotate the second key too",
        )),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(stage_of(s, "globex").await, PartnerStage::Suspended);
    // A decided request stays decided.
    let (code, _) = post(bob.clone(), form(&decide(&reactivation, "approve", ""))).await;
    assert_eq!(code, 409);

    // A different administrator approves the operator's promotion: it applies.
    let (code, answer) = post(bob.clone(), form(&decide(&promotion, "approve", "welcome"))).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(stage_of(s, "initech").await, PartnerStage::Production);

    // The requester sees the decisions; nothing is pending any more.
    assert!(requests(s, &olga, "pending").await.is_empty());
    let all = requests(s, &olga, "all").await;
    let mine = all
        .iter()
        .find(|r| r["id"] == promotion.parse::<i64>().unwrap())
        .unwrap();
    assert_eq!(mine["status"], "approved");
    assert_eq!(mine["mine"], true);
    assert_eq!(mine["decided_by"], "bob@example.test");
    assert_eq!(mine["comment"], "welcome");
    assert_eq!(mine["requested_by"], "olga@example.test");
    let theirs = all
        .iter()
        .find(|r| r["id"] == reactivation.parse::<i64>().unwrap())
        .unwrap();
    assert_eq!(theirs["status"], "rejected");
    assert_eq!(theirs["mine"], false);
    assert_eq!(requests(s, &aud, "rejected").await.len(), 1);

    // Only the requester withdraws a pending request.
    let (_, answer) = call(
        s,
        &olga,
        "reactivate_partner",
        &[("partner", "globex"), ("reason", "both keys rotated")],
    )
    .await;
    let again = request_id(&answer);
    let (code, _) = call(s, &alice, "withdraw_change_request", &[("id", &again)]).await;
    assert_eq!(code, 403);
    let (code, _) = call(s, &olga, "withdraw_change_request", &[("id", &again)]).await;
    assert_eq!(code, 200);
    assert_eq!(requests(s, &olga, "withdrawn").await.len(), 1);

    // Ordinary stage moves need nobody: sandbox back from production is immediate.
    let (code, answer) = call(
        s,
        &olga,
        "move_partner_stage",
        &[("partner", "initech"), ("to", "sandbox"), ("reason", "")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(stage_of(s, "initech").await, PartnerStage::Sandbox);

    // Every step is in the audit log, with who did it.
    let events = s.state.store.recent_audit_events(100).await.unwrap();
    let seen = |action: &str, actor: &str| {
        events
            .iter()
            .any(|e| e.action == action && e.actor == actor)
    };
    assert!(seen("change_request.file", "admin:olga@example.test"));
    assert!(seen("change_request.approve", "admin:bob@example.test"));
    assert!(seen("change_request.reject", "admin:bob@example.test"));
    assert!(seen("change_request.withdraw", "admin:olga@example.test"));
    assert!(seen("partner.stage", "admin:bob@example.test"));
    assert!(seen("partner.suspend", "admin:alice@example.test"));
}

on_both!(four_eyes_in_the_console);

/// A trust rule that widens a production partner's reach waits for approval; the same change
/// for a sandbox partner applies at once, and narrowing never waits.
async fn production_trust_rules_wait_for_approval(s: &TestServer) {
    use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
    use entente_store::governance::{Change, Submitted};
    s.seed().await;
    let store = &s.state.store;
    let actor = entente_store::Actor::new("admin:olga@example.test");
    let now = entente_server::state::now();
    let mut issuer = NewTrustedIssuer::new(
        "https://idp.acme.test".into(),
        "https://entente.test".into(),
    );
    issuer.jwks = Some(crate::fed::Idp::new(crate::fed::IDP).jwks);
    store
        .create_trusted_issuer(&actor, "acme", issuer, now)
        .await
        .unwrap();
    let rule = |scopes: &str| Change::TrustRule {
        partner: "acme".into(),
        issuer: "https://idp.acme.test".into(),
        audience: crate::common::API.into(),
        rule: NewTrustRule::new(entente_domain::ScopeSet::parse(scopes).unwrap()),
    };
    let err = store
        .submit(&actor, rule("orders:read"), "", false, now)
        .await
        .unwrap_err();
    assert!(
        matches!(err, entente_store::StoreError::NeedsApproval(_)),
        "{err}"
    );
    assert!(store.list_trust_rules(None).await.unwrap().is_empty());
    let Submitted::Requested(req) = store
        .submit(&actor, rule("orders:read"), "pilot", true, now)
        .await
        .unwrap()
    else {
        panic!("not filed")
    };
    assert!(store.list_trust_rules(None).await.unwrap().is_empty());
    let bob = entente_store::Actor::new("admin:bob@example.test");
    store
        .decide_change_request(
            &bob,
            true,
            req.id,
            entente_domain::governance::Decision::Approve,
            "",
            now,
        )
        .await
        .unwrap();
    let rules = store.list_trust_rules(None).await.unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].scopes, "orders:read");
    // Narrowing (here: the same scopes, pairwise subjects) applies at once.
    let mut narrower = NewTrustRule::new(entente_domain::ScopeSet::parse("orders:read").unwrap());
    narrower.pairwise = true;
    let change = Change::TrustRule {
        partner: "acme".into(),
        issuer: "https://idp.acme.test".into(),
        audience: crate::common::API.into(),
        rule: narrower,
    };
    assert!(matches!(
        store.submit(&actor, change, "", false, now).await.unwrap(),
        Submitted::Applied { .. }
    ));
    // Disabling is immediate; enabling again waits.
    let id = rules[0].id.clone();
    store
        .set_trust_rule_enabled(&actor, &id, false, now)
        .await
        .unwrap();
    let enable = Change::EnableTrustRule {
        rule_id: id.clone(),
    };
    assert!(matches!(
        store.submit(&actor, enable, "", false, now).await,
        Err(entente_store::StoreError::NeedsApproval(_))
    ));
    // The grant of a production partner: widening waits, narrowing does not.
    let grant = |scopes: &str| Change::Grant {
        partner: "acme".into(),
        audience: crate::common::API.into(),
        scopes: entente_domain::ScopeSet::parse(scopes).unwrap(),
    };
    assert!(matches!(
        store
            .submit(&actor, grant("orders:read orders:write"), "", false, now)
            .await,
        Err(entente_store::StoreError::NeedsApproval(_))
    ));
    assert!(matches!(
        store
            .submit(&actor, grant(""), "", false, now)
            .await
            .unwrap(),
        Submitted::Applied { .. }
    ));

    // A request that could not apply is not filed at all.
    let promote = |p: &str| Change::Promote { partner: p.into() };
    assert!(matches!(
        store.submit(&actor, promote("acme"), "", true, now).await,
        Err(entente_store::StoreError::Invalid(_))
    ));
    // One that no longer applies when approved stays pending, and can be rejected.
    use entente_domain::lifecycle::Stage;
    store
        .set_partner_stage(&actor, "globex", Stage::Sandbox, now)
        .await
        .unwrap();
    complete_onboarding(s, "globex").await;
    let Submitted::Requested(req) = store
        .submit(&actor, promote("globex"), "", true, now)
        .await
        .unwrap()
    else {
        panic!("not filed")
    };
    store
        .set_partner_stage(&actor, "globex", Stage::Offboarded, now)
        .await
        .unwrap();
    let decide =
        |d| store.decide_change_request(&bob, true, req.id, d, "offboarded meanwhile", now);
    use entente_domain::governance::Decision;
    let err = decide(Decision::Approve).await.unwrap_err();
    assert!(err.to_string().contains("no longer applies"), "{err}");
    assert_eq!(
        store
            .change_request(req.id)
            .await
            .unwrap()
            .status
            .to_string(),
        "pending"
    );
    let done = decide(Decision::Reject).await.unwrap();
    assert_eq!(done.status.to_string(), "rejected");
}

on_both!(production_trust_rules_wait_for_approval);

/// Promotion waits for the onboarding checklist, completed over HTTP as the console does: the
/// record, the questionnaire, the server's check of the issuer keys, and a real token exchange.
async fn onboarding_gates_promotion(s: &TestServer) {
    use entente_domain::lifecycle::Stage;
    let fed = crate::fed::setup(s).await;
    let store = &s.state.store;
    store
        .set_partner_stage(
            &entente_store::Actor::new("test"),
            "acme",
            Stage::Sandbox,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let bob = session(s, "bob@example.test", Role::Admin).await;
    let promote = [("partner", "acme"), ("to", "production"), ("reason", "")];

    let (code, answer) = call(s, &olga, "move_partner_stage", &promote).await;
    assert_eq!(code, 400, "{answer}");
    assert!(
        answer
            .to_string()
            .contains("onboarding checklist is incomplete"),
        "{answer}"
    );
    let view = |who: String| async move {
        let (code, v) = call(s, &who, "onboarding", &[("partner", "acme")]).await;
        assert_eq!(code, 200, "{v}");
        v
    };
    let open = |v: &Value| -> Vec<String> {
        v["checklist"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["done"] == false)
            .map(|i| i["key"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        open(&view(olga.clone()).await),
        [
            "agreement",
            "questionnaire",
            "contacts",
            "issuer_keys",
            "first_exchange"
        ]
    );

    // The record, as the form posts it; a bad one is refused whole.
    let record = |expires: &'static str| {
        vec![
            ("partner", "acme"),
            ("legal_name", "Acme Corporation Ltd"),
            ("agreement_reference", "MSA-2026-014"),
            ("signed_on", "2026-01-15"),
            ("expires_on", expires),
            ("permitted_operations", "read orders"),
            ("data_class", "confidential"),
            ("technical[name]", "Tess"),
            ("technical[email]", "tess@acme.test"),
            ("technical[phone]", "+44 20 7946 0000"),
            ("security[name]", "Sam"),
            ("security[email]", "sam@acme.test"),
            ("security[phone]", "+44 20 7946 0001"),
            ("business[name]", "Bo"),
            ("business[email]", "bo@acme.test"),
            ("business[phone]", "+44 20 7946 0002"),
            (
                "escalation",
                "Acme NOC | +44 20 7946 0009 | 24x7\nCISO | ciso@acme.test | office hours",
            ),
        ]
    };
    let (code, answer) = call(s, &olga, "save_partner_record", &record("2025-01-01")).await;
    assert_eq!(code, 400, "{answer}");
    let (code, answer) = call(s, &olga, "save_partner_record", &record("2030-01-14")).await;
    assert_eq!(code, 200, "{answer}");
    let v = view(olga.clone()).await;
    assert_eq!(v["record"]["security"]["email"], "sam@acme.test");
    assert_eq!(
        v["record"]["escalation"],
        "Acme NOC | +44 20 7946 0009 | 24x7\nCISO | ciso@acme.test | office hours"
    );
    let (code, _) = call(s, &olga, "accept_questionnaire", &[("partner", "acme")]).await;
    assert_eq!(code, 200);
    let (code, answer) = call(s, &olga, "check_issuer_keys", &[("partner", "acme")]).await;
    assert_eq!(code, 200, "{answer}");
    assert!(
        answer.to_string().contains("Every issuer answered"),
        "{answer}"
    );
    assert_eq!(open(&view(olga.clone()).await), ["first_exchange"]);

    // A real exchange, in the sandbox (acme's production client stopped with the move):
    // noted off the token path, shortly after.
    crate::sandbox::sandbox_audience(s).await;
    crate::fed::set_rule(s, crate::sandbox::SANDBOX_API, "orders:read", |_| {}).await;
    let trial = crate::sandbox::client_in(s, "acme", None, &[crate::fed::TX]).await;
    let token = fed
        .idp
        .access_token(&s.base, "alice", serde_json::json!({}));
    crate::fed::exchange_ok_at(
        s,
        "/sandbox",
        &trial,
        &[
            ("subject_token", &token),
            ("subject_token_type", crate::fed::AT),
            ("audience", crate::sandbox::SANDBOX_API),
        ],
    )
    .await;
    let started = std::time::Instant::now();
    while !open(&view(olga.clone()).await).is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "first exchange not noted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Complete: the request is filed, and approved by a different administrator.
    let (code, answer) = call(s, &olga, "move_partner_stage", &promote).await;
    assert_eq!(code, 200, "{answer}");
    let id = request_id(&answer);
    let (code, answer) = call(
        s,
        &bob,
        "decide_change_request",
        &[("id", &id), ("decision", "approve"), ("comment", "")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(stage_of(s, "acme").await, PartnerStage::Production);

    // Issuers changing after the check reopen it (here the only one is disabled).
    store
        .set_trusted_issuer_enabled(
            &entente_store::Actor::new("test"),
            "acme",
            crate::fed::IDP,
            false,
            entente_server::state::now() + 1,
        )
        .await
        .unwrap();
    assert!(open(&view(olga.clone()).await).contains(&"issuer_keys".to_owned()));
}

on_both!(onboarding_gates_promotion);

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

/// What a promotion's approver sees is what the partner gets: while it waits, the partner counts
/// as production (widening its grant waits too), and approval is refused if its grants or rules
/// changed since filing. Re-enabling a production partner's issuer waits for approval as well.
async fn promotion_approves_what_was_shown(s: &TestServer) {
    use entente_domain::governance::Decision;
    use entente_domain::lifecycle::Stage;
    use entente_store::governance::{Change, Submitted};
    s.seed().await;
    let store = &s.state.store;
    let olga = entente_store::Actor::new("admin:olga@example.test");
    let bob = entente_store::Actor::new("admin:bob@example.test");
    let now = entente_server::state::now();
    store
        .set_partner_stage(&olga, "globex", Stage::Sandbox, now)
        .await
        .unwrap();
    complete_onboarding(s, "globex").await;
    let grant = |scopes: &str| Change::Grant {
        partner: "globex".into(),
        audience: crate::common::API.into(),
        scopes: entente_domain::ScopeSet::parse(scopes).unwrap(),
    };
    // In sandbox, a grant applies at once.
    assert!(matches!(
        store
            .submit(&olga, grant("orders:read"), "", false, now)
            .await
            .unwrap(),
        Submitted::Applied { .. }
    ));
    let Submitted::Requested(promo) = store
        .submit(
            &olga,
            Change::Promote {
                partner: "globex".into(),
            },
            "",
            true,
            now,
        )
        .await
        .unwrap()
    else {
        panic!("not filed")
    };
    assert!(
        promo
            .details
            .contains("grant on https://api.example.test: orders:read"),
        "{}",
        promo.details
    );
    // Waiting for promotion, widening waits as well; narrowing does not.
    assert!(matches!(
        store
            .submit(&olga, grant("orders:read orders:write"), "", false, now)
            .await,
        Err(entente_store::StoreError::NeedsApproval(_))
    ));
    assert!(matches!(
        store
            .submit(&olga, grant(""), "", false, now)
            .await
            .unwrap(),
        Submitted::Applied { .. }
    ));
    // The access changed since filing: approval is refused, the request stays pending.
    let err = store
        .decide_change_request(&bob, true, promo.id, Decision::Approve, "", now)
        .await
        .unwrap_err();
    assert!(matches!(err, entente_store::StoreError::Stale(_)), "{err}");
    assert_eq!(
        store
            .partner_by_slug("globex")
            .await
            .unwrap()
            .stage
            .to_string(),
        "sandbox"
    );
    store
        .decide_change_request(&bob, true, promo.id, Decision::Reject, "file again", now)
        .await
        .unwrap();

    // A production partner's disabled issuer comes back only with approval.
    let issuer = "https://idp.globex.test";
    store
        .set_partner_stage(&olga, "globex", Stage::Production, now)
        .await
        .unwrap();
    store
        .set_trusted_issuer_enabled(&olga, "globex", issuer, false, now)
        .await
        .unwrap();
    let enable = Change::EnableIssuer {
        partner: "globex".into(),
        issuer: issuer.into(),
    };
    assert!(matches!(
        store.submit(&olga, enable.clone(), "", false, now).await,
        Err(entente_store::StoreError::NeedsApproval(_))
    ));
    let Submitted::Requested(req) = store.submit(&olga, enable, "", true, now).await.unwrap()
    else {
        panic!("not filed")
    };
    // Two at once for one target: the second is refused.
    let again = Change::EnableIssuer {
        partner: "globex".into(),
        issuer: issuer.into(),
    };
    assert!(store.submit(&olga, again, "", true, now).await.is_err());
    store
        .decide_change_request(&bob, true, req.id, Decision::Approve, "", now)
        .await
        .unwrap();
    assert!(
        store
            .trusted_issuer(&store.partner_by_slug("globex").await.unwrap().id, issuer)
            .await
            .unwrap()
            .enabled
    );
}

on_both!(promotion_approves_what_was_shown);

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
