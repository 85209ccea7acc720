//! The partner portal over real HTTP on SQLite and PostgreSQL: partner users join by a one-time
//! link bound to their address, see and change their own partner only — another partner's
//! client or team member is "not found" (G50) — and give themselves nothing they were not
//! granted (G51); the walk of every route in console.rs shows they reach no console or admin
//! API route.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::enums::Role;
use serde_json::Value;

use crate::common::{Creds, TestServer};
use crate::console::{call, session};
use crate::sandbox::{SANDBOX_API, client_in, sandbox_audience};

crate::on_both!(
    an_invitation_makes_a_partner_user_of_one_address,
    partner_users_reach_their_own_partner_only,
    partner_admins_manage_sandbox_clients_within_their_grants,
    secrets_rotate_with_an_overlap,
    partner_users_are_never_console_users,
    the_playground_runs_the_real_token_endpoint,
    suspended_partners_read_and_offboarded_ones_reach_nothing,
    the_docs_carry_the_partners_own_values,
    a_disabled_client_loses_its_tokens_at_once,
    sandbox_testers_reach_the_playground_only,
    the_overview_shows_usage_per_environment_limits_and_events,
);

const PASSWORD: &str = "correct horse battery staple";

/// A signed-in partner user of `partner` (made directly, as `entente` would seed one).
pub(crate) async fn partner_session(
    s: &TestServer,
    partner: &str,
    email: &str,
    role: Role,
) -> String {
    let hash = entente_domain::password::hash_password(PASSWORD).unwrap();
    let p = s.state.store.partner_by_slug(partner).await.unwrap();
    s.state
        .store
        .create_partner_user(&Actor::new("test"), &p, email, hash, role, now())
        .await
        .unwrap();
    crate::console::sign_in(s, email, PASSWORD).await
}

/// acme and globex (production), each granted orders:read on the sandbox audience.
pub(crate) async fn two_partners(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
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
    s.refresh().await;
}

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
            "",
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
            "",
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

/// The docs page is written with the partner's own values: both environments' endpoints as
/// their metadata names them, its clients and scopes (never another partner's: G50).
async fn the_docs_carry_the_partners_own_values(s: &TestServer) {
    two_partners(s).await;
    let mine = client_in(
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
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerViewer).await;
    let (code, d) = call(s, &pat, "portal_docs", &[]).await;
    assert_eq!(code, 200, "{d}");
    let text = d.to_string();
    assert!(text.contains(&mine.id));
    assert!(!text.contains(&theirs.id), "another partner's client");
    let envs = d["environments"].as_array().unwrap();
    let sandbox = envs.iter().find(|e| e["environment"] == "sandbox").unwrap();
    assert_eq!(sandbox["token"], format!("{}/sandbox/oauth2/token", s.base));
    // RFC 8414 §3.1: the well-known segment goes before the issuer's path; the documented
    // address answers with that issuer.
    let metadata = sandbox["metadata"].as_str().unwrap();
    assert_eq!(
        metadata,
        format!("{}/.well-known/oauth-authorization-server/sandbox", s.base)
    );
    let doc: Value = s
        .http
        .get(metadata)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], sandbox["issuer"]);
    assert_eq!(doc["token_endpoint"], sandbox["token"]);
    assert_eq!(doc["jwks_uri"], sandbox["jwks"]);
    let production = envs
        .iter()
        .find(|e| e["environment"] == "production")
        .unwrap();
    let doc: Value = s
        .http
        .get(production["metadata"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], s.base.as_str());
    assert_eq!(doc["introspection_endpoint"], production["introspection"]);
    assert_eq!(doc["revocation_endpoint"], production["revocation"]);
    assert!(
        d["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g[0] == SANDBOX_API && g[1] == "orders:read" && g[2] == "sandbox"),
        "{d}"
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

/// A sandbox tester — invited like any of the partner's people — mints trial tokens in the
/// playground and reaches nothing else of the portal (and, as the walk in console.rs shows,
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
    let (_, valid) = call(s, "", "invite_valid", &[("token", token.as_str())]).await;
    assert_eq!(valid, true);
    let (code, answer) = call(
        s,
        &pat,
        "portal_revoke_invite",
        &[("email", "tess@acme.test")],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let (_, valid) = call(s, "", "invite_valid", &[("token", token.as_str())]).await;
    assert_eq!(valid, false, "the link no longer works");
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

/// The overview's activity: requests counted per environment (a sandbox client's are sandbox's,
/// a production client's production's), the partner's two budgets and its clients' limits, and
/// the latest events about it, naming Entente's staff only as "Entente administrators"; another
/// partner's traffic is not in it.
async fn the_overview_shows_usage_per_environment_limits_and_events(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let sandbox_token = |c: &Creds| {
        let (id, secret) = (c.id.clone(), c.secret.clone());
        async move {
            s.post_form(
                "/sandbox/oauth2/token",
                Some(&Creds { id, secret }),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", SANDBOX_API),
                ],
            )
            .await
            .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(sandbox_token(&trial).await, 200);
    }
    assert_eq!(sandbox_token(&theirs).await, 200);
    s.token(&live, &[("resource", crate::common::API)]).await;
    entente_server::usage::flush::flush(&s.state, now())
        .await
        .unwrap();
    let (code, a) = call(s, &pat, "portal_activity", &[]).await;
    assert_eq!(code, 200, "{a}");
    let env = |name: &str| {
        a["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(env("sandbox")["requests"], 3, "{a}");
    assert_eq!(env("sandbox")["tokens"], 3, "{a}");
    assert_eq!(env("production")["requests"], 1, "{a}");
    assert_eq!(env("sandbox")["hours"].as_array().unwrap().len(), 24);
    let limits = a["limits"].to_string();
    assert!(
        limits.contains("All your sandbox clients together"),
        "{limits}"
    );
    assert!(
        limits.contains(&trial.id) && !limits.contains(&theirs.id),
        "{limits}"
    );
    assert!(!a["events"].to_string().contains("globex"), "{a}");
    let events = a["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{a}");
    assert!(
        events
            .iter()
            .all(|e| !e["by"].as_str().unwrap().contains("test") || e["by"] == "pat@acme.test"),
        "staff are not named: {a}"
    );
    assert!(events.iter().any(|e| e["action"] == "client.create"), "{a}");
    // Viewers see it too; the admin API's usage splits the same way.
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    assert_eq!(call(s, &vic, "portal_activity", &[]).await.0, 200);
    let (admin, ..) = crate::admin_api::api_tokens(s).await;
    let usage = |env: &'static str| {
        let admin = admin.clone();
        async move {
            let r = reqwest::Client::new()
                .get(s.url(&format!(
                    "/admin/api/v1/usage?partner=acme&from=1h&environment={env}"
                )))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (code, r) = usage("sandbox").await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["total"]["requests"], 3, "{r}");
    assert_eq!(usage("production").await.1["total"]["requests"], 1);
    assert_eq!(usage("staging").await.0, 400);
}
