//! A partner's own clients in the portal: partner admins create sandbox clients within their
//! grants (G51), rotate secrets with an overlap, and disable a client, whose tokens die at once.

use super::*;

crate::on_both!(
    partner_admins_manage_sandbox_clients_within_their_grants,
    secrets_rotate_with_an_overlap,
    a_disabled_client_loses_its_tokens_at_once,
);

/// G51 in the portal: a new client is a sandbox client with scopes the partner holds on sandbox
/// audiences and the offered grant types only; viewers create nothing.
async fn partner_admins_manage_sandbox_clients_within_their_grants(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    let create = || {
        let pat = pat.clone();
        async move {
            call(
                s,
                &pat,
                "portal_create_client",
                &[
                    ("name", "backend"),
                    ("scopes", "orders:read"),
                    ("token_exchange", "on"),
                ],
            )
            .await
        }
    };
    // Token exchange only once an administrator has set a trust rule for the partner.
    let (code, refused) = create().await;
    assert_eq!(code, 400, "{refused}");
    assert!(refused.to_string().contains("trust rule"), "{refused}");
    let idp = crate::fed::Idp::new(crate::fed::IDP);
    crate::fed::add_issuer(s, "acme", &idp, None).await;
    crate::fed::set_rule(s, SANDBOX_API, "orders:read", |_| {}).await;
    let (code, created) = create().await;
    assert_eq!(code, 200, "{created}");
    assert_eq!(
        created["token_endpoint"],
        format!("{}/sandbox/oauth2/token", s.base)
    );
    let creds = Creds {
        id: created["client_id"].as_str().unwrap().into(),
        secret: created["client_secret"].as_str().unwrap().into(),
    };
    let stored = s.state.store.client(&creds.id).await.unwrap();
    assert_eq!(Environment::from(stored.environment), Environment::Sandbox);
    assert_eq!(
        stored.grant_types,
        "client_credentials urn:ietf:params:oauth:grant-type:token-exchange"
    );
    let r = s
        .post_form(
            "/sandbox/oauth2/token",
            Some(&creds),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await;
    assert_eq!(r.status(), 200, "the new client works at once");
    // Scopes it does not hold in the sandbox (a production grant, or none), reserved scopes,
    // and grant types beyond the offered ones are refused.
    for scopes in [
        "orders:write",
        "orders:read entente:admin",
        "nothing:here",
        "",
    ] {
        let (code, answer) = call(
            s,
            &pat,
            "portal_create_client",
            &[("name", "x"), ("scopes", scopes)],
        )
        .await;
        // A reserved scope is forbidden outright; the others are not the partner's to take.
        let refusal = if scopes.contains("entente:") {
            403
        } else {
            400
        };
        assert_eq!(code, refusal, "{scopes}: {answer}");
    }
    let (code, _) = call(
        s,
        &pat,
        "portal_create_client",
        &[
            ("name", "x"),
            ("scopes", "orders:read"),
            ("grant_types", "refresh_token"),
            ("environment", "production"),
        ],
    )
    .await;
    assert_eq!(code, 200, "unknown fields are ignored");
    let (_, clients) = call(s, &pat, "portal_clients", &[]).await;
    for c in clients["clients"].as_array().unwrap() {
        assert_eq!(c["environment"], "sandbox", "{c}");
        assert!(
            !c["grant_types"].to_string().contains("refresh_token"),
            "{c}"
        );
    }
    let (code, _) = call(
        s,
        &vic,
        "portal_create_client",
        &[("name", "x"), ("scopes", "orders:read")],
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = call(s, &vic, "portal_clients", &[]).await;
    assert_eq!(code, 200);
}

/// A rotated secret: the old one keeps working for the chosen overlap, or stops at once.
async fn secrets_rotate_with_an_overlap(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let old = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let works = |c: Creds| async move {
        s.post_form(
            "/sandbox/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await
        .status()
            == 200
    };
    let copy = |c: &Creds| Creds {
        id: c.id.clone(),
        secret: c.secret.clone(),
    };
    let (code, r) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", &old.id), ("overlap", "3600")],
    )
    .await;
    assert_eq!(code, 200, "{r}");
    assert!(r["note"].as_str().unwrap().contains("1 hour"), "{r}");
    let new = Creds {
        id: old.id.clone(),
        secret: r["client_secret"].as_str().unwrap().into(),
    };
    assert!(
        works(copy(&old)).await && works(copy(&new)).await,
        "both work during the overlap"
    );
    let (code, r) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", &old.id), ("overlap", "0")],
    )
    .await;
    assert_eq!(code, 200, "{r}");
    let newest = Creds {
        id: old.id.clone(),
        secret: r["client_secret"].as_str().unwrap().into(),
    };
    assert!(!works(copy(&old)).await && !works(copy(&new)).await && works(newest).await);
    let (code, _) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", &old.id), ("overlap", "604801")],
    )
    .await;
    assert_eq!(code, 400, "a partner's overlap is at most 7 days");

    // When an overlap ends, the old secret stops at once, with nothing else changing (no
    // catalog reload): a 1-second overlap, then 2 seconds.
    let (code, r) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", &old.id), ("overlap", "0")],
    )
    .await;
    assert_eq!(code, 200);
    let current = Creds {
        id: old.id.clone(),
        secret: r["client_secret"].as_str().unwrap().into(),
    };
    let next = entente_domain::secret::generate_secret();
    s.state
        .store
        .rotate_client_secret(
            &Actor::new("test"),
            &old.id,
            s.state.hasher.hash(&next),
            1,
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    assert!(works(copy(&current)).await, "inside the overlap");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(!works(copy(&current)).await, "the overlap has ended");
    assert!(
        works(Creds {
            id: old.id.clone(),
            secret: next
        })
        .await
    );
}

