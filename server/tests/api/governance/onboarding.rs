//! Promotion to production: it waits for the onboarding checklist, completed over HTTP, and what
//! its approver sees is what the partner gets.

use super::*;

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
    let promote = [
        ("partner", "acme"),
        ("to", "production"),
        ("reason", "checklist done"),
    ];

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
            "checklist complete",
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
    let Submitted::Requested(req) = store
        .submit(&olga, enable, "issuer rotated its keys", true, now)
        .await
        .unwrap()
    else {
        panic!("not filed")
    };
    // Two at once for one target: the second is refused.
    let again = Change::EnableIssuer {
        partner: "globex".into(),
        issuer: issuer.into(),
    };
    assert!(matches!(
        store.submit(&olga, again, "issuer fixed", true, now).await,
        Err(entente_store::StoreError::Stale(m)) if m.contains("already pending")
    ));
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
