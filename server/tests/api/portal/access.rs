//! Who partner users are and what they reach: an invitation makes a partner user of one address,
//! they reach their own partner only (G50), they are never console users, and a suspended
//! partner's people only read while an offboarded partner's reach nothing.

use super::*;

crate::on_both!(
    an_invitation_makes_a_partner_user_of_one_address,
    partner_users_reach_their_own_partner_only,
    partner_users_are_never_console_users,
    suspended_partners_read_and_offboarded_ones_reach_nothing,
);

async fn an_invitation_makes_a_partner_user_of_one_address(s: &TestServer) {
    two_partners(s).await;
    let admin = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let (code, link) = call(
        s,
        &admin,
        "portal_invite",
        &[("email", "vic@acme.test"), ("role", "partner_viewer")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    let link = link.as_str().unwrap();
    assert!(
        link.starts_with(&format!("{}/setup?token=", s.base)),
        "{link}"
    );
    let token = link.split("token=").nth(1).unwrap();
    // Only the invited address can use it.
    let (code, answer) = call(
        s,
        "",
        "setup_admin",
        &[
            ("token", token),
            ("email", "mallory@evil.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(code, 400, "{answer}");
    let (code, answer) = call(
        s,
        "",
        "setup_admin",
        &[
            ("token", token),
            ("email", "vic@acme.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    // Used once.
    let (code, _) = call(
        s,
        "",
        "setup_admin",
        &[
            ("token", token),
            ("email", "vic@acme.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(code, 400);
    let vic = crate::console::sign_in(s, "vic@acme.test", PASSWORD).await;
    let (code, me) = call(s, &vic, "me", &[]).await;
    assert_eq!(code, 200);
    assert_eq!(me["role"], "partner_viewer");
    assert_eq!(me["partner"], "Acme Corp");
    let (code, team) = call(s, &vic, "portal_team", &[]).await;
    assert_eq!(code, 200);
    let emails: Vec<&str> = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["pat@acme.test", "vic@acme.test"]);
    // A viewer changes nothing.
    let (code, _) = call(
        s,
        &vic,
        "portal_invite",
        &[("email", "x@acme.test"), ("role", "partner_viewer")],
    )
    .await;
    assert_eq!(code, 403);
    // The invitation and the joining are audited on the partner, by who did them.
    let events = s.state.store.recent_audit_events(50).await.unwrap();
    let seen = |action: &str, actor: &str| {
        events
            .iter()
            .any(|e| e.action == action && e.actor == actor && e.target == "partner:acme")
    };
    assert!(seen("partner_user.invite", "portal:pat@acme.test"));
    assert!(seen("partner_user.join", "invite:vic@acme.test"));
}

/// G50: every portal function that names something by id, given another partner's id, answers
/// 404 — never the thing, never a change — and lists show the caller's partner only.
async fn partner_users_reach_their_own_partner_only(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    partner_session(s, "globex", "gil@globex.test", Role::PartnerAdmin).await;
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let mine = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;

    let (code, answer) = call(
        s,
        &pat,
        "portal_rotate_secret",
        &[("client_id", &theirs.id), ("overlap", "0")],
    )
    .await;
    assert_eq!(code, 404, "{answer}");
    let (code, answer) = call(
        s,
        &pat,
        "portal_set_member",
        &[
            ("email", "gil@globex.test"),
            ("role", "partner_viewer"),
            ("enabled", "false"),
        ],
    )
    .await;
    assert_eq!(code, 404, "{answer}");
    // globex's client still authenticates with its secret; gil can still sign in.
    let r = s
        .post_form(
            "/sandbox/oauth2/token",
            Some(&theirs),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    crate::console::sign_in(s, "gil@globex.test", PASSWORD).await;

    let (code, clients) = call(s, &pat, "portal_clients", &[]).await;
    assert_eq!(code, 200);
    let ids: Vec<&str> = clients["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.id.as_str()]);
    let (_, team) = call(s, &pat, "portal_team", &[]).await;
    assert!(!team.to_string().contains("globex"), "{team}");
    let (_, overview) = call(s, &pat, "portal_overview", &[]).await;
    assert_eq!(overview["slug"], "acme");
    // The partner comes from the session: a `partner` field in the request changes nothing.
    let (_, overview) = call(s, &pat, "portal_overview", &[("partner", "globex")]).await;
    assert_eq!(overview["slug"], "acme");

    // Every other portal function that names something by id: another partner's is not found.
    let their_request = s
        .state
        .store
        .file_request(
            &Actor::new("portal:gil@globex.test"),
            entente_store::governance::Change::AddScopes {
                partner: "globex".into(),
                audience: crate::common::API.into(),
                scopes: ScopeSet::parse("orders:write").unwrap(),
            },
            "shipping integration",
            now(),
        )
        .await
        .unwrap();
    let request_id = their_request.id.to_string();
    let (new_jwks, _, _) = crate::oauth::es256_client_key();
    let by_id: [(&str, Vec<(&str, &str)>); 5] = [
        (
            "portal_set_client_enabled",
            vec![("client_id", &theirs.id), ("enabled", "false")],
        ),
        (
            "portal_set_client_keys",
            vec![
                ("client_id", &theirs.id),
                ("jwks", &new_jwks),
                ("jwks_uri", ""),
            ],
        ),
        (
            "portal_validate_token",
            vec![
                ("client_id", &theirs.id),
                ("audience", SANDBOX_API),
                ("token", "x.y.z"),
            ],
        ),
        (
            "try_token",
            vec![
                ("client_id", &theirs.id),
                ("client_secret", &theirs.secret),
                ("grant_type", "client_credentials"),
                ("audience", SANDBOX_API),
                ("scope", ""),
                ("subject_token", ""),
            ],
        ),
        ("portal_withdraw", vec![("id", &request_id)]),
    ];
    for (name, form) in by_id {
        let (code, answer) = call(s, &pat, name, &form).await;
        assert_eq!(code, 404, "{name}: {answer}");
    }
    let still = s
        .state
        .store
        .change_request(their_request.id)
        .await
        .unwrap();
    assert_eq!(still.status.to_string(), "pending");
    assert_eq!(
        s.post_form(
            "/sandbox/oauth2/token",
            Some(&theirs),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await
        .status(),
        200,
        "their client is still on"
    );
    // And every list shows the caller's partner only.
    for name in [
        "portal_requests",
        "portal_issuers",
        "portal_docs",
        "playground",
        "portal_sign_in",
        "portal_activity",
    ] {
        let (code, page) = call(s, &pat, name, &[]).await;
        assert_eq!(code, 200, "{name}: {page}");
        let text = page.to_string();
        assert!(
            !text.contains("globex") && !text.contains(&theirs.id),
            "{name}: {page}"
        );
    }
}

/// Partner users are never console users: no console role for them (nor partner roles for
/// console users), no console invitation with a partner role, and `me` tells them nothing of
/// the console (no count of pending change requests).
async fn partner_users_are_never_console_users(s: &TestServer) {
    two_partners(s).await;
    let admin = session(s, "admin@example.test", Role::Admin).await;
    partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    let (code, answer) = call(
        s,
        &admin,
        "set_user_access",
        &[
            ("email", "pat@acme.test"),
            ("role", "admin"),
            ("enabled", "true"),
        ],
    )
    .await;
    assert!(code == 400 || code == 404, "{code} {answer}");
    let (code, _) = call(
        s,
        &admin,
        "set_user_access",
        &[
            ("email", "admin@example.test"),
            ("role", "partner_admin"),
            ("enabled", "true"),
        ],
    )
    .await;
    assert_eq!(code, 400);
    let (code, _) = call(
        s,
        &admin,
        "invite_console_user",
        &[
            ("role", "partner_admin"),
            ("email", "newcomer@example.test"),
        ],
    )
    .await;
    assert_eq!(code, 400);
    let (_, users) = call(
        s,
        &admin,
        "list_console_users",
        &[("filter", ""), ("offset", "0")],
    )
    .await;
    assert!(
        !users.to_string().contains("acme.test"),
        "partner users are not console users: {users}"
    );
    // A change request waits; the partner user's `me` does not say so.
    s.state
        .store
        .submit(
            &Actor::new("admin:olga@example.test"),
            entente_store::governance::Change::Grant {
                partner: "globex".into(),
                audience: crate::common::OTHER_API.into(),
                scopes: ScopeSet::parse("bill:read").unwrap(),
            },
            "billing pilot",
            true,
            now(),
        )
        .await
        .unwrap();
    let (_, me) = call(s, &vic, "me", &[]).await;
    assert_eq!(me["pending_requests"], 0, "{me}");
    let (_, me) = call(s, &admin, "me", &[]).await;
    assert_eq!(me["pending_requests"], 1, "{me}");
    let _: Option<Value> = None;
}

/// A suspended partner's people only read (no client, rotation, invitation or trial token), an
/// invitation made before cannot be used, and an offboarded partner's people reach nothing.
async fn suspended_partners_read_and_offboarded_ones_reach_nothing(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let (code, link) = call(
        s,
        &pat,
        "portal_invite",
        &[("email", "late@acme.test"), ("role", "partner_viewer")],
    )
    .await;
    assert_eq!(code, 200, "{link}");
    let token = link
        .as_str()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    s.state
        .store
        .suspend_partner(&Actor::new("test"), "acme", "incident", now())
        .await
        .unwrap();
    let (code, _) = call(s, &pat, "portal_clients", &[]).await;
    assert_eq!(code, 200, "reading goes on");
    for (name, form) in [
        (
            "portal_create_client",
            vec![("name", "x"), ("scopes", "orders:read")],
        ),
        (
            "portal_invite",
            vec![("email", "x@acme.test"), ("role", "partner_viewer")],
        ),
        (
            "portal_rotate_secret",
            vec![("client_id", "cl_x"), ("overlap", "0")],
        ),
    ] {
        let (code, answer) = call(s, &pat, name, &form).await;
        assert_eq!(code, 403, "{name}: {answer}");
    }
    let (code, _) = call(
        s,
        "",
        "setup_admin",
        &[
            ("token", token.as_str()),
            ("email", "late@acme.test"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(code, 400, "no joining a suspended partner");
    s.state
        .store
        .set_partner_stage(
            &Actor::new("test"),
            "globex",
            entente_domain::lifecycle::Stage::Offboarded,
            now(),
        )
        .await
        .unwrap();
    let gil = partner_session(s, "globex", "gil@globex.test", Role::PartnerViewer).await;
    let (code, _) = call(s, &gil, "portal_overview", &[]).await;
    assert_eq!(code, 403);
}
