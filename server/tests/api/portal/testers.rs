//! Sandbox testers' own clients (issue 24, item 14): off until one of the partner's admins turns
//! them on; then a tester gets one sandbox client of their own — the partner's sandbox scopes,
//! never production ones — and each further ask gives it a new secret, the old one ending at
//! once; viewers and other partners' people get none; a client turned off stays off; a tester
//! who stops testing, or the switch turned off, stops the client at once (and nobody else's);
//! the switch is audited.

use super::*;

crate::on_both!(testers_get_their_own_sandbox_client_when_allowed);

/// The HTTP status of a client-credentials request for the sandbox API with this client.
async fn token_status(s: &TestServer, id: &str, secret: &str) -> u16 {
    token_for(s, "/sandbox/oauth2/token", SANDBOX_API, id, secret).await
}

async fn token_for(s: &TestServer, path: &str, resource: &str, id: &str, secret: &str) -> u16 {
    s.http
        .post(s.url(path))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials"), ("resource", resource)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn testers_get_their_own_sandbox_client_when_allowed(s: &TestServer) {
    two_partners(s).await;
    // acme also holds a production-only scope: a tester's client must not get it.
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            crate::common::OTHER_API,
            &ScopeSet::parse("bill:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    // A partner client that is not a tester's: the switch never touches it.
    let other = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let gil = partner_session(s, "globex", "gil@globex.test", Role::SandboxTester).await;
    let tess = partner_session(s, "acme", "tess@acme.test", Role::SandboxTester).await;
    let pam = partner_session(s, "acme", "pam@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;

    // Off until an admin says so; the tester is told whom to ask.
    let (code, data) = call(s, &tess, "playground", &[]).await;
    assert_eq!(code, 200, "{data}");
    assert_eq!(data["own"]["allowed"], false);
    let (code, refused) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 403, "{refused}");
    assert!(
        refused.to_string().contains("turn it on under Team"),
        "{refused}"
    );
    // Only the partner's admins switch it (not a viewer, not the tester).
    for who in [&vic, &tess] {
        let (code, _) = call(s, who, "portal_set_tester_clients", &[("allowed", "on")]).await;
        assert_eq!(code, 403);
    }
    let (code, said) = call(s, &pam, "portal_set_tester_clients", &[("allowed", "on")]).await;
    assert_eq!(code, 200, "{said}");
    // Credentials of one's own are a tester's: a viewer gets none even now, and acme's switch
    // is not globex's.
    let (code, _) = call(s, &vic, "tester_credentials", &[]).await;
    assert_eq!(code, 403);
    let (code, _) = call(s, &gil, "tester_credentials", &[]).await;
    assert_eq!(code, 403);

    let (code, got) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 200, "{got}");
    let id = got["client_id"].as_str().unwrap().to_owned();
    let first = got["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(
        got["token_endpoint"],
        format!("{}/sandbox/oauth2/token", s.base)
    );
    s.refresh().await;
    assert_eq!(token_status(s, &id, &first).await, 200);
    // acme's production API at the production endpoint, where acme's production clients get
    // tokens: never this one.
    assert_eq!(
        token_for(s, "/oauth2/token", crate::common::API, &id, &first).await,
        400,
        "a tester's client is never a production one"
    );
    let c = s.state.store.client(&id).await.unwrap();
    assert_eq!(
        c.allowed_scopes, "orders:read",
        "the partner's sandbox scopes, not bill:read (production only)"
    );
    assert_eq!(c.owner.as_deref(), Some("portal:tess@acme.test"));
    assert_eq!(
        c.environment,
        entente_store::enums::EnvironmentColumn::Sandbox
    );

    // Asking again: the same client with a new secret, and the old one stops at once.
    let (code, again) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["client_id"], id.as_str());
    let second = again["client_secret"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    s.refresh().await;
    assert_eq!(token_status(s, &id, &first).await, 401);
    assert_eq!(token_status(s, &id, &second).await, 200);
    let (_, data) = call(s, &tess, "playground", &[]).await;
    assert_eq!(data["own"]["client_id"], id.as_str());

    // A tester who stops testing (here: turned off by a partner admin) keeps no working client.
    let terry = partner_session(s, "acme", "terry@acme.test", Role::SandboxTester).await;
    let (code, got) = call(s, &terry, "tester_credentials", &[]).await;
    assert_eq!(code, 200, "{got}");
    let terrys = got["client_id"].as_str().unwrap().to_owned();
    let (code, said) = call(
        s,
        &pam,
        "portal_set_member",
        &[
            ("email", "terry@acme.test"),
            ("role", "sandbox_tester"),
            ("enabled", "false"),
        ],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    assert!(!s.state.store.client(&terrys).await.unwrap().enabled);
    assert!(
        s.state.store.client(&id).await.unwrap().enabled,
        "only terry's"
    );

    // Turned off: the testers' clients stop working at once (nobody else's), and the switch is
    // audited. Turned on again, a client someone turned off stays off until an admin says so.
    let (code, said) = call(s, &pam, "portal_set_tester_clients", &[]).await;
    assert_eq!(code, 200, "{said}");
    s.refresh().await;
    assert_eq!(token_status(s, &id, &second).await, 401);
    assert!(!s.state.store.client(&id).await.unwrap().enabled);
    assert!(s.state.store.client(&other.id).await.unwrap().enabled);
    assert_eq!(token_status(s, &other.id, &other.secret).await, 200);
    let (code, _) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 403);
    let (code, _) = call(s, &pam, "portal_set_tester_clients", &[("allowed", "on")]).await;
    assert_eq!(code, 200);
    let (code, refused) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 403, "{refused}");
    assert!(refused.to_string().contains("turned off"), "{refused}");
    let events = s.state.store.recent_audit_events(200).await.unwrap();
    let switched: Vec<_> = events
        .iter()
        .filter(|e| e.action == "partner.tester_clients")
        .collect();
    assert_eq!(switched.len(), 3, "on, off, on");
    assert!(switched.iter().all(|e| e.actor == "portal:pam@acme.test"));

    // Staff answer a partner who asks through the console's partner page: an operator may set
    // the switch for acme, an auditor may not; the Users tab shows its state.
    let olga = session(s, "olga@corp.example", Role::Operator).await;
    let (_, team) = call(s, &olga, "partner_team", &[("partner", "acme")]).await;
    assert_eq!(team["testers_get_clients"], true, "{team}");
    let ada = session(s, "ada@corp.example", Role::Auditor).await;
    let (code, _) = call(
        s,
        &ada,
        "set_partner_tester_clients",
        &[("partner", "acme")],
    )
    .await;
    assert_eq!(code, 403);
    let (code, said) = call(
        s,
        &olga,
        "set_partner_tester_clients",
        &[("partner", "acme")],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    let (_, team) = call(s, &olga, "partner_team", &[("partner", "acme")]).await;
    assert_eq!(team["testers_get_clients"], false, "{team}");
    let events = s.state.store.recent_audit_events(200).await.unwrap();
    let by_staff: Vec<_> = events
        .iter()
        .filter(|e| e.action == "partner.tester_clients" && e.actor == "admin:olga@corp.example")
        .collect();
    assert_eq!(by_staff.len(), 1);
}
