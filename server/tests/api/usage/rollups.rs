//! Counting and rollups: usage is counted, flushed and read the same through the admin API and
//! the CLI; replicas are summed and rollups expire after the retention period.

use super::*;

on_both!(usage_is_counted_flushed_and_read_the_same_everywhere);
async fn usage_is_counted_flushed_and_read_the_same_everywhere(s: &TestServer) {
    s.seed().await;
    let (admin, _, auditor, _) = api_tokens(s).await;
    let c = s.secret_client("acme", "orders:read").await;
    let start = now();
    for _ in 0..5 {
        assert_eq!(cc(s, &c, "orders:read").await, 200);
    }
    for _ in 0..2 {
        assert_eq!(cc(s, &c, "orders:write").await, 400); // invalid_scope
    }
    let wrong = Creds {
        id: c.id.clone(),
        secret: "not-the-secret".into(),
    };
    assert_eq!(cc(s, &wrong, "orders:read").await, 401);
    let rs = s.resource_server(API).await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(s.introspect(&rs, &token).await["active"], true);
    // A rate-limited request is counted as `rate_limited`.
    s.state
        .store
        .set_rate_limit(
            &Actor::new("test"),
            &Subject::Client {
                partner_slug: None,
                client_id: c.id.clone(),
            },
            Some(&Setting::Custom(Rate {
                per_second: 1,
                burst: 1,
            })),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let mut limited = 0;
    for _ in 0..4 {
        if cc(s, &c, "orders:read").await == 429 {
            limited += 1;
        }
    }
    assert!(limited >= 2, "{limited}");
    let issued = 5 + 1 + (4 - limited);

    // Written twice: an open minute is rewritten with its running totals, never added twice.
    let flush = |at| entente_server::usage::flush::flush(&s.state, at);
    assert!(flush(now()).await.unwrap() > 0);
    flush(now()).await.unwrap();

    let (from, to) = (start - 120, now() + 60);
    let q = format!("/usage?partner=acme&from={from}&to={to}&step=1m");
    let (status, report) = get(s, &s.base, &q, &auditor).await;
    assert_eq!(status, 200, "{report}");
    let total = &report["total"];
    assert_eq!(
        n(&total["tokens"]["client_credentials"]),
        issued,
        "{report}"
    );
    assert_eq!(n(&total["errors"]["invalid_scope"]), 2, "{report}");
    assert_eq!(n(&total["errors"]["rate_limited"]), limited, "{report}");
    assert!(total["p99_ms"].as_f64().unwrap() > 0.0);
    // The wrong secret was never authenticated: it is nobody's (not acme's) refusal.
    assert!(total["errors"]["invalid_client"].is_null(), "{report}");
    assert_eq!(report["active_partners"], 1);
    assert_eq!(report["top_clients"][0]["name"], c.id.as_str());
    assert_eq!(report["top_clients"][0]["label"], "backend");
    assert_eq!(
        n(&report["top_clients"][0]["requests"]),
        issued + 2 + limited
    );
    let points = report["points"].as_array().unwrap();
    let steps = ((to + 59).div_euclid(60) * 60 - from.div_euclid(60) * 60) / 60;
    assert_eq!(points.len() as i64, steps, "every step is present");
    let summed: u64 = points.iter().map(|p| n(&p["requests"])).sum();
    assert_eq!(summed, n(&total["requests"]));

    // Everyone: the wrong secret, introspection and the admin tokens appear too.
    let (_, all) = get(s, &s.base, &format!("/usage?from={from}&to={to}"), &admin).await;
    assert_eq!(n(&all["total"]["errors"]["invalid_client"]), 1, "{all}");
    assert!(n(&all["total"]["requests"]) > n(&total["requests"]));
    assert_eq!(all["active_partners"], 2, "acme and ops: {all}");

    // The CLI prints the same report for the same range.
    let cli = entente(
        s,
        &[
            "usage",
            "--partner",
            "acme",
            "--since",
            &from.to_string(),
            "--until",
            &to.to_string(),
        ],
    );
    assert_eq!(cli, report);
    let by_client = format!("/usage?client={}&from={from}&to={to}", c.id);
    let (_, one) = get(s, &s.base, &by_client, &auditor).await;
    assert_eq!(one["total"], report["total"]);

    // From memory, per second: the same counts while they are recent.
    let (status, recent) = get(
        s,
        &s.base,
        "/usage/recent?partner=acme&seconds=120",
        &auditor,
    )
    .await;
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["step"], 1);
    assert_eq!(n(&recent["total"]["tokens"]["client_credentials"]), issued);

    // Refusals: unknown names 404, bad ranges 400.
    for (path, status) in [
        ("/usage?partner=nobody".to_owned(), 404),
        ("/usage?client=cl_nobody".to_owned(), 404),
        (format!("/usage?partner=ops&client={}", c.id), 404),
        ("/usage?step=7m".to_owned(), 400),
        ("/usage?from=1h&to=2h".to_owned(), 400),
        ("/usage?from=2000-01-01&step=1m".to_owned(), 400),
        ("/usage?from=yesterday".to_owned(), 400),
        ("/usage?colour=red".to_owned(), 400),
        ("/usage/recent?seconds=301".to_owned(), 400),
        ("/usage/live?partner=nobody".to_owned(), 404),
    ] {
        let (got, body) = get(s, &s.base, &path, &admin).await;
        assert_eq!(got, status, "{path}: {body}");
    }
}

