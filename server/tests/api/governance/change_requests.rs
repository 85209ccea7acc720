//! Change requests in the console: four eyes over production changes (filed, approved or
//! rejected by another administrator, seen by the requester), and production trust rules that
//! wait for approval.

use super::*;

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
        store.submit(&actor, promote("acme"), "launch", true, now).await,
        Err(entente_store::StoreError::Invalid(m)) if m.contains("onboarding")
    ));
    // One that no longer applies when approved stays pending, and can be rejected.
    use entente_domain::lifecycle::Stage;
    store
        .set_partner_stage(&actor, "globex", Stage::Sandbox, now)
        .await
        .unwrap();
    complete_onboarding(s, "globex").await;
    let Submitted::Requested(req) = store
        .submit(&actor, promote("globex"), "launch", true, now)
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
