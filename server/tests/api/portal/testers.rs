//! Sandbox testers' own clients (issue 24, item 14): off until one of the partner's admins turns
//! them on; then a tester gets one sandbox client of their own — the partner's sandbox scopes,
//! never production — and each further ask gives it a new secret, the old one ending at once;
//! viewers get none; turning them off stops the clients at once; the switch is audited.

use super::*;

crate::on_both!(testers_get_their_own_sandbox_client_when_allowed);

/// The HTTP status of a client-credentials request at `path` with this client.
async fn token_status(s: &TestServer, path: &str, id: &str, secret: &str) -> u16 {
    s.http
        .post(s.url(path))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("resource", SANDBOX_API),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn testers_get_their_own_sandbox_client_when_allowed(s: &TestServer) {
    two_partners(s).await;
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
    // Credentials of one's own are a tester's: a viewer gets none even now.
    let (code, _) = call(s, &vic, "tester_credentials", &[]).await;
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
    assert_eq!(
        token_status(s, "/sandbox/oauth2/token", &id, &first).await,
        200
    );
    assert_ne!(
        token_status(s, "/oauth2/token", &id, &first).await,
        200,
        "a tester's client is never a production one"
    );
    let c = s.state.store.client(&id).await.unwrap();
    assert_eq!(
        c.allowed_scopes, "orders:read",
        "the partner's sandbox scopes"
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
    assert_eq!(
        token_status(s, "/sandbox/oauth2/token", &id, &first).await,
        401
    );
    assert_eq!(
        token_status(s, "/sandbox/oauth2/token", &id, &second).await,
        200
    );
    let (_, data) = call(s, &tess, "playground", &[]).await;
    assert_eq!(data["own"]["client_id"], id.as_str());

    // Turned off: the tester's client stops working at once, and the switch is audited.
    let (code, said) = call(s, &pam, "portal_set_tester_clients", &[]).await;
    assert_eq!(code, 200, "{said}");
    s.refresh().await;
    assert_ne!(
        token_status(s, "/sandbox/oauth2/token", &id, &second).await,
        200
    );
    assert!(!s.state.store.client(&id).await.unwrap().enabled);
    let (code, _) = call(s, &tess, "tester_credentials", &[]).await;
    assert_eq!(code, 403);
    let events = s.state.store.recent_audit_events(100).await.unwrap();
    let switched: Vec<_> = events
        .iter()
        .filter(|e| e.action == "partner.tester_clients")
        .collect();
    assert_eq!(switched.len(), 2, "on, then off");
    assert!(switched.iter().all(|e| e.actor == "portal:pam@acme.test"));
    assert!(
        events
            .iter()
            .any(|e| e.action == "client.disable" && e.actor == "portal:pam@acme.test")
    );
}
