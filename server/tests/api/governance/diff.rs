//! A change request reads as before → after: the approver sees exactly which scopes, rule
//! properties or stage it changes (with the rest of each changed group as context), a promotion
//! lists the production access it turns on and no sandbox access, a request needs a reason, and
//! an approved request shows what its approval did when the partner's access moved meanwhile.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::governance::Decision;
use entente_domain::lifecycle::Stage;
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewPartner};
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use entente_store::governance::{Change, Submitted};

use super::*;
use crate::common::API;

/// `sign group: text` for each line of a request row's `diff`, as the console receives it.
fn lines(row: &Value) -> Vec<String> {
    row["diff"]
        .as_array()
        .unwrap_or_else(|| panic!("no diff: {row}"))
        .iter()
        .map(|l| {
            let sign = match l["mark"].as_str().unwrap() {
                "added" => "+",
                "removed" => "-",
                "kept" => " ",
                other => panic!("mark {other}"),
            };
            format!(
                "{sign} {}: {}",
                l["group"].as_str().unwrap(),
                l["text"].as_str().unwrap()
            )
        })
        .collect()
}

fn stored(m: &entente_store::entities::change_request::Model) -> Vec<String> {
    lines(&serde_json::json!({ "diff": m.diff_lines() }))
}

async fn a_grant_request_shows_the_scope_it_adds_and_needs_a_reason(s: &TestServer) {
    s.seed().await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let bob = session(s, "bob@example.test", Role::Admin).await;
    let widen = |reason: &'static str| {
        [
            ("partner", "acme"),
            ("audience", API),
            ("scopes", "orders:read orders:write"),
            ("reason", reason),
        ]
    };
    let (code, refused) = call(s, &olga, "set_partner_grant", &widen("  ")).await;
    assert_eq!(code, 400, "{refused}");
    assert!(
        refused.to_string().contains("say why in the reason"),
        "{refused}"
    );
    assert!(requests(s, &bob, "pending").await.is_empty());

    let (code, answer) = call(s, &olga, "set_partner_grant", &widen("billing pilot")).await;
    assert_eq!(code, 200, "{answer}");
    let id = request_id(&answer);
    let pending = requests(s, &bob, "pending").await;
    assert_eq!(
        lines(&pending[0]),
        [
            format!("  grant on {API}: orders:read"),
            format!("+ grant on {API}: orders:write"),
        ],
        "only the changed grant, with its kept scope as context"
    );
    assert_eq!(pending[0]["reason"], "billing pilot");

    // Meanwhile the grant is narrowed to nothing; the approval then adds both scopes, and the
    // decided request says so rather than what was filed.
    let store = &s.state.store;
    let now = entente_server::state::now();
    store
        .set_grant(&Actor::new("test"), "acme", API, &ScopeSet::default(), now)
        .await
        .unwrap();
    let (code, answer) = call(
        s,
        &bob,
        "decide_change_request",
        &[
            ("id", id.as_str()),
            ("decision", "approve"),
            ("comment", ""),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    // One request by its number (an audit event's link), however many others there are.
    let (code, other) = call(
        s,
        &olga,
        "set_partner_grant",
        &[
            ("partner", "acme"),
            ("audience", crate::common::OTHER_API),
            ("scopes", "bill:read"),
            ("reason", "billing"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{other}");
    assert_eq!(requests(s, &bob, "all").await.len(), 2);
    let (code, one) = call(
        s,
        &bob,
        "list_change_requests",
        &[
            ("status", "all"),
            ("partner", ""),
            ("offset", "0"),
            ("request", id.as_str()),
        ],
    )
    .await;
    assert_eq!(code, 200, "{one}");
    assert_eq!(one["total"], 1);
    assert_eq!(one["rows"][0]["id"].to_string(), id);
    let decided = requests(s, &bob, "approved").await;
    assert_eq!(
        lines(&decided[0]),
        [
            format!("+ grant on {API}: orders:read"),
            format!("+ grant on {API}: orders:write"),
        ]
    );
}

async fn a_rule_edit_names_the_properties_it_widens(s: &TestServer) {
    s.seed().await;
    let store = &s.state.store;
    let actor = Actor::new("admin:olga@example.test");
    let now = entente_server::state::now();
    let mut issuer = NewTrustedIssuer::new("https://idp.acme.test".into(), s.base.clone());
    issuer.jwks = Some(crate::fed::Idp::new(crate::fed::IDP).jwks);
    store
        .create_trusted_issuer(&actor, "acme", issuer, now)
        .await
        .unwrap();
    let rule = |scopes: &str, claims: &[&str]| {
        let mut r = NewTrustRule::new(ScopeSet::parse(scopes).unwrap());
        r.claims = claims
            .iter()
            .map(|c| entente_domain::federation::rules::ClaimPass {
                from: (*c).into(),
                to: (*c).into(),
            })
            .collect();
        Change::TrustRule {
            partner: "acme".into(),
            issuer: "https://idp.acme.test".into(),
            audience: API.into(),
            rule: r,
        }
    };
    let Submitted::Requested(first) = store
        .submit(&actor, rule("orders:read", &[]), "pilot", true, now)
        .await
        .unwrap()
    else {
        panic!("a production rule waits")
    };
    let group = format!("trust rule https://idp.acme.test → {API}");
    assert_eq!(
        stored(&first),
        [
            format!("+ {group}: scope orders:read"),
            format!("+ {group}: public subject"),
            format!("+ {group}: enabled"),
        ]
    );
    store
        .decide_change_request(
            &Actor::new("admin:bob@example.test"),
            true,
            first.id,
            Decision::Approve,
            "",
            now,
        )
        .await
        .unwrap();
    let Submitted::Requested(edit) = store
        .submit(
            &actor,
            rule("orders:read orders:write", &["email"]),
            "exports",
            true,
            now,
        )
        .await
        .unwrap()
    else {
        panic!("widening a production rule waits")
    };
    assert_eq!(
        stored(&edit),
        [
            format!("  {group}: scope orders:read"),
            format!("+ {group}: scope orders:write"),
            format!("+ {group}: copies claim email"),
            format!("  {group}: public subject"),
            format!("  {group}: enabled"),
        ]
    );
}

async fn a_promotion_lists_production_access_and_not_sandbox(s: &TestServer) {
    s.seed().await;
    let store = &s.state.store;
    let a = Actor::new("test");
    let now = entente_server::state::now();
    store
        .create_partner(
            &a,
            NewPartner {
                slug: "initech".into(),
                name: "Initech".into(),
                stage: Stage::Sandbox,
            },
            now,
        )
        .await
        .unwrap();
    store
        .create_audience(
            &a,
            NewAudience {
                identifier: "https://sandbox.example.test".into(),
                name: "Orders (sandbox)".into(),
                scopes: vec!["orders:read".into()],
                token_lifetime: 300,
                environment: Environment::Sandbox,
            },
            now,
        )
        .await
        .unwrap();
    for (aud, scopes) in [
        ("https://sandbox.example.test", "orders:read"),
        (API, "orders:read"),
    ] {
        store
            .set_grant(&a, "initech", aud, &ScopeSet::parse(scopes).unwrap(), now)
            .await
            .unwrap();
    }
    complete_onboarding(s, "initech").await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let bob = session(s, "bob@example.test", Role::Admin).await;
    let promote = |reason: &'static str| {
        [
            ("partner", "initech"),
            ("to", "production"),
            ("reason", reason),
        ]
    };
    let (code, refused) = call(s, &olga, "move_partner_stage", &promote("")).await;
    assert_eq!(code, 400, "a promotion needs a reason: {refused}");
    let (code, answer) = call(
        s,
        &olga,
        "move_partner_stage",
        &promote("checklist complete"),
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let pending = requests(s, &bob, "pending").await;
    assert_eq!(pending[0]["promotion"], true);
    assert_eq!(
        lines(&pending[0]),
        [
            "- stage: Sandbox".to_owned(),
            "+ stage: Production".to_owned(),
            format!("  grant on {API}: orders:read"),
        ],
        "the production grant as context, the sandbox one not at all"
    );
    assert!(
        !pending[0]["details"]
            .as_str()
            .unwrap()
            .contains("sandbox.example.test"),
        "{}",
        pending[0]["details"]
    );
}

on_both!(
    a_grant_request_shows_the_scope_it_adds_and_needs_a_reason,
    a_rule_edit_names_the_properties_it_widens,
    a_promotion_lists_production_access_and_not_sandbox,
);
