//! Issue 24, item 6: the console's trust rule form sets what the CLI could — claim-to-scope
//! mappings, delegation only, a token lifetime — and an issuer is disabled and enabled from its
//! row; over real HTTP on SQLite and PostgreSQL, with bad input refused and nothing written.

use entente_domain::lifecycle::Stage;
use entente_store::catalog::NewPartner;
use entente_store::enums::Role;

use crate::common::{API, TestServer};
use crate::console::{call, session};
use entente_server::state::now;

crate::on_both!(the_rule_form_sets_mappings_delegation_and_lifetime);

async fn the_rule_form_sets_mappings_delegation_and_lifetime(s: &TestServer) {
    s.seed().await;
    let store = &s.state.store;
    store
        .create_partner(
            &entente_store::Actor::new("test"),
            NewPartner {
                slug: "initech".into(),
                name: "Initech".into(),
                stage: Stage::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    let idp = crate::fed::Idp::new("https://idp.initech.test");
    crate::fed::add_issuer(s, "initech", &idp, None).await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let audrey = session(s, "audrey@example.test", Role::Auditor).await;
    let rule = |mappings: &'static str, lifetime: &'static str| {
        vec![
            ("partner", "initech"),
            ("issuer", "https://idp.initech.test"),
            ("audience", API),
            ("scopes", "orders:read orders:write"),
            ("claims", "email"),
            ("max_depth", "2"),
            ("reason", ""),
            ("mappings", mappings),
            ("delegation_only", "on"),
            ("lifetime", lifetime),
        ]
    };
    for (mappings, lifetime, says) in [
        ("groups=orders:write", "120", "claim:value=scope"),
        ("groups:admins=orders:write", "soon", "number of seconds"),
        (
            "groups:admins=orders:write",
            "5",
            "between 30 seconds and 24 hours",
        ),
    ] {
        let (code, refused) = call(s, &olga, "set_trust_rule", &rule(mappings, lifetime)).await;
        assert_eq!(code, 400, "{refused}");
        assert!(refused.to_string().contains(says), "{refused}");
    }
    assert!(store.list_trust_rules(None).await.unwrap().is_empty());

    let (code, said) = call(
        s,
        &olga,
        "set_trust_rule",
        &rule("groups:admins=orders:write", "120"),
    )
    .await;
    assert_eq!(code, 200, "{said}");
    let r = store
        .trust_rule_for("initech", "https://idp.initech.test", API)
        .await
        .unwrap()
        .unwrap();
    assert!(r.delegation && r.delegation_only);
    assert_eq!((r.max_depth, r.lifetime), (2, Some(120)));
    let mappings: serde_json::Value = serde_json::from_str(&r.mappings).unwrap();
    assert_eq!(
        mappings,
        serde_json::json!([{"claim": "groups", "value": "admins", "scope": "orders:write"}])
    );
    let (_, page) = call(s, &audrey, "trust_overview", &[("partner", "initech")]).await;
    assert_eq!(page["rules"][0]["mappings"], "groups:admins=orders:write");
    assert_eq!(page["rules"][0]["lifetime"], 120);
    assert_eq!(page["rules"][0]["delegation"], "required, depth ≤ 2");
    // The form is filled from the rule it edits, so a re-save sends everything it had.
    let form = &page["rules"][0]["form"];
    assert_eq!(form["mappings"], "groups:admins=orders:write");
    assert_eq!(form["claims"], "email");
    assert_eq!(form["lifetime"], "120");
    assert_eq!(form["max_depth"], 2);
    assert_eq!(form["delegation_only"], true);
    assert_eq!(form["refresh_lifetime"], 8 * 3600);
    // The door adds nothing of its own: a form without mappings or a lifetime sets none.
    let mut bare = rule("", "");
    bare.retain(|(k, _)| !matches!(*k, "mappings" | "lifetime" | "delegation_only"));
    let (code, said) = call(s, &olga, "set_trust_rule", &bare).await;
    assert_eq!(code, 200, "{said}");
    let r = store
        .trust_rule_for("initech", "https://idp.initech.test", API)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.mappings.as_str(), r.lifetime, r.delegation_only),
        ("[]", None, false)
    );

    // The issuer's row: an auditor may not touch it; an operator disables it at once.
    let state = |enabled: &'static str| {
        [
            ("partner", "initech"),
            ("issuer", "https://idp.initech.test"),
            ("enabled", enabled),
        ]
    };
    let (code, _) = call(s, &audrey, "set_issuer_state", &state("false")).await;
    assert_eq!(code, 403);
    let (code, said) = call(s, &olga, "set_issuer_state", &state("false")).await;
    assert_eq!(code, 200, "{said}");
    let (_, page) = call(s, &audrey, "trust_overview", &[("partner", "initech")]).await;
    assert_eq!(page["issuers"][0]["enabled"], false);
    let (code, said) = call(s, &olga, "set_issuer_state", &state("true")).await;
    assert_eq!(code, 200, "{said}");
    let (_, page) = call(s, &audrey, "trust_overview", &[("partner", "initech")]).await;
    assert_eq!(
        page["issuers"][0]["enabled"], true,
        "a sandbox partner's issuer needs no approval"
    );
    // Item 6: the issuer's row edits what the CLI's `issuer update` does: whether its access
    // tokens come typed JWT. An auditor may not; the overview shows it.
    let typed = |v: &'static str| {
        [
            ("partner", "initech"),
            ("issuer", "https://idp.initech.test"),
            ("typed_jwt", v),
        ]
    };
    assert_eq!(page["issuers"][0]["typed_jwt"], false);
    let (code, _) = call(s, &audrey, "set_issuer_typed_jwt", &typed("true")).await;
    assert_eq!(code, 403);
    let (code, said) = call(s, &olga, "set_issuer_typed_jwt", &typed("maybe")).await;
    assert_eq!(code, 400, "{said}");
    let (code, said) = call(s, &olga, "set_issuer_typed_jwt", &typed("true")).await;
    assert_eq!(code, 200, "{said}");
    let (_, page) = call(s, &audrey, "trust_overview", &[("partner", "initech")]).await;
    assert_eq!(page["issuers"][0]["typed_jwt"], true, "{page}");
    let initech = store.partner_by_slug("initech").await.unwrap();
    assert!(
        store
            .trusted_issuer(&initech.id, "https://idp.initech.test")
            .await
            .unwrap()
            .access_tokens_typed_jwt
    );

    // What is acted on is settled before the input is judged: a partner or client that is not
    // there is "not found" whatever else was sent.
    let (code, _) = call(
        s,
        &olga,
        "set_issuer_state",
        &[
            ("partner", "nobody"),
            ("issuer", "https://idp.initech.test"),
            ("enabled", "maybe"),
        ],
    )
    .await;
    assert_eq!(code, 404);
    let (code, _) = call(
        s,
        &olga,
        "console_set_client_enabled",
        &[("client_id", "cl_nobody"), ("enabled", "maybe")],
    )
    .await;
    assert_eq!(code, 404);
}