on_both!(replicas_are_summed_and_rollups_expire);
async fn replicas_are_summed_and_rollups_expire(s: &TestServer) {
    s.seed().await;
    let (admin, ..) = api_tokens(s).await;
    let c = s.secret_client("acme", "orders:read").await;
    // The replica writes on its own timer (every second), as a deployed one does.
    let replica = s
        .replica(|config| config.usage.flush_every = Duration::from_secs(1))
        .await;
    let start = now();
    for _ in 0..3 {
        assert_eq!(cc(s, &c, "orders:read").await, 200);
    }
    for _ in 0..4 {
        let r = s
            .http
            .post(replica.url("/oauth2/token"))
            .basic_auth(&c.id, Some(&c.secret))
            .form(&[("grant_type", "client_credentials"), ("resource", API)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    entente_server::usage::flush::flush(&s.state, now())
        .await
        .unwrap();
    let q = format!("/usage?partner=acme&from={}&to={}", start - 60, now() + 60);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, r) = get(s, &s.base, &q, &admin).await;
        let tokens = n(&r["total"]["tokens"]["client_credentials"]);
        if tokens == 7 {
            // Either replica answers with the sum.
            let (_, there) = get(s, &replica.base, &q, &admin).await;
            assert_eq!(there["total"], r["total"]);
            break;
        }
        assert!(tokens < 7, "{r}");
        assert!(
            Instant::now() < deadline,
            "the replica's rows never arrived: {r}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Retention: rows older than ENTENTE_USAGE_RETENTION_DAYS (30) go, recent ones stay.
    let store = &s.state.store;
    let old = (now() - 31 * 86_400).div_euclid(60) * 60;
    let mut cell = Cell::default();
    cell.record(500);
    let row = |minute| MinuteRow {
        minute,
        group: Group {
            partner_id: String::new(),
            client_id: "cl_old".into(),
            audience: String::new(),
            kind: Kind::Revocation,
            result: "ok".into(),
        },
        cell,
    };
    store
        .put_usage("another-replica", &[row(old), row(old + 29 * 86_400)])
        .await
        .unwrap();
    let everyone = Filter::default();
    let count = |from: i64| {
        let everyone = everyone.clone();
        async move {
            store
                .usage_report(&everyone, from, from + 60, 60)
                .await
                .unwrap()
                .total
                .requests
        }
    };
    assert_eq!(count(old).await, 1);
    let deleted = entente_server::workers::maintenance::prune_usage(&s.state, now())
        .await
        .unwrap();
    assert_eq!(deleted, 1);
    assert_eq!(count(old).await, 0);
    assert_eq!(count(old + 29 * 86_400).await, 1);
    let (_, r) = get(s, &s.base, &q, &admin).await;
    assert_eq!(n(&r["total"]["tokens"]["client_credentials"]), 7);
    drop(replica);
}
