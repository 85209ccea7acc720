//! Rate limits over real HTTP on SQLite and PostgreSQL: per partner and per client on the token
//! endpoint, per resource server on introspection, the draft-10 header fields, 429 with
//! Retry-After and an RFC 6749 §5.2 body, failed client authentication limited per client id
//! and per source address, and the CLI and admin API that set them.

use std::time::{Duration, Instant};

use entente_domain::rate_limit::{Rate, Setting};
use entente_store::Actor;
use entente_store::limits::Subject;
use serde_json::{Value, json};

use crate::common::{API, Creds, TestServer};

fn rate(per_second: u32, burst: u32) -> Rate {
    Rate { per_second, burst }
}

async fn set_partner(s: &TestServer, slug: &str, setting: Option<Setting>) {
    s.state
        .store
        .set_rate_limit(
            &Actor::new("test"),
            &Subject::Partner { slug: slug.into() },
            setting.as_ref(),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

async fn tier(s: &TestServer, name: &str, r: Rate, default: bool) {
    s.state
        .store
        .set_rate_tier(
            &Actor::new("test"),
            name,
            r,
            Some(default),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

async fn cc(s: &TestServer, c: &Creds) -> reqwest::Response {
    s.http
        .post(s.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// Sends `batches` × `per_batch` client_credentials requests, each batch at once, `pause`
/// apart; (status, body) of each.
async fn flood(
    s: &TestServer,
    c: &Creds,
    batches: usize,
    per_batch: usize,
    pause: Duration,
) -> Vec<(u16, Value)> {
    let mut out = vec![];
    for _ in 0..batches {
        let handles: Vec<_> = (0..per_batch)
            .map(|_| {
                let http = s.http.clone();
                let url = s.url("/oauth2/token");
                let (id, secret) = (c.id.clone(), c.secret.clone());
                tokio::spawn(async move {
                    let r = http
                        .post(url)
                        .basic_auth(id, Some(secret))
                        .form(&[("grant_type", "client_credentials"), ("resource", API)])
                        .send()
                        .await
                        .unwrap();
                    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
                })
            })
            .collect();
        for h in handles {
            out.push(h.await.unwrap());
        }
        tokio::time::sleep(pause).await;
    }
    out
}

/// I60: partner A driven at ten times its limit gets 429s with Retry-After while partner B, in
/// the same seconds, is served every time.
async fn a_partner_over_its_limit_is_refused_and_another_is_not(s: &TestServer) {
    s.seed().await;
    tier(s, "small", rate(20, 20), false).await;
    set_partner(s, "acme", Some(Setting::Tier("small".into()))).await;
    let a = s.secret_client("acme", "orders:read").await;
    let b = s.secret_client("globex", "orders:read").await;

    // The first answer states the policies and what is left.
    let first = cc(s, &a).await;
    assert_eq!(first.status(), 200);
    assert_eq!(
        header(&first, "ratelimit-policy").as_deref(),
        Some("\"client\";q=20;w=1;entente-burst=20, \"partner\";q=20;w=1;entente-burst=20")
    );
    assert_eq!(
        header(&first, "ratelimit").as_deref(),
        Some("\"client\";r=19;t=0")
    );
    // Partner B has no limit: no fields.
    let other = cc(s, &b).await;
    assert_eq!(other.status(), 200);
    assert_eq!(header(&other, "ratelimit-policy"), None);

    // Ten times A's rate for two seconds (400 requests), B alongside at a steady pace.
    let started = Instant::now();
    let steady = async {
        let mut statuses = vec![];
        for _ in 0..40 {
            statuses.push(cc(s, &b).await.status().as_u16());
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        statuses
    };
    let (flooded, steady) = tokio::join!(flood(s, &a, 20, 20, Duration::from_millis(100)), steady);
    let elapsed = started.elapsed().as_secs_f64();
    assert!(steady.iter().all(|s| *s == 200), "partner B: {steady:?}");
    let ok = flooded.iter().filter(|(st, _)| *st == 200).count();
    let refused: Vec<&(u16, Value)> = flooded.iter().filter(|(st, _)| *st == 429).collect();
    assert_eq!(ok + refused.len(), 400, "only 200s and 429s");
    // GCRA: at most what is left of the burst plus the rate over the time taken (+1 of slack).
    let most = 19.0 + 20.0 * elapsed + 1.0;
    assert!(
        (ok as f64) <= most && ok >= 19,
        "{ok} allowed in {elapsed:.2}s"
    );
    assert!(refused.len() >= 250, "{} refused", refused.len());
    for (_, body) in &refused {
        assert_eq!(body["error"], "slow_down", "{body}");
        assert!(body["error_description"].as_str().is_some());
    }

    // A refusal carries Retry-After, no-store and the fields of the policy that refused.
    let r = loop {
        let r = cc(s, &a).await;
        if r.status() == 429 {
            break r;
        }
    };
    let retry: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    assert_eq!(header(&r, "cache-control").as_deref(), Some("no-store"));
    let field = header(&r, "ratelimit").unwrap();
    assert!(field.ends_with(&format!(";r=0;t={retry}")), "{field}");

    // After waiting as told, A is served again.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    assert_eq!(cc(s, &a).await.status(), 200);
}

/// A client's own limit is stricter than its partner's: the client answers, and its refusals do
/// not use up the partner's budget for the partner's other clients.
async fn a_client_limit_holds_inside_its_partners(s: &TestServer) {
    s.seed().await;
    set_partner(s, "acme", Some(Setting::Custom(rate(50, 50)))).await;
    let busy = s.secret_client("acme", "orders:read").await;
    let quiet = s.secret_client("acme", "orders:read").await;
    s.state
        .store
        .set_rate_limit(
            &Actor::new("test"),
            &Subject::Client {
                partner_slug: Some("acme".into()),
                client_id: busy.id.clone(),
            },
            Some(&Setting::Custom(rate(2, 3))),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let out = flood(s, &busy, 1, 30, Duration::ZERO).await;
    let ok = out.iter().filter(|(st, _)| *st == 200).count();
    assert!(
        (3..=4).contains(&ok),
        "{ok} of 30 allowed with a burst of 3"
    );
    // The partner's 50 were barely touched: the quiet client gets its whole burst.
    let out = flood(s, &quiet, 1, 45, Duration::ZERO).await;
    assert!(out.iter().all(|(st, _)| *st == 200), "{out:?}");
    let r = cc(s, &quiet).await;
    let policy = header(&r, "ratelimit-policy").unwrap();
    assert!(policy.contains("\"partner\";q=50"), "{policy}");
}

/// The default tier applies to partners and resource servers without a setting; a resource
/// server over its limit gets 429 on introspection, with the same fields.
async fn the_default_tier_limits_introspection_too(s: &TestServer) {
    s.seed().await;
    let rs = s.resource_server(API).await;
    let c = s.secret_client("acme", "orders:read").await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    tier(s, "base", rate(5, 5), true).await;
    let mut statuses = vec![];
    let mut last = None;
    for _ in 0..8 {
        let r = s
            .post_form("/oauth2/introspect", Some(&rs), &[("token", &token)])
            .await;
        statuses.push(r.status().as_u16());
        last = Some(r);
    }
    assert_eq!(&statuses[..5], &[200; 5], "{statuses:?}");
    assert!(statuses[5..].contains(&429), "{statuses:?}");
    let last = last.unwrap();
    assert_eq!(
        header(&last, "ratelimit-policy").as_deref(),
        Some("\"client\";q=5;w=1;entente-burst=5")
    );
    // The partner now follows the default tier as well.
    let r = cc(s, &c).await;
    assert!(
        header(&r, "ratelimit-policy")
            .unwrap()
            .contains("\"partner\";q=5")
    );
    // Removing the default lifts every limit within one change-feed read.
    tier(s, "base", rate(5, 5), false).await;
    let r = cc(s, &c).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "ratelimit-policy"), None);
}

/// Failed client authentication: after the budget, failures for that client id are answered 429
/// for a minute, whether the id exists or not; the right credentials still pass (nobody locks a
/// partner's client out by guessing at its id); a security audit event records each block.
async fn failed_authentication_is_limited_per_client_id(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let wrong = Creds {
        id: c.id.clone(),
        secret: "not-the-secret".into(),
    };
    let unknown = Creds {
        id: "cl_does_not_exist".into(),
        secret: "whatever".into(),
    };
    for who in [&wrong, &unknown] {
        let mut seen = vec![];
        for _ in 0..5 {
            let r = cc(s, who).await;
            let status = r.status().as_u16();
            if status == 429 {
                let retry: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
                assert!(
                    (55..=60).contains(&retry),
                    "a block lasts a minute: {retry}"
                );
                let body: Value = r.json().await.unwrap();
                assert_eq!(body["error"], "slow_down");
            }
            seen.push(status);
        }
        assert_eq!(seen, vec![401, 401, 401, 429, 429], "{}", who.id);
    }
    // The right secret is not blocked with the id.
    let r = cc(s, &c).await;
    assert_eq!(r.status(), 200);
    // Known and unknown ids got the same answers; the audit log has both blocks.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = s
        .state
        .store
        .audit_events(&entente_store::audit::AuditFilter {
            action: Some("security.client_auth_blocked".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let targets: Vec<&str> = events.iter().map(|e| e.target.as_str()).collect();
    assert!(
        targets.contains(&format!("client:{}", c.id).as_str()),
        "{targets:?}"
    );
    assert!(targets.contains(&"client:cl_does_not_exist"), "{targets:?}");
    // Another client of the same address is unaffected.
    let other = s.secret_client("globex", "orders:read").await;
    assert_eq!(cc(s, &other).await.status(), 200);
}

/// Per source address, through the trusted-proxy setting: failures from one forwarded address
/// block that address for every client id, and only that address.
async fn failed_authentication_is_limited_per_address(s: &TestServer) {
    s.seed().await;
    let good = s.secret_client("acme", "orders:read").await;
    let send = |from: &'static str, id: String| {
        let http = s.http.clone();
        let url = s.url("/oauth2/token");
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .basic_auth(id, Some("wrong"))
                .form(&[("grant_type", "client_credentials")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let mut seen = vec![];
    for i in 0..6 {
        seen.push(send("198.51.100.7", format!("cl_guess_{i}")).await);
    }
    assert_eq!(seen, vec![401, 401, 401, 401, 401, 429]);
    // The right credentials from that address wait as well; from another address they work.
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .header("x-forwarded-for", "198.51.100.7")
        .basic_auth(&good.id, Some(&good.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .header("x-forwarded-for", "198.51.100.8")
        .basic_auth(&good.id, Some(&good.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

mod auth_failures {
    use entente_server::limits::AuthFailureBudget;

    use entente_domain::sealing::MasterKey;

    use crate::common::{Backend, TestDb, TestServer};

    async fn start(backend: Backend, per_client: u32, per_address: u32) -> TestServer {
        TestServer::start_with(
            TestDb::new(backend).await,
            MasterKey::generate_base64(),
            |c| {
                c.auth_failures = AuthFailureBudget {
                    per_client,
                    per_address,
                };
                c.trusted_proxies =
                    entente_domain::forwarded::parse_proxies("127.0.0.1/32").unwrap();
            },
        )
        .await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_client_sqlite() {
        let s = start(Backend::Sqlite, 3, 1000).await;
        super::failed_authentication_is_limited_per_client_id(&s).await;
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_client_postgres() {
        let s = start(Backend::Postgres, 3, 1000).await;
        super::failed_authentication_is_limited_per_client_id(&s).await;
        s.stop().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn per_address_sqlite() {
        let s = start(Backend::Sqlite, 1000, 5).await;
        super::failed_authentication_is_limited_per_address(&s).await;
        s.stop().await;
    }
}

/// The CLI sets tiers and limits and shows them as JSON; the admin API reads the same, sets the
/// same, and refuses what is wrong with problem details.
async fn cli_and_api_set_the_same_limits(s: &TestServer) {
    use crate::cli::entente;
    s.seed().await;
    let t = entente(
        s,
        &[
            "limit",
            "tier",
            "set",
            "--name",
            "gold",
            "--per-second",
            "100",
            "--burst",
            "200",
        ],
    );
    assert_eq!(
        t,
        json!({"name": "gold", "per_second": 100, "burst": 200, "default": false})
    );
    entente(s, &["limit", "set", "--partner", "acme", "--tier", "gold"]);
    let shown = entente(s, &["limit", "show", "--partner", "acme"]);
    assert_eq!(shown["partner"], "acme");
    assert_eq!(shown["limit"]["setting"], json!({"tier": "gold"}));
    assert_eq!(
        shown["limit"]["effective"],
        json!({"rate": {"per_second": 100, "burst": 200}, "source": {"kind": "tier", "tier": "gold"}})
    );
    assert!(shown["limit"].get("current").is_none());

    // The running server enforces it within a second.
    let c = s.secret_client("acme", "orders:read").await;
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let r = cc(s, &c).await;
        if header(&r, "ratelimit-policy").is_some_and(|p| p.contains("\"partner\";q=100")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the CLI's limit did not apply within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The API: the same view, with the rate seen now.
    let (admin, _, auditor, _) = crate::admin_api::api_tokens(s).await;
    let api = |m: &'static str, p: String, t: String, b: Option<Value>| async move {
        let mut r = s
            .http
            .request(m.parse().unwrap(), s.url(&format!("/admin/api/v1{p}")))
            .bearer_auth(t);
        if let Some(b) = b {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let st = r.status().as_u16();
        (st, r.json::<Value>().await.unwrap_or(Value::Null))
    };
    let (st, v) = api(
        "GET",
        "/partners/acme/rate-limit".into(),
        auditor.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["limit"]["effective"]["rate"]["per_second"], 100);
    assert!(v["limit"]["current"]["allowed"].as_u64().is_some(), "{v}");
    // An auditor reads but does not change.
    let (st, _) = api(
        "PUT",
        "/rate-limits/tiers/gold".into(),
        auditor,
        Some(json!({"per_second": 1, "burst": 1})),
    )
    .await;
    assert_eq!(st, 403);
    let (st, v) = api(
        "PUT",
        "/rate-limits/tiers/gold".into(),
        admin.clone(),
        Some(json!({"per_second": 10, "burst": 15, "default": true})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v,
        json!({"name": "gold", "per_second": 10, "burst": 15, "default": true, "used_by": 1})
    );
    // A tier in use cannot be deleted; bad input is a 400; unknown names a 404.
    let (st, v) = api(
        "DELETE",
        "/rate-limits/tiers/gold".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 409, "{v}");
    for body in [
        json!({"per_second": 0, "burst": 1}),
        json!({"tier": "gold", "per_second": 5, "burst": 5}),
        json!({"per_second": 5}),
        json!({}),
    ] {
        let (st, v) = api(
            "PUT",
            "/partners/acme/rate-limit".into(),
            admin.clone(),
            Some(body),
        )
        .await;
        assert_eq!(st, 400, "{v}");
    }
    let (st, _) = api(
        "PUT",
        "/partners/acme/rate-limit".into(),
        admin.clone(),
        Some(json!({"tier": "platinum"})),
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = api(
        "GET",
        "/partners/nobody/rate-limit".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 404);
    // A client's own numbers, then cleared back to its partner's.
    let (st, v) = api(
        "PUT",
        format!("/clients/{}/rate-limit", c.id),
        admin.clone(),
        Some(json!({"per_second": 3, "burst": 4})),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["limit"]["effective"]["source"], json!({"kind": "custom"}));
    let (st, v) = api(
        "DELETE",
        format!("/clients/{}/rate-limit", c.id),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v["limit"]["effective"]["source"],
        json!({"kind": "partner"})
    );
    let (st, _) = api(
        "DELETE",
        "/partners/acme/rate-limit".into(),
        admin.clone(),
        None,
    )
    .await;
    assert_eq!(st, 200);
    // Every change is in the audit log.
    let tiers = entente(s, &["audit", "list", "--action", "rate_tier."]);
    let limits = entente(s, &["audit", "list", "--action", "rate_limit."]);
    assert_eq!(tiers.as_array().map_or(0, Vec::len), 2, "{tiers}");
    assert_eq!(limits.as_array().map_or(0, Vec::len), 4, "{limits}");
}

/// A private_key_jwt assertion refused by the rate limit is not used up: sent again after
/// Retry-After, the same assertion is accepted (its jti is remembered only after the limits).
async fn a_refused_assertion_is_not_used_up(s: &TestServer) {
    s.seed().await;
    let (jwks, key, kid) = crate::oauth::es256_client_key();
    let id = s.key_client("acme", "orders:read", &jwks).await;
    set_partner(s, "acme", Some(Setting::Custom(rate(1, 1)))).await;
    let send = |a: String| {
        let id = id.clone();
        async move {
            s.post_form(
                "/oauth2/token",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                    ("resource", API),
                ],
            )
            .await
        }
    };
    let first = crate::oauth::assertion(&key, &kid, &id, json!(s.base), "rl-1");
    assert_eq!(send(first).await.status(), 200);
    let second = crate::oauth::assertion(&key, &kid, &id, json!(s.base), "rl-2");
    let r = send(second.clone()).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = header(&r, "retry-after").unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_secs(retry)).await;
    let r = send(second.clone()).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // And once accepted, it is spent.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(send(second).await.status(), 401);
}

on_both!(
    sandbox_and_production_spend_separate_budgets,
    a_refused_assertion_is_not_used_up,
    a_partner_over_its_limit_is_refused_and_another_is_not,
    a_client_limit_holds_inside_its_partners,
    the_default_tier_limits_introspection_too,
    cli_and_api_set_the_same_limits,
);

/// A partner's limit is one budget per environment: its sandbox clients using up the sandbox's
/// leave production's whole (trials never starve live traffic).
async fn sandbox_and_production_spend_separate_budgets(s: &TestServer) {
    use crate::sandbox::{SANDBOX_API, client_in};
    use entente_domain::environment::Environment;
    crate::portal::two_partners(s).await;
    set_partner(s, "acme", Some(Setting::Custom(rate(1, 3)))).await;
    let trial_one = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let trial_two = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    let sandbox = |c: &Creds| {
        let (id, secret) = (c.id.clone(), c.secret.clone());
        async move {
            s.http
                .post(s.url("/sandbox/oauth2/token"))
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
    };
    // The first sandbox client spends the partner's sandbox burst (3)…
    let mut spent = vec![];
    for _ in 0..3 {
        spent.push(sandbox(&trial_one).await);
    }
    assert_eq!(spent, [200, 200, 200]);
    // …so the second, with its own budget whole, is refused by the partner's sandbox budget,
    let r = sandbox(&trial_two).await;
    assert_eq!(r, 429);
    // while production's budget is untouched.
    for _ in 0..3 {
        assert_eq!(cc(s, &live).await.status(), 200);
    }
}
