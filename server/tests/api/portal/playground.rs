//! The playground: trials through the sandbox's real token endpoint, and sandbox testers, who
//! reach the playground and nothing else of the portal.

use super::*;

crate::on_both!(
    the_playground_runs_the_real_token_endpoint,
    sandbox_testers_reach_the_playground_only,
);

/// The playground: a trial through the sandbox's real token endpoint, as the partner's own
/// sandbox client, with the request, response, decoded token, checks, the policy's trace for an
/// exchange, and a curl command that works from a shell (the secret from `$CLIENT_SECRET`).
async fn the_playground_runs_the_real_token_endpoint(s: &TestServer) {
    let f = crate::fed::setup(s).await;
    sandbox_audience(s).await;
    crate::fed::set_rule(s, SANDBOX_API, "orders:read", |_| {}).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "globex",
            SANDBOX_API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerViewer).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials", crate::fed::TX],
    )
    .await;
    let (code, data) = call(s, &pat, "playground", &[]).await;
    assert_eq!(code, 200, "{data}");
    assert_eq!(data["clients"][0]["client_id"], trial.id.as_str());
    assert_eq!(data["audiences"], serde_json::json!([SANDBOX_API]));
    let try_it = |secret: String, grant: &'static str, subject: String| {
        let (pat, id) = (pat.clone(), trial.id.clone());
        async move {
            call(
                s,
                &pat,
                "try_token",
                &[
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("grant_type", grant),
                    ("audience", SANDBOX_API),
                    ("scope", ""),
                    ("subject_token", subject.as_str()),
                ],
            )
            .await
        }
    };
    let (code, r) = try_it(trial.secret.clone(), "client_credentials", String::new()).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert!(
        r["response"]
            .as_str()
            .unwrap()
            .contains("cache-control: no-store"),
        "{r}"
    );
    let claims: Value = serde_json::from_str(r["token_claims"].as_str().unwrap()).unwrap();
    assert_eq!(claims["iss"], format!("{}/sandbox", s.base));
    assert_eq!(claims["aud"], SANDBOX_API);
    let checks = r["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 5, "{r}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{r}");
    // The secret is never sent back: not in the request shown, not in the curl command.
    assert!(!r.to_string().contains(&trial.secret));
    let curl = r["curl"].as_str().unwrap();
    assert!(curl.contains("$CLIENT_SECRET"), "{curl}");
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new("bash")
            .args(["-c", curl])
            .env("CLIENT_SECRET", &trial.secret)
            .output()
            .unwrap()
    });
    let from_shell: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    assert_eq!(from_shell["token_type"], "Bearer", "{curl}: {from_shell}");

    // A wrong secret is the endpoint's own answer, shown as such.
    let (code, r) = try_it("wrong".into(), "client_credentials", String::new()).await;
    assert_eq!(code, 200);
    assert_eq!(r["status"], 401);
    assert!(
        r["response"].as_str().unwrap().contains("invalid_client"),
        "{r}"
    );
    assert!(r["checks"].as_array().unwrap().is_empty());

    // A token exchange of the partner IdP's token, with the policy's trace.
    let subject = f
        .idp
        .access_token("acme-rp", "alice", serde_json::json!({}));
    let (code, r) = try_it(trial.secret.clone(), crate::fed::TX, subject).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    let trace = r["explanation"].as_str().unwrap();
    assert!(
        trace.contains("trust_rule") && trace.contains("ALLOWED"),
        "{trace}"
    );

    // Another API the partner holds no grant on stays unnamed for partners: the trace says what
    // the token endpoint says, without the diagnosis staff read.
    s.state
        .store
        .create_audience(
            &Actor::new("test"),
            entente_store::catalog::NewAudience {
                identifier: "https://payroll.test".into(),
                name: "Payroll".into(),
                scopes: vec!["pay:read".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let subject = f
        .idp
        .access_token("acme-rp", "alice", serde_json::json!({}));
    let (code, r) = call(
        s,
        &pat,
        "try_token",
        &[
            ("client_id", trial.id.as_str()),
            ("client_secret", trial.secret.as_str()),
            ("grant_type", crate::fed::TX),
            ("audience", "https://payroll.test"),
            ("scope", ""),
            ("subject_token", subject.as_str()),
        ],
    )
    .await;
    assert_eq!(code, 200, "{r}");
    let trace = r["explanation"].as_str().unwrap();
    assert!(
        trace.contains(
            "DENIED: invalid_target — the requested audience is not registered or not enabled"
        ),
        "{trace}"
    );
    assert!(
        !trace.contains("WHY") && !trace.contains("production API"),
        "{trace}"
    );

    // Only the partner's own sandbox clients: another partner's, or a production one, is 404.
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    for (id, secret) in [(&theirs.id, &theirs.secret), (&live.id, &live.secret)] {
        let (code, answer) = call(
            s,
            &pat,
            "try_token",
            &[
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
                ("grant_type", "client_credentials"),
                ("audience", SANDBOX_API),
                ("scope", ""),
                ("subject_token", ""),
            ],
        )
        .await;
        assert_eq!(code, 404, "{answer}");
    }
}

/// A sandbox tester — invited like any of the partner's people — mints trial tokens in the
/// playground and reaches nothing else of the portal (and, as the walk in policy_walk shows,
/// nothing of the console or the admin API).
async fn sandbox_testers_reach_the_playground_only(s: &TestServer) {
    two_partners(s).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let (code, link) = call(
        s,
        &pat,
        "portal_invite",
        &[("email", "tess@acme.test"), ("role", "sandbox_tester")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    // The invitation waits on the team page, and can be withdrawn — by acme only (G50).
    let (_, team) = call(s, &pat, "portal_team", &[]).await;
    assert_eq!(team["invitations"][0]["email"], "tess@acme.test", "{team}");
    assert_eq!(team["invitations"][0]["role"], "sandbox_tester");
    let gil = partner_session(s, "globex", "gil@globex.test", Role::PartnerAdmin).await;
    let (code, _) = call(
        s,
        &gil,
        "portal_revoke_invite",
        &[("email", "tess@acme.test")],
    )
    .await;
    assert_eq!(code, 404);
    let token = link
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    // The link's page says who invites whom, to what, before anything is typed.
    let (_, offer) = call(s, "", "invitation", &[("token", token.as_str())]).await;
    assert_eq!(offer["email"], "tess@acme.test", "{offer}");
    assert_eq!(
        offer["organisation"],
        s.state
            .store
            .partner_by_slug("acme")
            .await
            .unwrap()
            .name
            .as_str()
    );
    assert_eq!(offer["role"], "Sandbox tester: the playground only");
    assert!(
        offer["invited_by"]
            .as_str()
            .is_some_and(|by| !by.is_empty()),
        "{offer}"
    );
    let (code, answer) = call(
        s,
        &pat,
        "portal_revoke_invite",
        &[("email", "tess@acme.test")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let (_, offer) = call(s, "", "invitation", &[("token", token.as_str())]).await;
    assert!(offer.is_null(), "the link no longer works: {offer}");
    let (_, team) = call(s, &pat, "portal_team", &[]).await;
    assert_eq!(team["invitations"], serde_json::json!([]));
    let tess = partner_session(s, "acme", "tess2@acme.test", Role::SandboxTester).await;
    assert_eq!(Role::SandboxTester.home(), "/sandbox");
    let (code, data) = call(s, &tess, "playground", &[]).await;
    assert_eq!(code, 200, "{data}");
    assert_eq!(data["clients"][0]["client_id"], trial.id.as_str());
    let (code, r) = call(
        s,
        &tess,
        "try_token",
        &[
            ("client_id", trial.id.as_str()),
            ("client_secret", trial.secret.as_str()),
            ("grant_type", "client_credentials"),
            ("audience", SANDBOX_API),
            ("scope", ""),
            ("subject_token", ""),
        ],
    )
    .await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    let (code, _) = call(
        s,
        &tess,
        "mint_test_token",
        &[("kind", "access_token"), ("sub", "t"), ("claims", "")],
    )
    .await;
    assert_eq!(code, 200);
    for name in [
        "portal_overview",
        "portal_clients",
        "portal_team",
        "portal_requests",
        "portal_issuers",
        "portal_docs",
        "portal_sign_in",
        "portal_activity",
    ] {
        let (code, _) = call(s, &tess, name, &[]).await;
        assert_eq!(code, 403, "{name}");
    }
    let (code, _) = call(
        s,
        &tess,
        "portal_set_client_keys",
        &[("client_id", "x"), ("jwks", ""), ("jwks_uri", "")],
    )
    .await;
    assert_eq!(code, 403);
    let (_, me) = call(s, &tess, "me", &[]).await;
    assert_eq!(me["role"], "sandbox_tester");
}