/// A partner admin disables a client: no new token, and the one it holds introspects inactive at
/// once; enabled again, it gets tokens, the old one stays dead. Viewers cannot; another
/// partner's client is not found (G50).
async fn a_disabled_client_loses_its_tokens_at_once(s: &TestServer) {
    two_partners(s).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let rs = s.resource_server(SANDBOX_API).await;
    s.refresh().await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    let token = |c: &Creds| {
        let c = Creds {
            id: c.id.clone(),
            secret: c.secret.clone(),
        };
        async move {
            s.post_form(
                "/sandbox/oauth2/token",
                Some(&c),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", SANDBOX_API),
                ],
            )
            .await
        }
    };
    let held: Value = token(&trial).await.json().await.unwrap();
    let held = held["access_token"].as_str().unwrap().to_owned();
    let set = |who: String, id: String, on: &'static str| async move {
        call(
            s,
            &who,
            "portal_set_client_enabled",
            &[("client_id", id.as_str()), ("enabled", on)],
        )
        .await
    };
    let (code, _) = set(vic.clone(), trial.id.clone(), "false").await;
    assert_eq!(code, 403);
    let (code, _) = set(pat.clone(), theirs.id.clone(), "false").await;
    assert_eq!(code, 404);
    assert_eq!(token(&theirs).await.status(), 200, "untouched");
    let (code, answer) = set(pat.clone(), trial.id.clone(), "false").await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(token(&trial).await.status(), 401);
    assert_eq!(
        s.introspect_at("/sandbox", &rs, &held).await["active"],
        false,
        "the token it held stops at once"
    );
    let (code, _) = set(pat.clone(), trial.id.clone(), "true").await;
    assert_eq!(code, 200);
    assert_eq!(token(&trial).await.status(), 200);
    assert_eq!(
        s.introspect_at("/sandbox", &rs, &held).await["active"],
        false
    );
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.action == "client.disable" && e.actor == "portal:pat@acme.test")
    );
}
