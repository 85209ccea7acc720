//! The sandbox environment over real HTTP on SQLite and PostgreSQL: its own issuer, keys, JWKS,
//! metadata (RFC 8414 §3.1 placement) and audiences; tokens never cross between environments,
//! tested both ways at the token, introspection, revocation and admin endpoints.

use entente_domain::ScopeSet;
use entente_domain::environment::Environment;
use entente_domain::lifecycle::Stage;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
use serde_json::{Value, json};

use crate::common::{API, Creds, TestServer, assert_oauth_error};
use crate::fed::{self, AT, TX, claims_of};

pub const SANDBOX_API: &str = "https://sandbox.api.example.test";

crate::on_both!(
    each_environment_publishes_its_own_issuer_keys_and_metadata,
    tokens_never_cross_between_environments,
    exchange_in_the_sandbox_issues_sandbox_tokens,
    sandbox_partners_have_sandbox_clients_only,
    sandbox_access_never_waits_for_approval,
    the_command_line_names_environments,
    the_host_sets_up_an_admin_api_client_in_one_step,
);

/// A sandbox audience (orders:read) granted to acme.
pub(crate) async fn sandbox_audience(s: &TestServer) {
    let a = Actor::new("test");
    s.state
        .store
        .create_audience(
            &a,
            NewAudience {
                identifier: SANDBOX_API.into(),
                name: "Orders (sandbox)".into(),
                scopes: vec!["orders:read".into()],
                token_lifetime: 300,
                environment: Environment::Sandbox,
            },
            now(),
        )
        .await
        .unwrap();
    s.state
        .store
        .set_grant(
            &a,
            "acme",
            SANDBOX_API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

/// A secret client of `partner` in `env` (`None`: as the partner's stage decides).
pub(crate) async fn client_in(
    s: &TestServer,
    partner: &str,
    env: Option<Environment>,
    grants: &[&str],
) -> Creds {
    let secret = entente_domain::secret::generate_secret();
    let pid = s.state.store.partner_by_slug(partner).await.unwrap().id;
    let new = NewClient::partner_secret(
        pid,
        "sandbox trial".into(),
        ScopeSet::parse("orders:read").unwrap(),
        grants.iter().map(|g| (*g).to_owned()).collect(),
        s.state.hasher.hash(&secret),
    )
    .in_environment(env);
    let id = entente_domain::secret::new_client_id();
    s.state
        .store
        .create_client(&Actor::new("test"), new, id.clone(), now())
        .await
        .unwrap();
    s.refresh().await;
    Creds { id, secret }
}

async fn get_json(s: &TestServer, path: &str) -> Value {
    let r = s.http.get(s.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn header_kid(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn each_environment_publishes_its_own_issuer_keys_and_metadata(s: &TestServer) {
    let sandbox = format!("{}/sandbox", s.base);
    let production = get_json(s, "/.well-known/oauth-authorization-server").await;
    assert_eq!(production["issuer"], s.base);
    assert_eq!(
        production["token_endpoint"],
        format!("{}/oauth2/token", s.base)
    );
    // RFC 8414 §3.1: the well-known segment between host and the issuer's path.
    let meta = get_json(s, "/.well-known/oauth-authorization-server/sandbox").await;
    assert_eq!(meta["issuer"], sandbox);
    for (field, path) in [
        ("token_endpoint", "/oauth2/token"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ] {
        assert_eq!(meta[field], format!("{sandbox}{path}"), "{field}");
    }
    // OpenID Connect Discovery appends its segment to the issuer.
    assert_eq!(
        get_json(s, "/sandbox/.well-known/openid-configuration").await,
        meta
    );

    let prod_kids = kids(&get_json(s, "/.well-known/jwks.json").await);
    let sandbox_kids = kids(&get_json(s, "/sandbox/.well-known/jwks.json").await);
    assert!(!prod_kids.is_empty() && !sandbox_kids.is_empty());
    assert!(
        prod_kids.iter().all(|k| !sandbox_kids.contains(k)),
        "the two environments share a key: {prod_kids:?} {sandbox_kids:?}"
    );

    // Rotating the sandbox's keys leaves production's JWKS as it was (same ETag).
    let etag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_owned();
    let prod_before = etag(
        &s.http
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    );
    let kid = entente_server::state::signing_keys::rotate_now(
        &s.state.store,
        &s.state.master,
        entente_domain::keys::SigningAlgorithm::Es256,
        Environment::Sandbox,
        true,
        &Actor::new("test"),
        now(),
    )
    .await
    .unwrap();
    s.refresh().await;
    assert!(kids(&get_json(s, "/sandbox/.well-known/jwks.json").await).contains(&kid));
    assert!(!kids(&get_json(s, "/.well-known/jwks.json").await).contains(&kid));
    let prod_after = etag(
        &s.http
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(prod_before, prod_after);
    // The new sandbox key signs sandbox tokens at once.
    s.seed().await;
    sandbox_audience(s).await;
    let c = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let t = token_at(s, "/sandbox/oauth2/token", &c, SANDBOX_API).await;
    assert_eq!(header_kid(t["access_token"].as_str().unwrap()), kid);
}

async fn token_at(s: &TestServer, path: &str, c: &Creds, audience: &str) -> Value {
    let r = s
        .post_form(
            path,
            Some(c),
            &[("grant_type", "client_credentials"), ("resource", audience)],
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {body}");
    body
}

async fn introspect_at(s: &TestServer, path: &str, rs: &Creds, token: &str) -> Value {
    let r = s.post_form(path, Some(rs), &[("token", token)]).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

async fn tokens_never_cross_between_environments(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    let sandbox = format!("{}/sandbox", s.base);
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    let sandbox_rs = s.resource_server(SANDBOX_API).await;
    let live_rs = s.resource_server(API).await;

    // A sandbox token: the sandbox's issuer, signed with a key only the sandbox's JWKS has.
    let t = token_at(s, "/sandbox/oauth2/token", &trial, SANDBOX_API).await;
    let sandbox_token = t["access_token"].as_str().unwrap().to_owned();
    let claims = claims_of(&sandbox_token);
    assert_eq!(claims["iss"], sandbox);
    assert_eq!(claims["aud"], SANDBOX_API);
    let sandbox_kids = kids(&get_json(s, "/sandbox/.well-known/jwks.json").await);
    assert!(sandbox_kids.contains(&header_kid(&sandbox_token)));
    assert!(
        !kids(&get_json(s, "/.well-known/jwks.json").await).contains(&header_kid(&sandbox_token))
    );
    let production_token = s.token(&live, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&production_token)["iss"], s.base);

    // Each client at the other environment's token endpoint: unauthorized_client, saying where.
    let e = assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&trial),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains(&format!("{sandbox}/oauth2/token")),
        "{e}"
    );
    assert_oauth_error(
        s.post_form(
            "/sandbox/oauth2/token",
            Some(&live),
            &[("grant_type", "client_credentials"), ("resource", API)],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;
    // Audiences of the other environment do not exist for a client.
    for (path, c, audience) in [
        ("/sandbox/oauth2/token", &trial, API),
        ("/oauth2/token", &live, SANDBOX_API),
    ] {
        assert_oauth_error(
            s.post_form(
                path,
                Some(c),
                &[("grant_type", "client_credentials"), ("resource", audience)],
            )
            .await,
            400,
            "invalid_target",
        )
        .await;
    }

    // Introspection: each environment's resource server sees its own tokens active, the
    // other's inactive, both ways.
    let active = |v: Value| v["active"].as_bool().unwrap();
    assert!(active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
    assert!(!active(
        introspect_at(
            s,
            "/sandbox/oauth2/introspect",
            &sandbox_rs,
            &production_token
        )
        .await
    ));
    assert!(active(
        introspect_at(s, "/oauth2/introspect", &live_rs, &production_token).await
    ));
    assert!(!active(
        introspect_at(s, "/oauth2/introspect", &live_rs, &sandbox_token).await
    ));
    // A resource server calls its own environment's endpoint only.
    assert_oauth_error(
        s.post_form(
            "/oauth2/introspect",
            Some(&sandbox_rs),
            &[("token", &sandbox_token)],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;

    // A token signed with the sandbox's key, for the admin API: refused there (production keys
    // only), whatever it claims.
    let mut forged: entente_domain::token::AccessTokenClaims =
        serde_json::from_value(claims_of(&production_token)).unwrap();
    forged.aud = entente_domain::jws::OneOrMany::One(format!("{}/admin/api/v1", s.base));
    forged.scope = Some("entente:admin".into());
    forged.iss = s.base.clone();
    let forged =
        entente_server::oauth::issue::sign(&s.state, Environment::Sandbox, &forged).unwrap();
    let r = s
        .http
        .get(s.url("/admin/api/v1/partners"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Revocation at the sandbox endpoint takes effect there; the production endpoint does not
    // know sandbox tokens (200 with no effect, RFC 7009 §2.2).
    let r = s
        .post_form("/oauth2/revoke", Some(&live), &[("token", &sandbox_token)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
    let r = s
        .post_form(
            "/sandbox/oauth2/revoke",
            Some(&trial),
            &[("token", &sandbox_token)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(!active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
}

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

/// `--environment` on audiences, clients and key rotation; lists say each one's environment.
async fn the_command_line_names_environments(s: &TestServer) {
    use crate::cli::{entente, entente_raw};
    tokio::task::block_in_place(|| {
        entente(
            s,
            &[
                "partner", "create", "--slug", "initech", "--name", "Initech", "--stage", "sandbox",
            ],
        );
        let a = entente(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                SANDBOX_API,
                "--scopes",
                "orders:read",
                "--environment",
                "sandbox",
            ],
        );
        assert_eq!(a["environment"], "sandbox");
        let c = entente(
            s,
            &[
                "client",
                "create",
                "--partner",
                "initech",
                "--name",
                "trial",
                "--scopes",
                "orders:read",
            ],
        );
        assert_eq!(c["environment"], "sandbox", "{c}");
        let refused = entente_raw(
            s,
            &[
                "client",
                "create",
                "--partner",
                "initech",
                "--name",
                "live",
                "--scopes",
                "orders:read",
                "--environment",
                "production",
            ],
        );
        assert!(!refused.status.success());
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("sandbox clients only"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
        let bad = entente_raw(
            s,
            &[
                "audience",
                "create",
                "--identifier",
                "https://x.test",
                "--scopes",
                "x",
                "--environment",
                "staging",
            ],
        );
        assert!(!bad.status.success());
        let listed = entente(s, &["client", "list", "--partner", "initech"]);
        assert_eq!(listed[0]["environment"], "sandbox");
        let r = entente(
            s,
            &["key", "rotate", "--environment", "sandbox", "--immediate"],
        );
        assert_eq!(r["environment"], "sandbox");
        let keys = entente(s, &["key", "list"]);
        let envs: Vec<&str> = keys
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["environment"].as_str().unwrap())
            .collect();
        assert!(
            envs.contains(&"production") && envs.iter().filter(|e| **e == "sandbox").count() >= 2,
            "{envs:?}"
        );
    });
}

/// The admin API is a production audience: `entente admin api-client` makes its audience, the
/// `operations` partner (in production) and a client in one step, and the token works.
async fn the_host_sets_up_an_admin_api_client_in_one_step(s: &TestServer) {
    use crate::cli::entente_raw;
    let run = |args: &[&str]| {
        let out = tokio::task::block_in_place(|| entente_raw(s, args));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Every API client has an owner: the console user who answers for it.
    s.state
        .store
        .create_admin(
            &entente_store::Actor::new("test"),
            "owner@example.test",
            entente_domain::password::hash_password("correct horse battery staple").unwrap(),
            entente_store::enums::Role::Admin,
            entente_server::state::now(),
        )
        .await
        .unwrap();
    let bot = run(&[
        "admin",
        "api-client",
        "--name",
        "deploy-bot",
        "--role",
        "auditor",
        "--owner",
        "owner@example.test",
    ]);
    // Twice: the audience, partner and grant are reused.
    run(&[
        "admin",
        "api-client",
        "--name",
        "deploy-bot-2",
        "--owner",
        "owner@example.test",
    ]);
    s.refresh().await;
    let creds = Creds {
        id: bot["client_id"].as_str().unwrap().to_owned(),
        secret: bot["client_secret"].as_str().unwrap().to_owned(),
    };
    let audience = format!("{}/admin/api/v1", s.base);
    assert_eq!(bot["audience"], audience.as_str());
    let t = s
        .token(
            &creds,
            &[("resource", &audience), ("scope", "entente:auditor")],
        )
        .await;
    let r = s
        .http
        .get(s.url("/admin/api/v1/partners"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let partners: Value = r.json().await.unwrap();
    assert_eq!(partners["items"][0]["slug"], "operations", "{partners}");
    assert_eq!(partners["items"][0]["stage"], "production");
}
