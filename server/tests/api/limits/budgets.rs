//! Rate limit budgets at the endpoints: per partner (one budget per environment) and per client
//! on the token endpoint, the default tier on introspection too, and an assertion refused by a
//! limit is not used up.

use super::*;

on_both!(
    sandbox_and_production_spend_separate_budgets,
    a_refused_assertion_is_not_used_up,
    a_partner_over_its_limit_is_refused_and_another_is_not,
    a_client_limit_holds_inside_its_partners,
    the_default_tier_limits_introspection_too,
);

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
