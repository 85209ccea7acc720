//! What partners get in the sandbox: token exchange issues sandbox tokens, sandbox partners have
//! sandbox clients only, and sandbox access never waits for approval.

use super::*;

crate::on_both!(
    exchange_in_the_sandbox_issues_sandbox_tokens,
    sandbox_partners_have_sandbox_clients_only,
    sandbox_access_never_waits_for_approval,
);

async fn exchange_in_the_sandbox_issues_sandbox_tokens(s: &TestServer) {
    let f = fed::setup(s).await;
    sandbox_audience(s).await;
    fed::set_rule(s, SANDBOX_API, "orders:read", |_| {}).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials", TX],
    )
    .await;
    let subject = f.idp.access_token("acme-rp", "alice", json!({}));
    let exchange = |c: &Creds, path: &'static str, subject: String, audience: &'static str| {
        let c = Creds {
            id: c.id.clone(),
            secret: c.secret.clone(),
        };
        async move {
            s.post_form(
                path,
                Some(&c),
                &[
                    ("grant_type", TX),
                    ("subject_token", &subject),
                    ("subject_token_type", AT),
                    ("audience", audience),
                ],
            )
            .await
        }
    };
    let r = exchange(
        &trial,
        "/sandbox/oauth2/token",
        subject.clone(),
        SANDBOX_API,
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let issued = body["access_token"].as_str().unwrap().to_owned();
    let claims = claims_of(&issued);
    assert_eq!(claims["iss"], format!("{}/sandbox", s.base));
    assert_eq!(claims["aud"], SANDBOX_API);
    assert_eq!(
        body["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );

    // Entente's own tokens cross neither way: a production token presented in the sandbox, or
    // a sandbox token in production, is refused as the other environment's (RFC 8693 §2.2.2:
    // invalid_request for an unacceptable subject token).
    let production = fed::exchange_for_api(s, &f.client, &subject).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = exchange(&trial, "/sandbox/oauth2/token", production, SANDBOX_API).await;
    let e = assert_oauth_error(r, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("other environment"),
        "{e}"
    );
    let r = exchange(&f.client, "/oauth2/token", issued.clone(), API).await;
    let e = assert_oauth_error(r, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("other environment"),
        "{e}"
    );

    // Not even registered as a partner's trusted issuer, with the sandbox's own keys and a rule:
    // the other environment's tokens are refused for what they are.
    let jwks = s
        .http
        .get(s.url("/sandbox/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Registered as such (addressed to Entente), they are refused at registration.
    for own in [s.base.clone(), format!("{}/sandbox", s.base)] {
        let mut i = entente_store::federation::NewTrustedIssuer::new(own.clone(), s.base.clone());
        i.jwks = Some(jwks.clone());
        let e = s
            .state
            .store
            .create_trusted_issuer(&Actor::new("test"), "acme", i, now())
            .await
            .expect_err(&own);
        assert!(e.to_string().contains("Entente's own issuer"), "{e}");
    }
    let mut lookalike = entente_store::federation::NewTrustedIssuer::new(
        format!("{}/sandbox", s.base),
        SANDBOX_API.into(),
    );
    lookalike.jwks = Some(jwks);
    s.state
        .store
        .create_trusted_issuer(&Actor::new("test"), "acme", lookalike, now())
        .await
        .unwrap();
    s.state
        .store
        .set_trust_rule(
            &Actor::new("test"),
            "acme",
            &format!("{}/sandbox", s.base),
            API,
            entente_store::federation::NewTrustRule::new(ScopeSet::parse("orders:read").unwrap()),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let r = exchange(&f.client, "/oauth2/token", issued, API).await;
    let e = assert_oauth_error(r, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("other environment"),
        "{e}"
    );
}

async fn sandbox_partners_have_sandbox_clients_only(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    let a = Actor::new("test");
    s.state
        .store
        .create_partner(
            &a,
            NewPartner {
                slug: "initech".into(),
                name: "Initech".into(),
                stage: Stage::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    // Unsaid, a sandbox-stage partner's client goes to the sandbox; production is refused.
    let pid = s.state.store.partner_by_slug("initech").await.unwrap().id;
    let new = |env| {
        NewClient::partner_secret(
            pid.clone(),
            "c".into(),
            ScopeSet::parse("orders:read").unwrap(),
            vec!["client_credentials".into()],
            vec![1, 2, 3],
        )
        .in_environment(env)
    };
    let m = s
        .state
        .store
        .create_client(&a, new(None), "cl_initech_default".into(), now())
        .await
        .unwrap();
    assert_eq!(Environment::from(m.environment), Environment::Sandbox);
    let e = s
        .state
        .store
        .create_client(
            &a,
            new(Some(Environment::Production)),
            "cl_initech_prod".into(),
            now(),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("sandbox clients only"), "{e}");

    // A partner in production, moved back to the sandbox, keeps only its sandbox tokens: the
    // production client stops at once and its tokens introspect inactive.
    let live = s.secret_client("acme", "orders:read").await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live_rs = s.resource_server(API).await;
    let production_token = s.token(&live, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        s.introspect(&live_rs, &production_token).await["active"],
        true
    );
    s.state
        .store
        .set_partner_stage(&a, "acme", Stage::Sandbox, now())
        .await
        .unwrap();
    s.refresh().await;
    assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&live),
            &[("grant_type", "client_credentials"), ("resource", API)],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(
        s.introspect(&live_rs, &production_token).await["active"],
        false
    );
    token_at(s, "/sandbox/oauth2/token", &trial, SANDBOX_API).await;
}

/// Four eyes guard production access: a production partner's grant on a sandbox audience
/// applies at once, while the same widening on a production audience is a change request.
async fn sandbox_access_never_waits_for_approval(s: &TestServer) {
    use entente_store::governance::{Change, Submitted};
    s.seed().await;
    let a = Actor::new("admin:olga@example.test");
    s.state
        .store
        .create_audience(
            &a,
            NewAudience {
                identifier: SANDBOX_API.into(),
                name: "Orders (sandbox)".into(),
                scopes: vec!["orders:read".into(), "orders:write".into()],
                token_lifetime: 300,
                environment: Environment::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    let widen = |audience: &str, scopes: &str| Change::Grant {
        partner: "acme".into(),
        audience: audience.into(),
        scopes: ScopeSet::parse(scopes).unwrap(),
    };
    let out = s
        .state
        .store
        .submit(
            &a,
            widen(SANDBOX_API, "orders:read orders:write"),
            "",
            true,
            now(),
        )
        .await
        .unwrap();
    assert!(matches!(out, Submitted::Applied { .. }), "{out:?}");
    let out = s
        .state
        .store
        .submit(
            &a,
            widen(API, "orders:read orders:write"),
            "more",
            true,
            now(),
        )
        .await
        .unwrap();
    assert!(matches!(out, Submitted::Requested(_)), "{out:?}");
}
