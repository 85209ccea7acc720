//! What comes after an exchange: jwt-bearer assertions are single use, refresh tokens rotate
//! (a reuse kills the family, fifty concurrent refreshes have one winner), and revoking the root
//! revokes every token derived from it.

use super::*;

crate::on_both!(
    jwt_bearer_assertions_are_single_use,
    refresh_tokens_rotate_and_reuse_kills_the_family,
    fifty_concurrent_refreshes_one_wins,
    revoking_the_root_revokes_every_derived_token,
);

pub async fn jwt_bearer_assertions_are_single_use(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let assertion = |extra: Value| {
        let mut c = json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": uuid()});
        merge(&mut c, extra);
        f.idp.sign(None, c)
    };
    let client = &f.client;
    let grant = |a: String| async move {
        s.post_form(
            "/oauth2/token",
            Some(client),
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &a),
                ("resource", API),
            ],
        )
        .await
    };
    let a = assertion(json!({}));
    let r = grant(a.clone()).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert!(b.get("issued_token_type").is_none(), "RFC 6749 response");
    assert!(
        claims_of(b["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .ends_with(":alice")
    );
    // B27: replay.
    assert_oauth_error(grant(a).await, 400, "invalid_grant").await;
    for bad in [
        assertion(json!({"aud": [s.base.clone(), "https://foreign.test"]})),
        assertion(json!({"jti": null})),
        assertion(json!({"exp": n + 3600})),
        f.idp.access_token(&s.base, "alice", json!({})),
    ] {
        assert_oauth_error(grant(bad).await, 400, "invalid_grant").await;
    }
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&f.client),
            &[("grant_type", JWT_BEARER), ("resource", API)],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_request").await;
}

