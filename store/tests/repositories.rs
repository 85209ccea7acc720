//! Repository behaviour on both databases: every test runs on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use entente_domain::ScopeSet;
use entente_domain::keyring::KeyState;
use entente_domain::lifecycle::Stage;
use entente_store::catalog::{ClientAuth, ClientKind, NewAudience, NewClient, NewPartner};
use entente_store::entities::signing_key;
use entente_store::testing::{Backend, TestDb};
use entente_store::{Actor, StoreError};

macro_rules! both {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            use super::*;
            #[tokio::test]
            async fn sqlite() {
                let db = TestDb::new(Backend::Sqlite).await;
                super::$name(&db).await;
                db.cleanup().await;
            }
            #[tokio::test]
            async fn postgres() {
                let db = TestDb::new(Backend::Postgres).await;
                super::$name(&db).await;
                db.cleanup().await;
            }
        }
    )* };
}

fn actor() -> Actor {
    Actor::new("test")
}

async fn seed(db: &TestDb) -> (String, String) {
    let s = &db.store;
    let p = s
        .create_partner(
            &actor(),
            NewPartner {
                slug: "acme".into(),
                name: "Acme Corp".into(),
                stage: Stage::Production,
            },
            100,
        )
        .await
        .unwrap();
    let a = s
        .create_audience(
            &actor(),
            NewAudience {
                identifier: "https://api.example.test".into(),
                name: "Orders".into(),
                scopes: vec!["orders:read".into(), "orders:write".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            100,
        )
        .await
        .unwrap();
    (p.id, a.id)
}

async fn partners_audiences_and_grants(db: &TestDb) {
    let s = &db.store;
    let (pid, aid) = seed(db).await;
    let dup = s
        .create_partner(
            &actor(),
            NewPartner {
                slug: "acme".into(),
                name: "Other".into(),
                stage: Stage::Production,
            },
            101,
        )
        .await;
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    let bad = s
        .create_partner(
            &actor(),
            NewPartner {
                slug: "Bad Slug".into(),
                name: "x".into(),
                stage: Stage::Production,
            },
            101,
        )
        .await;
    assert!(matches!(bad, Err(StoreError::Invalid(_))));

    let g = s
        .set_grant(
            &actor(),
            "acme",
            "https://api.example.test",
            &ScopeSet::parse("orders:read").unwrap(),
            102,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            g.partner_id.as_str(),
            g.audience_id.as_str(),
            g.scopes.as_str()
        ),
        (pid.as_str(), aid.as_str(), "orders:read")
    );
    let g = s
        .set_grant(
            &actor(),
            "acme",
            "https://api.example.test",
            &ScopeSet::parse("orders:read orders:write").unwrap(),
            103,
        )
        .await
        .unwrap();
    assert_eq!(g.scopes, "orders:read orders:write");
    let unknown = s
        .set_grant(
            &actor(),
            "acme",
            "https://api.example.test",
            &ScopeSet::parse("admin").unwrap(),
            104,
        )
        .await;
    assert!(matches!(unknown, Err(StoreError::Invalid(_))));

    let auds = s.list_audiences().await.unwrap();
    assert_eq!(auds.len(), 1);
    assert_eq!(
        auds[0]
            .1
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["orders:read", "orders:write"]
    );
    let audit = s.recent_audit_events(10).await.unwrap();
    assert_eq!(
        audit.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        [
            "grant.set",
            "grant.set",
            "audience.create",
            "partner.create"
        ]
    );
    assert!(s.latest_change().await.unwrap() >= 4);
}

async fn clients_secrets_rotate_and_expire(db: &TestDb) {
    let s = &db.store;
    let (pid, _) = seed(db).await;
    let c = s
        .create_client(
            &actor(),
            NewClient {
                kind: ClientKind::Partner,
                partner_id: Some(pid.clone()),
                audience_id: None,
                name: "backend".into(),
                auth_method: ClientAuth::ClientSecret,
                grant_types: vec!["client_credentials".into()],
                allowed_scopes: ScopeSet::parse("orders:read").unwrap(),
                secret_hash: Some(vec![1; 32]),
                jwks: None,
                jwks_uri: None,
                environment: None,
                owner: Some("owner@example.test".into()),
            },
            "cid-1".into(),
            200,
        )
        .await
        .unwrap();
    assert_eq!(c.partner_id.as_deref(), Some(pid.as_str()));
    assert_eq!(
        s.client("cid-1").await.unwrap().owner.as_deref(),
        Some("owner@example.test")
    );
    s.rotate_client_secret(&actor(), "cid-1", vec![2; 32], 60, 300)
        .await
        .unwrap();
    let cat = s.load_catalog(330).await.unwrap();
    assert_eq!(cat.secrets.len(), 2, "old secret valid during grace");
    let cat = s.load_catalog(361).await.unwrap();
    assert_eq!(
        cat.secrets
            .iter()
            .map(|x| x.hash.clone())
            .collect::<Vec<_>>(),
        vec![vec![2u8; 32]]
    );
    assert_eq!(s.list_clients(Some(&pid)).await.unwrap().len(), 1);
}

async fn replay_cache_and_revocations(db: &TestDb) {
    let s = &db.store;
    assert!(s.remember_assertion("c", "j1", 500).await.unwrap());
    assert!(
        !s.remember_assertion("c", "j1", 500).await.unwrap(),
        "replay must be detected"
    );
    assert!(
        s.remember_assertion("d", "j1", 500).await.unwrap(),
        "jti is scoped per client"
    );
    s.revoke_token(&actor(), "t1", 1000, 10).await.unwrap();
    s.revoke_token(&actor(), "t1", 1000, 11).await.unwrap();
    assert_eq!(s.live_revocations(999).await.unwrap().len(), 1);
    assert_eq!(s.live_revocations(1000).await.unwrap().len(), 0);
    assert_eq!(
        s.purge_expired(2000).await.unwrap(),
        2 + 1,
        "two replay rows and one revocation"
    );
}

async fn signing_key_moves_are_conditional(db: &TestDb) {
    let s = &db.store;
    let key = signing_key::Model {
        kid: "k1".into(),
        algorithm: "ES256".into(),
        state: entente_store::enums::KeyStateColumn::Pending,
        private_sealed: vec![9; 40],
        public_jwk: "{}".into(),
        created_at: 1,
        state_since: 1,
        environment: entente_store::enums::EnvironmentColumn::Production,
    };
    s.insert_signing_key(&actor(), key, 1).await.unwrap();
    assert!(
        s.move_signing_key(&actor(), "k1", KeyState::Pending, KeyState::Active, 5)
            .await
            .unwrap()
    );
    assert!(
        !s.move_signing_key(&actor(), "k1", KeyState::Pending, KeyState::Active, 6)
            .await
            .unwrap(),
        "second mover loses"
    );
    let keys = s.signing_keys().await.unwrap();
    assert_eq!(
        (keys[0].state, keys[0].state_since),
        (entente_store::enums::KeyStateColumn::Active, 5)
    );
    let feed = s.changes_since(0).await.unwrap();
    assert_eq!(feed.topics, vec!["keys".to_string()]);
}

async fn invites_are_single_use_and_expire(db: &TestDb) {
    let s = &db.store;
    s.create_invite(vec![7; 32], entente_store::enums::Role::Admin, 1000)
        .await
        .unwrap();
    assert!(s.invite_valid(&[7; 32], 999).await.unwrap());
    assert!(!s.invite_valid(&[7; 32], 1000).await.unwrap());
    assert!(
        matches!(
            s.accept_invite(&[7; 32], "a@b.test", "h".into(), 1000)
                .await,
            Err(StoreError::NotFound(_))
        ),
        "expired"
    );
    s.create_invite(vec![8; 32], entente_store::enums::Role::Admin, 1000)
        .await
        .unwrap();
    let a = s
        .accept_invite(&[8; 32], "Root@Example.test", "h".into(), 10)
        .await
        .unwrap();
    assert_eq!(a.email, "root@example.test");
    assert!(
        s.accept_invite(&[8; 32], "other@example.test", "h".into(), 11)
            .await
            .is_err(),
        "second use"
    );
    assert_eq!(s.count_admins().await.unwrap(), 1);
    assert!(
        s.admin_by_email("ROOT@example.test")
            .await
            .unwrap()
            .is_some()
    );
}

async fn sessions_round_trip(db: &TestDb) {
    let s = &db.store;
    assert!(s.session_create("s1", "{}".into(), 100).await.unwrap());
    assert!(!s.session_create("s1", "{}".into(), 100).await.unwrap());
    s.session_save("s1", "{\"a\":1}".into(), 200).await.unwrap();
    assert_eq!(
        s.session_load("s1", 150).await.unwrap().as_deref(),
        Some("{\"a\":1}")
    );
    assert_eq!(s.session_load("s1", 200).await.unwrap(), None);
    s.session_delete("s1").await.unwrap();
    assert_eq!(s.session_load("s1", 0).await.unwrap(), None);
}

/// The catalog read decodes its rows by position from a select of some columns: every field
/// must come back as the store wrote it, on both databases.
async fn the_catalog_read_holds_what_was_written(db: &TestDb) {
    use entente_store::client_keys::ClientKeys;
    use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
    let s = &db.store;
    let (pid, aid) = seed(db).await;
    let scopes = ScopeSet::parse("orders:read orders:write").unwrap();
    s.set_grant(&actor(), "acme", "https://api.example.test", &scopes, 101)
        .await
        .unwrap();
    let secret_client = s
        .create_client(
            &actor(),
            NewClient::partner_secret(
                pid.clone(),
                "backend".into(),
                ScopeSet::parse("orders:read").unwrap(),
                vec!["client_credentials".into(), "refresh_token".into()],
                vec![7; 32],
            ),
            "cid-secret".into(),
            102,
        )
        .await
        .unwrap();
    let key =
        entente_domain::keys::generate(entente_domain::keys::SigningAlgorithm::Es256).unwrap();
    let doc = serde_json::json!({"keys": [key.public_jwk]}).to_string();
    let key_client = s
        .create_client(
            &actor(),
            NewClient::partner_key(
                pid.clone(),
                "signer".into(),
                scopes.clone(),
                vec!["client_credentials".into()],
                ClientKeys::Document(doc.clone()),
            ),
            "cid-key".into(),
            103,
        )
        .await
        .unwrap();
    // Three issuers, each with a rule whose flags differ from the others' so that every flag
    // has its own pattern across the three: a column read into the wrong field shows.
    let mut written = vec![];
    for (n, (pairwise, delegation, delegation_only, refresh)) in [
        (false, true, true, true),
        (true, false, false, true),
        (true, true, false, false),
    ]
    .into_iter()
    .enumerate()
    {
        let issuer = format!("https://idp{n}.acme.test");
        let mut new = NewTrustedIssuer::new(issuer.clone(), "https://entente.test".into());
        new.jwks = Some(doc.clone());
        new.algorithms = "ES256".into();
        new.max_age = 600 + n as i64;
        new.skew = 30 + n as i64;
        let i = s
            .create_trusted_issuer(&actor(), "acme", new, 104)
            .await
            .unwrap();
        let mut rule = NewTrustRule::new(scopes.clone());
        rule.pairwise = pairwise;
        rule.delegation = delegation;
        rule.delegation_only = delegation_only;
        rule.max_depth = 2;
        rule.refresh = refresh;
        rule.lifetime = Some(120);
        rule.claims = vec![entente_domain::federation::ClaimPass {
            from: "email".into(),
            to: "email".into(),
        }];
        let r = s
            .set_trust_rule(
                &actor(),
                "acme",
                &issuer,
                "https://api.example.test",
                rule,
                105,
            )
            .await
            .unwrap();
        written.push((i, r, (pairwise, delegation, delegation_only, refresh)));
    }

    let cat = s.load_catalog(106).await.unwrap();
    let p = &cat.partners[0];
    let partner = s.partner_by_id(&pid).await.unwrap();
    assert_eq!(
        (p.id.as_str(), p.slug.as_str(), p.enabled, p.stage),
        (pid.as_str(), "acme", true, partner.stage)
    );
    let g = &cat.grants[0];
    assert_eq!(
        (
            g.partner_id.as_str(),
            g.audience_id.as_str(),
            g.scopes.as_str()
        ),
        (pid.as_str(), aid.as_str(), "orders:read orders:write")
    );
    for model in [&secret_client, &key_client] {
        let c = cat
            .clients
            .iter()
            .find(|c| c.client_id == model.client_id)
            .unwrap();
        assert_eq!(
            (
                c.kind,
                &c.partner_id,
                &c.audience_id,
                c.auth_method,
                &c.grant_types,
                &c.allowed_scopes,
                c.enabled,
                c.environment,
            ),
            (
                model.kind,
                &model.partner_id,
                &model.audience_id,
                model.auth_method,
                &model.grant_types,
                &model.allowed_scopes,
                model.enabled,
                model.environment,
            )
        );
    }
    let secret = &cat.secrets[0];
    assert_eq!(
        (secret.client_id.as_str(), &secret.hash, secret.expires_at),
        ("cid-secret", &vec![7u8; 32], None)
    );
    let keys = &cat.jwks[0];
    assert_eq!(
        (keys.client_id.as_str(), &keys.jwks, &keys.jwks_uri),
        ("cid-key", &doc, &None)
    );
    assert_eq!((cat.trusted_issuers.len(), cat.trust_rules.len()), (3, 3));
    for (n, (issuer, rule, flags)) in written.iter().enumerate() {
        let i = cat
            .trusted_issuers
            .iter()
            .find(|i| i.id == issuer.id)
            .unwrap();
        let r = cat.trust_rules.iter().find(|r| r.id == rule.id).unwrap();
        // (Tuples of more than 12 compare only in parts.)
        assert_eq!(
            (
                &i.id,
                &i.partner_id,
                &i.issuer,
                &i.jwks_uri,
                &i.jwks,
                &i.algorithms,
                &i.audiences,
            ),
            (
                &issuer.id,
                &issuer.partner_id,
                &issuer.issuer,
                &issuer.jwks_uri,
                &issuer.jwks,
                &issuer.algorithms,
                &issuer.audiences,
            )
        );
        assert_eq!(
            (
                &i.kinds,
                i.max_age,
                i.skew,
                &i.subject_claim,
                i.access_tokens_typed_jwt,
                i.enabled,
            ),
            (
                &issuer.kinds,
                issuer.max_age,
                issuer.skew,
                &issuer.subject_claim,
                issuer.access_tokens_typed_jwt,
                issuer.enabled,
            )
        );
        assert_eq!(
            (
                &r.id,
                &r.partner_id,
                &r.issuer_id,
                &r.audience_id,
                &r.scopes,
                &r.claims,
                &r.mappings,
            ),
            (
                &rule.id,
                &rule.partner_id,
                &rule.issuer_id,
                &rule.audience_id,
                &rule.scopes,
                &rule.claims,
                &rule.mappings,
            )
        );
        assert_eq!(
            (
                r.pairwise,
                r.delegation,
                r.max_depth,
                r.delegation_only,
                r.refresh,
                r.lifetime,
                r.refresh_lifetime,
                r.enabled,
            ),
            (
                rule.pairwise,
                rule.delegation,
                rule.max_depth,
                rule.delegation_only,
                rule.refresh,
                rule.lifetime,
                rule.refresh_lifetime,
                rule.enabled,
            )
        );
        // Written values, not only equal ones: a column read into the wrong field would differ.
        let n = n as i64;
        assert_eq!((i.max_age, i.skew), (600 + n, 30 + n));
        assert_eq!((r.max_depth, r.lifetime), (2, Some(120)));
        assert_eq!(
            (r.pairwise, r.delegation, r.delegation_only, r.refresh),
            *flags
        );
        assert!(r.enabled && i.enabled && !i.access_tokens_typed_jwt);
    }
}

both!(
    partners_audiences_and_grants,
    clients_secrets_rotate_and_expire,
    the_catalog_read_holds_what_was_written,
    replay_cache_and_revocations,
    signing_key_moves_are_conditional,
    invites_are_single_use_and_expire,
    sessions_round_trip,
    a_removed_scope_or_audience_strands_no_grant,
);

/// Removing a scope (or an audience) while a grant naming it is written: one of them wins, and
/// no grant is ever left naming a scope or audience that no longer exists. On PostgreSQL the
/// two race for real; the audience row's lock orders them.
async fn a_removed_scope_or_audience_strands_no_grant(db: &TestDb) {
    let s = &db.store;
    let who = actor();
    let (partner, _) = seed(db).await;
    let api = "https://api.example.test";
    for round in 0..12 {
        let x = format!("extra:{round}");
        s.add_scopes(&actor(), api, &ScopeSet::parse(&x).unwrap(), 100)
            .await
            .unwrap();
        let wanted = ScopeSet::parse(&format!("orders:read {x}")).unwrap();
        let (granted, removed) = tokio::join!(
            s.set_grant(&who, "acme", api, &wanted, 100),
            s.remove_scope(&who, api, &x, 100),
        );
        let (_, scopes) = s.audience_with_scopes(api).await.unwrap();
        let exists = scopes.iter().any(|c| c.name == x);
        let grants = s.grants_of(&partner).await.unwrap();
        let holds = grants
            .iter()
            .any(|(_, g)| g.split_whitespace().any(|t| t == x));
        assert_eq!(
            exists, holds,
            "round {round}: scope kept {exists}, grant names it {holds}"
        );
        assert!(
            granted.is_ok() != removed.is_ok(),
            "round {round}: exactly one wins"
        );
        // Take the scope out of the grant again for the next round.
        s.set_grant(
            &actor(),
            "acme",
            api,
            &ScopeSet::parse("orders:read").unwrap(),
            100,
        )
        .await
        .unwrap();
    }
    for round in 0..6 {
        let other = format!("https://other{round}.example.test");
        s.create_audience(
            &actor(),
            NewAudience {
                identifier: other.clone(),
                name: "Other".into(),
                scopes: vec!["o:read".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            100,
        )
        .await
        .unwrap();
        let o_read = ScopeSet::parse("o:read").unwrap();
        let (granted, deleted) = tokio::join!(
            s.set_grant(&who, "acme", &other, &o_read, 100),
            s.delete_audience(&who, &other, 100),
        );
        let exists = s.audience_by_identifier(&other).await.is_ok();
        assert_eq!(
            exists,
            granted.is_ok(),
            "round {round}: audience kept only for a grant"
        );
        assert!(
            granted.is_ok() != deleted.is_ok(),
            "round {round}: exactly one wins"
        );
    }
}
