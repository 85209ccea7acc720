//! Configuration as code with the real binary: export, plan (exit 0 / 2 / 1), apply in one
//! transaction, and export → apply on an empty database → export gives the same document.

use std::process::{Command, Output};

use crate::common::{API, Backend, OTHER_API, TestDb, TestServer};
use entente_domain::ScopeSet;
use entente_domain::lifecycle::Stage;
use entente_domain::onboarding::{Contact, PartnerRecord};
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewPartner};
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};

const JWKS: &str = r#"{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","use":"sig","alg":"ES256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;

fn entente(db_url: &str, master: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entente"))
        .args(args)
        .env("ENTENTE_DATABASE_URL", db_url)
        .env("ENTENTE_MASTER_KEY", master)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A sandbox-only catalog with one of everything configuration carries.
async fn build_catalog(s: &TestServer) {
    let st = &s.state.store;
    let a = Actor::new("test");
    let now = entente_server::state::now();
    for (identifier, scopes) in [
        (API, vec!["orders:read", "orders:write"]),
        (OTHER_API, vec!["bill:read"]),
    ] {
        st.create_audience(
            &a,
            NewAudience {
                identifier: identifier.into(),
                name: identifier.trim_start_matches("https://").into(),
                scopes: scopes.into_iter().map(str::to_owned).collect(),
                token_lifetime: 600,
                environment: Default::default(),
            },
            now,
        )
        .await
        .unwrap();
    }
    st.set_scope_info(&a, API, "orders:write", "Place orders", "high", now)
        .await
        .unwrap();
    for (slug, stage) in [
        ("acme", Stage::Sandbox),
        ("initech", Stage::Applied),
        ("umbrella", Stage::Sandbox),
    ] {
        st.create_partner(
            &a,
            NewPartner {
                slug: slug.into(),
                name: format!("{slug} Inc"),
                stage,
            },
            now,
        )
        .await
        .unwrap();
    }
    st.suspend_partner(&a, "umbrella", "security review", now)
        .await
        .unwrap();
    let mut record = PartnerRecord {
        legal_name: "Acme Corporation".into(),
        ..Default::default()
    };
    record.contacts.technical = Contact {
        name: "Tess".into(),
        email: "tess@acme.example".into(),
        phone: "+1 555 0100".into(),
    };
    st.set_partner_record(&a, "acme", record, now)
        .await
        .unwrap();
    st.set_grant(
        &a,
        "acme",
        API,
        &ScopeSet::parse("orders:read orders:write").unwrap(),
        now,
    )
    .await
    .unwrap();
    st.set_grant(
        &a,
        "acme",
        OTHER_API,
        &ScopeSet::parse("bill:read").unwrap(),
        now,
    )
    .await
    .unwrap();
    s.secret_client("acme", "orders:read").await;
    s.key_client("acme", "orders:read", JWKS).await;
    let mut issuer = NewTrustedIssuer::new("https://idp.acme.example".into(), s.base.clone());
    issuer.jwks = Some(JWKS.into());
    st.create_trusted_issuer(&a, "acme", issuer, now)
        .await
        .unwrap();
    let mut rule = NewTrustRule::new(ScopeSet::parse("orders:read orders:write").unwrap());
    rule.claims =
        entente_domain::federation::rules::parse_claim_passes("email groups=partner_groups")
            .unwrap();
    rule.mappings =
        entente_domain::federation::rules::parse_scope_mappings("groups:buyers=orders:write")
            .unwrap();
    rule.delegation = true;
    rule.max_depth = 2;
    st.set_trust_rule(&a, "acme", "https://idp.acme.example", API, rule, now)
        .await
        .unwrap();
    let rule = NewTrustRule::new(ScopeSet::parse("bill:read").unwrap());
    let r = st
        .set_trust_rule(&a, "acme", "https://idp.acme.example", OTHER_API, rule, now)
        .await
        .unwrap();
    st.set_trust_rule_enabled(&a, &r.id, false, now)
        .await
        .unwrap();
}

async fn configuration_round_trips(s: &TestServer) {
    build_catalog(s).await;
    let dir = std::env::temp_dir().join(format!("entente-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("first.yaml");
    let o = entente(
        &s.db.url,
        &s.master_b64,
        &["config", "export", "--file", first.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    let yaml = std::fs::read_to_string(&first).unwrap();
    for expected in [
        "umbrella",
        "security review",
        "Place orders",
        "groups=partner_groups",
        "private_key_jwt",
        "idp.acme.example",
        "tess@acme.example",
    ] {
        assert!(yaml.contains(expected), "{expected} is exported:\n{yaml}");
    }
    // No secret of any kind leaves the database.
    assert!(
        !yaml.contains("secret_hash") && !yaml.contains("client_secret:"),
        "{yaml}"
    );
    let o = entente(
        &s.db.url,
        &s.master_b64,
        &["config", "plan", first.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "nothing to change: {}", text(&o));
    assert!(text(&o).contains("no changes"));

    // An empty database takes the document and gives it back unchanged.
    let backend = if s.db.url.starts_with("postgres") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let empty = TestDb::new(backend).await;
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "plan", first.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "changes to make: {}", text(&o));
    assert!(
        text(&o).contains("+ partner acme (sandbox)"),
        "{}",
        text(&o)
    );
    let o = entente(
        &empty.url,
        &s.master_b64,
        &[
            "config",
            "apply",
            first.to_str().unwrap(),
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let applied: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        applied["client_secrets"].as_object().unwrap().len(),
        1,
        "the secret client's new secret, shown once"
    );
    let second = dir.join("second.yaml");
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "export", "--file", second.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read_to_string(&second).unwrap(),
        yaml,
        "export → apply → export"
    );
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "plan", first.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    // A change that widens a production partner's access fails the whole apply (nothing before
    // it lands either) unless it is filed as a change request.
    let a = Actor::new("test");
    let now = entente_server::state::now();
    empty
        .store
        .create_partner(
            &a,
            NewPartner {
                slug: "globex".into(),
                name: "Globex".into(),
                stage: Stage::Production,
            },
            now,
        )
        .await
        .unwrap();
    empty
        .store
        .create_admin(
            &a,
            "ops@example.test",
            "unused".into(),
            entente_store::enums::Role::Operator,
            now,
        )
        .await
        .unwrap();
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "export", "--file", second.to_str().unwrap()],
    );
    assert!(o.status.success());
    let before = std::fs::read_to_string(&second).unwrap();
    let globex = "slug: globex\n  name: Globex\n  stage: production\n";
    assert!(before.contains(globex), "{before}");
    let (head, tail) = before.split_at(before.find(globex).unwrap());
    let tail = tail.replacen(
        "  grants: []\n",
        &format!("  grants:\n  - audience: {API}\n    scopes:\n    - orders:read\n"),
        1,
    );
    let changed = format!("{head}{tail}").replacen(
        "name: bill:read\n",
        "name: bill:read\n    sensitivity: medium\n  - name: bill:write\n",
        1,
    );
    let third = dir.join("third.yaml");
    std::fs::write(&third, &changed).unwrap();
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "plan", third.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("+ scopes bill:write on"), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("~ grant globex → {API}: [] → [orders:read]")),
        "{}",
        text(&o)
    );
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "apply", third.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("approval"), "{}", text(&o));
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "export", "--file", second.to_str().unwrap()],
    );
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(&second).unwrap(),
        before,
        "one transaction: nothing applied"
    );
    let o = entente(
        &empty.url,
        &s.master_b64,
        &[
            "config",
            "apply",
            third.to_str().unwrap(),
            "--request-approval",
            "--as",
            "ops@example.test",
            "--reason",
            "Q3 launch",
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let out: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let outcomes: Vec<&str> = out["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["applied", "requested"], "{out}");
    let pending = empty
        .store
        .list_change_requests(&entente_store::governance::RequestFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0.requested_by, "admin:ops@example.test");
    assert_eq!(pending[0].0.reason, "Q3 launch");
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "plan", third.to_str().unwrap()],
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "the grant waits for approval: {}",
        text(&o)
    );
    // Applying the document again while its request waits finds that request.
    let first_request = out["changes"][1]["change_request"].clone();
    let o = entente(
        &empty.url,
        &s.master_b64,
        &[
            "config",
            "apply",
            third.to_str().unwrap(),
            "--request-approval",
            "--as",
            "ops@example.test",
            "--output",
            "json",
        ],
    );
    assert!(o.status.success(), "{}", text(&o));
    let again: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(again["changes"].as_array().unwrap().len(), 1, "{again}");
    assert_eq!(
        again["changes"][0]["change_request"], first_request,
        "{again}"
    );
    let pending = empty
        .store
        .list_change_requests(&entente_store::governance::RequestFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(pending.len(), 1, "no second request");
    // A malformed document is an error (exit 1), not a plan.
    std::fs::write(&third, "version: 1\npartners: [{slug: x}]\n").unwrap();
    let o = entente(
        &empty.url,
        &s.master_b64,
        &["config", "plan", third.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    empty.cleanup().await;
    std::fs::remove_dir_all(&dir).ok();
}

on_both!(configuration_round_trips);