async fn refresh(s: &TestServer, c: &Creds, rt: &str) -> reqwest::Response {
    s.post_form(
        "/oauth2/token",
        Some(c),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

pub async fn refresh_tokens_rotate_and_reuse_kills_the_family(s: &TestServer) {
    let f = setup(s).await;
    set_rule(s, API, "orders:read", |r| r.refresh = true).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt1 = b["refresh_token"].as_str().unwrap().to_owned();
    assert!(rt1.starts_with("ent_rt_"));
    let at0 = b["access_token"].as_str().unwrap().to_owned();
    // D36: another client's refresh token.
    let other = federated_client(s, "acme", "orders:read").await;
    s.refresh().await;
    assert_oauth_error(refresh(s, &other, &rt1).await, 400, "invalid_grant").await;
    let r = refresh(s, &f.client, &rt1).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    let rt2 = b["refresh_token"].as_str().unwrap().to_owned();
    let at2 = b["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(s.introspect(&f.rs, &at2).await["active"], true);
    // D33: reusing RT1 kills RT2 and every access token of the family.
    assert_oauth_error(refresh(s, &f.client, &rt1).await, 400, "invalid_grant").await;
    assert_oauth_error(refresh(s, &f.client, &rt2).await, 400, "invalid_grant").await;
    assert_eq!(s.introspect(&f.rs, &at2).await, json!({"active": false}));
    assert_eq!(s.introspect(&f.rs, &at0).await, json!({"active": false}));
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "refresh.reuse_detected"));

    // requested_token_type=refresh_token: the refresh token travels in access_token (RFC 8693 §2.2.1).
    let b = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", API),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token",
            ),
        ],
    )
    .await;
    assert_eq!(b["token_type"], "N_A");
    assert_eq!(
        b["issued_token_type"],
        "urn:ietf:params:oauth:token-type:refresh_token"
    );
    assert!(b["access_token"].as_str().unwrap().starts_with("ent_rt_"));

    // D35: the family ends with the subject token's lifetime.
    let short = f
        .idp
        .access_token(&s.base, "alice", json!({"exp": now() + 2}));
    let b = exchange_for_api(s, &f.client, &short).await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_oauth_error(
        refresh(s, &f.client, b["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    )
    .await;

    // Revoking a refresh token (RFC 7009) ends its family.
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt = b["refresh_token"].as_str().unwrap();
    let r = s
        .post_form(
            "/oauth2/revoke",
            Some(&f.client),
            &[("token", rt), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_oauth_error(refresh(s, &f.client, rt).await, 400, "invalid_grant").await;
    assert_eq!(
        s.introspect(&f.rs, b["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

pub async fn fifty_concurrent_refreshes_one_wins(s: &TestServer) {
    let f = setup(s).await;
    set_rule(s, API, "orders:read", |r| r.refresh = true).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt = b["refresh_token"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let http = s.http.clone();
            let url = s.url("/oauth2/token");
            let (id, secret, rt) = (f.client.id.clone(), f.client.secret.clone(), rt.clone());
            tokio::spawn(async move {
                http.post(url)
                    .basic_auth(id, Some(secret))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", rt.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent refresh succeeds (D34)");
}

pub async fn revoking_the_root_revokes_every_derived_token(s: &TestServer) {
    let f = setup(s).await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"groups": ["admins"]}));
    let e1 = exchange_for_api(s, &f.client, &pt).await;
    let t1 = e1["access_token"].as_str().unwrap().to_owned();
    // Down-scoping Entente's own token (B21: ∩ the subject token's scope).
    let e2 = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &t1),
            ("subject_token_type", AT),
            ("audience", API),
            ("scope", "orders:read"),
        ],
    )
    .await;
    assert_eq!(e2["scope"], "orders:read");
    let t2 = e2["access_token"].as_str().unwrap().to_owned();
    let e3 = exchange_for_api(s, &f.client, &t2).await;
    assert_eq!(e3["scope"], "orders:read", "never widened back");
    let t3 = e3["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&t3)["sub"], claims_of(&t1)["sub"]);
    for t in [&t1, &t2, &t3] {
        assert_eq!(s.introspect(&f.rs, t).await["active"], true);
    }
    // Revoke the middle one: its descendant dies, its ancestor lives.
    let r = s
        .post_form("/oauth2/revoke", Some(&f.client), &[("token", &t2)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.introspect(&f.rs, &t1).await["active"], true);
    assert_eq!(s.introspect(&f.rs, &t3).await["active"], false);
    // Revoke the root: everything is gone at once.
    s.post_form("/oauth2/revoke", Some(&f.client), &[("token", &t1)])
        .await;
    for t in [&t1, &t2, &t3] {
        assert_eq!(s.introspect(&f.rs, t).await, json!({"active": false}));
    }
    // A revoked token cannot be exchanged any more.
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &t1),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;

    // Revoking a partner subject reaches tokens derived from any of its partner tokens,
    // through the change feed (as another replica would see it, D37).
    let pb = f.idp.access_token(&s.base, "bob", json!({}));
    let b1 = exchange_for_api(s, &f.client, &pb).await;
    let bt = b1["access_token"].as_str().unwrap().to_owned();
    let b2 = exchange_for_api(s, &f.client, &bt).await;
    let key = entente_domain::federation::subject::subject_key(IDP, "bob");
    s.state
        .store
        .revoke_mark(&Actor::new("test"), &key, now() + 3600, now())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(s.introspect(&f.rs, &bt).await["active"], false);
    assert_eq!(
        s.introspect(&f.rs, b2["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
    // Revoking a client reaches what other clients derived from its tokens.
    let pc = f.idp.access_token(&s.base, "carol", json!({}));
    let c1 = exchange_for_api(s, &f.client, &pc).await;
    let other = federated_client(s, "acme", "orders:read").await;
    s.refresh().await;
    let c2 = exchange_for_api(s, &other, c1["access_token"].as_str().unwrap()).await;
    let ck = entente_domain::federation::subject::client_key(&f.client.id);
    s.state
        .store
        .revoke_mark(&Actor::new("test"), &ck, now() + 3600, now())
        .await
        .unwrap();
    s.refresh().await;
    assert_eq!(
        s.introspect(&f.rs, c2["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}
