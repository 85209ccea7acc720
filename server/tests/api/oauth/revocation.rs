//! After issuance: introspection is bound to the audience, revocation takes effect at once (and
//! is rate limited, repeats writing nothing), and catalog changes reach the server within a second.

use super::*;

on_both!(
    introspection_is_audience_bound,
    revocation_takes_effect_at_once,
    changes_reach_the_server_within_a_second,
    revocation_is_limited_and_repeats_write_nothing,
);

async fn introspection_is_audience_bound(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let other = s.resource_server(OTHER_API).await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = s.introspect(&rs, &token).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["scope"], "orders:read");
    assert_eq!(v["client_id"], c.id.as_str());
    assert_eq!(v["aud"], API);
    assert_eq!(v["iss"], s.base.as_str());
    // D38: a caller that is not the audience, garbage, and tampered tokens → exactly {"active":false}.
    assert_eq!(s.introspect(&other, &token).await, json!({"active": false}));
    assert_eq!(
        s.introspect(&rs, "not-a-token").await,
        json!({"active": false})
    );
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(s.introspect(&rs, &tampered).await, json!({"active": false}));
    // No caller authentication → 401; a partner's client is not a resource server → 401.
    assert_oauth_error(
        s.post_form("/oauth2/introspect", None, &[("token", &token)])
            .await,
        401,
        "invalid_client",
    )
    .await;
    assert_oauth_error(
        s.post_form("/oauth2/introspect", Some(&c), &[("token", &token)])
            .await,
        401,
        "invalid_client",
    )
    .await;
    let r = s
        .post_form("/oauth2/introspect", Some(&rs), &[("token", &token)])
        .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
}

async fn revocation_takes_effect_at_once(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let other = s.secret_client("globex", "orders:read").await;
    let rs = s.resource_server(API).await;
    let t1 = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let t2 = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another client's revocation of t2: 200, no effect (D37).
    let r = s
        .post_form("/oauth2/revoke", Some(&other), &[("token", &t2)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.introspect(&rs, &t2).await["active"], true);
    let r = s
        .post_form(
            "/oauth2/revoke",
            Some(&c),
            &[("token", &t1), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        s.introspect(&rs, &t1).await,
        json!({"active": false}),
        "revocation is visible at once"
    );
    assert_eq!(s.introspect(&rs, &t2).await["active"], true);
    // Unknown tokens are fine (RFC 7009 §2.2); unauthenticated revocation is not.
    assert_eq!(
        s.post_form("/oauth2/revoke", Some(&c), &[("token", "garbage")])
            .await
            .status(),
        200
    );
    assert_oauth_error(
        s.post_form("/oauth2/revoke", None, &[("token", &t2)]).await,
        401,
        "invalid_client",
    )
    .await;
    let audit = s.state.store.recent_audit_events(50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "token.revoke"));
}

async fn changes_reach_the_server_within_a_second(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read orders:write").await;
    let ask = || {
        s.post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "orders:write"),
            ],
        )
    };
    assert_oauth_error(ask().await, 400, "invalid_scope").await;
    // Widen the grant directly in the database, as another process (CLI, replica) would.
    s.state
        .store
        .set_grant(
            &entente_store::Actor::new("other-process"),
            "acme",
            API,
            &entente_domain::ScopeSet::parse("orders:read orders:write").unwrap(),
            now(),
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let r = ask().await;
        if r.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "change not applied within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Review L-3: revoking a token already revoked writes nothing (no audit row, no change-feed
/// entry) and opens no transaction; `/oauth2/revoke` counts against the client's token-endpoint
/// limit and answers 429 with Retry-After over it.
async fn revocation_is_limited_and_repeats_write_nothing(s: &TestServer) {
    use entente_domain::rate_limit::{Rate, Setting};
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revocations = move || async move {
        s.state
            .store
            .recent_audit_events(200)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "token.revoke")
            .count()
    };
    let r = s
        .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
        .await;
    assert_eq!(r.status(), 200);
    let audited = revocations().await;
    assert_eq!(audited, 1);
    let feed = s.state.store.latest_change().await.unwrap();
    for _ in 0..3 {
        let r = s
            .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
            .await;
        assert_eq!(r.status(), 200);
    }
    // A repeat opens no transaction at all: while another connection holds the write lock
    // (SQLite) or every lock on the revocations, reads included (PostgreSQL), repeats still
    // answer at once. A handler that began a write, or even read the table, would wait for it.
    {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let side = sea_orm::Database::connect(s.db.url.as_str()).await.unwrap();
        let held = if s.db.url.starts_with("sqlite") {
            side.begin_with_options(sea_orm::TransactionOptions {
                sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
                ..Default::default()
            })
            .await
            .unwrap()
        } else {
            let t = side.begin().await.unwrap();
            t.execute_unprepared("LOCK TABLE revoked_tokens IN ACCESS EXCLUSIVE MODE")
                .await
                .unwrap();
            t
        };
        for _ in 0..3 {
            let r = tokio::time::timeout(
                std::time::Duration::from_secs(2),
                s.post_form("/oauth2/revoke", Some(&c), &[("token", &token)]),
            )
            .await
            .expect("a repeated revocation waited for a database lock");
            assert_eq!(r.status(), 200);
        }
        held.rollback().await.unwrap();
    }
    // And through the store itself (as a replica that has not heard of it yet would).
    let jti = decode_part(&token, 1)["jti"].as_str().unwrap().to_owned();
    s.state
        .store
        .revoke_token(&entente_store::Actor::new("test"), &jti, now() + 300, now())
        .await
        .unwrap();
    assert_eq!(revocations().await, audited, "no audit row for a repeat");
    assert_eq!(
        s.state.store.latest_change().await.unwrap(),
        feed,
        "no change-feed entry for a repeat"
    );

    // Over its limit, the client is refused at the revocation endpoint too.
    s.state
        .store
        .set_rate_limit(
            &entente_store::Actor::new("test"),
            &entente_store::limits::Subject::Client {
                partner_slug: Some("acme".into()),
                client_id: c.id.clone(),
            },
            Some(&Setting::Custom(Rate {
                per_second: 1,
                burst: 3,
            })),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let mut statuses = vec![];
    let mut refused = None;
    for _ in 0..10 {
        let r = s
            .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refused = Some(r);
        }
    }
    assert!(statuses.starts_with(&[200, 200]), "{statuses:?}");
    let refused = refused.unwrap_or_else(|| panic!("never refused: {statuses:?}"));
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.headers().contains_key("ratelimit-policy"));
    assert_oauth_error(refused, 429, "slow_down").await;
}
