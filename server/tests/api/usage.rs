//! The usage pipeline over real HTTP on SQLite and PostgreSQL: outcomes of the token,
//! introspection and revocation endpoints counted in memory, flushed to per-minute rollups
//! (rewritten, never double-counted), summed over replicas, kept for the retention period; the
//! admin API, the CLI and the live stream agree.

use std::time::{Duration, Instant};

use entente_domain::rate_limit::{Rate, Setting};
use entente_domain::usage::{Cell, Kind};
use entente_server::state::now;
use entente_store::Actor;
use entente_store::limits::Subject;
use entente_store::usage::{Filter, Group, MinuteRow};
use serde_json::Value;

use crate::admin_api::api_tokens;
use crate::cli::entente;
use crate::common::{API, Creds, TestServer};

async fn get(s: &TestServer, base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = s
        .http
        .get(format!("{base}/admin/api/v1{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn cc(s: &TestServer, c: &Creds, scope: &str) -> u16 {
    s.post_form(
        "/oauth2/token",
        Some(c),
        &[
            ("grant_type", "client_credentials"),
            ("resource", API),
            ("scope", scope),
        ],
    )
    .await
    .status()
    .as_u16()
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

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

/// Reads server-sent events until `done` accepts a `usage` event's report (or times out).
async fn watch(
    s: &TestServer,
    path: &str,
    token: &str,
    within: Duration,
    mut done: impl FnMut(&Value) -> bool,
) -> Option<Value> {
    let mut r = s
        .http
        .get(s.url(&format!("/admin/api/v1{path}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let until = Instant::now() + within;
    let mut buf = String::new();
    while Instant::now() < until {
        let chunk = tokio::time::timeout(Duration::from_millis(1500), r.chunk())
            .await
            .ok()?
            .unwrap()?;
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let data = event
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")));
            if event.lines().any(|l| l == "event: usage")
                && let Some(v) = data.and_then(|d| serde_json::from_str::<Value>(d).ok())
                && done(&v)
            {
                return Some(v);
            }
        }
    }
    None
}

on_both!(the_live_stream_shows_tokens_within_two_seconds);
async fn the_live_stream_shows_tokens_within_two_seconds(s: &TestServer) {
    s.seed().await;
    let (_, _, auditor, _) = api_tokens(s).await;
    let c = s.secret_client("acme", "orders:read").await;
    // The first event comes within a second or two, with one point.
    let first = watch(
        s,
        "/usage/live?partner=acme",
        &auditor,
        Duration::from_secs(3),
        |_| true,
    )
    .await
    .expect("an event within 3 s");
    // Each event carries the last five seconds (a reconnecting client fills in what it missed).
    assert_eq!(first["points"].as_array().unwrap().len(), 5);
    assert_eq!(first["step"], 1);
    let issuing = {
        let http = s.http.clone();
        let url = s.url("/oauth2/token");
        let (id, secret) = (c.id.clone(), c.secret.clone());
        tokio::spawn(async move {
            for _ in 0..30 {
                http.post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(&[("grant_type", "client_credentials"), ("resource", API)])
                    .send()
                    .await
                    .unwrap();
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let started = Instant::now();
    let seen = watch(
        s,
        "/usage/live?partner=acme",
        &auditor,
        Duration::from_secs(4),
        |v| n(&v["points"][4]["tokens"]["client_credentials"]) > 0,
    )
    .await
    .expect("a second with tokens in the stream");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(seen["top_clients"][0]["name"], c.id.as_str());
    // Another partner's view does not show acme's tokens.
    let other = watch(
        s,
        "/usage/live?partner=ops",
        &auditor,
        Duration::from_secs(2),
        |_| true,
    )
    .await
    .unwrap();
    // (ops has the admin API's tokens of a moment ago, never acme's.)
    let names = |k: &str| -> Vec<String> {
        other[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(!names("top_clients").contains(&c.id), "{other}");
    assert!(
        !names("top_partners").contains(&"acme".to_owned()),
        "{other}"
    );
    issuing.await.unwrap();
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

/// Sends `n` requests one after another, alternating a client_credentials request with a
/// refresh request with a made-up token (refused `invalid_grant`).
async fn steady_mix(s: &TestServer, c: &Creds, n: usize) {
    for i in 0..n {
        let form: &[(&str, &str)] = if i % 2 == 1 {
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "ent_rt_made_up"),
            ]
        } else {
            &[("grant_type", "client_credentials"), ("resource", API)]
        };
        s.http
            .post(s.url("/oauth2/token"))
            .basic_auth(&c.id, Some(&c.secret))
            .form(form)
            .send()
            .await
            .unwrap();
    }
}

/// Sends `n` client_credentials requests at once (or refresh requests with a made-up token,
/// refused `invalid_grant`).
async fn burst(s: &TestServer, c: &Creds, n: usize, bogus_refresh: bool) {
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let http = s.http.clone();
            let url = s.url("/oauth2/token");
            let (id, secret) = (c.id.clone(), c.secret.clone());
            tokio::spawn(async move {
                let form: &[(&str, &str)] = if bogus_refresh {
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", "ent_rt_made_up"),
                    ]
                } else {
                    &[("grant_type", "client_credentials"), ("resource", API)]
                };
                let r = http
                    .post(&url)
                    .basic_auth(&id, Some(&secret))
                    .form(form)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), if bogus_refresh { 400 } else { 200 });
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spike_and_a_surge_raise_alerts_and_steady_traffic_none_sqlite() {
    spike_and_surge(crate::common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spike_and_a_surge_raise_alerts_and_steady_traffic_none_postgres() {
    spike_and_surge(crate::common::Backend::Postgres).await;
}

async fn spike_and_surge(backend: crate::common::Backend) {
    let s = TestServer::start_with(
        crate::common::TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |config| {
            config.usage.alert_window = Duration::from_secs(1);
            config.usage.sensitivity.min_volume = 10;
        },
    )
    .await;
    s.seed().await;
    let (admin, ..) = api_tokens(&s).await;
    let spiky = s.secret_client("acme", "orders:read").await;
    let surging = s.secret_client("acme", "orders:read").await;
    let steady = s.secret_client("acme", "orders:read").await;
    // The steady client calls well above the minimum volume throughout, half of its calls
    // refused, so both of its checks are live (and must stay quiet); the other two call at
    // the same rate until their spike and surge.
    let begun = Instant::now();
    let second = |i: u64| tokio::time::sleep_until((begun + Duration::from_secs(i)).into());
    for i in 0..8 {
        burst(&s, &spiky, 12, false).await;
        burst(&s, &surging, 12, false).await;
        steady_mix(&s, &steady, 40).await;
        second(i + 1).await;
    }
    // Then one second: a spike of tokens, a surge of invalid_grant, the steady one as before.
    burst(&s, &spiky, 120, false).await;
    burst(&s, &surging, 60, true).await;
    burst(&s, &surging, 12, false).await;
    steady_mix(&s, &steady, 40).await;
    for i in 9..12 {
        second(i).await;
        burst(&s, &spiky, 12, false).await;
        burst(&s, &surging, 12, false).await;
        steady_mix(&s, &steady, 40).await;
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    let alerts = loop {
        let (status, v) = get(&s, &s.base, "/usage/alerts?since=5m", &admin).await;
        assert_eq!(status, 200, "{v}");
        let all = v.as_array().unwrap().clone();
        let has = |c: &Creds, kind: &str| {
            all.iter()
                .any(|a| a["client_id"] == c.id.as_str() && a["kind"] == kind)
        };
        if has(&spiky, "issuance_spike") && has(&surging, "error_surge") {
            break all;
        }
        assert!(Instant::now() < deadline, "alerts missing: {all:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        alerts.iter().all(|a| a["client_id"] != steady.id.as_str()),
        "steady traffic raised an alert: {alerts:?}"
    );
    assert!(
        alerts
            .iter()
            .filter(|a| a["client_id"] == spiky.id.as_str())
            .all(|a| a["kind"] == "issuance_spike"),
        "{alerts:?}"
    );
    let spike = alerts
        .iter()
        .find(|a| a["kind"] == "issuance_spike")
        .unwrap();
    assert_eq!(spike["partner"], "acme");
    assert!(spike["observed"].as_f64().unwrap() > spike["expected"].as_f64().unwrap() * 3.0);
    // Each is a security event in the audit log, and the CLI lists the same alerts.
    let (_, audit) = get(&s, &s.base, "/audit?action=security.usage_anomaly", &admin).await;
    let events = audit["events"].as_array().cloned().unwrap_or_default();
    assert!(events.len() >= 2, "{audit}");
    let cli = entente(&s, &["alert", "list", "--partner", "acme", "--since", "5m"]);
    let ids = |v: &Value| {
        let mut ids: Vec<i64> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids
    };
    let (_, api) = get(&s, &s.base, "/usage/alerts?partner=acme&since=5m", &admin).await;
    assert_eq!(ids(&cli), ids(&api));
    s.stop().await;
}

/// Opens the live stream as `auth` (a bearer token, or a console session cookie).
async fn open_live(s: &TestServer, auth: &str) -> reqwest::Response {
    let r = s.http.get(s.url("/admin/api/v1/usage/live"));
    let r = if auth.contains('=') {
        r.header("cookie", auth)
    } else {
        r.bearer_auth(auth)
    };
    r.send().await.unwrap()
}

/// Whether the stream's body ends within `within` (events keep coming until then).
async fn ends_within(r: &mut reqwest::Response, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        match tokio::time::timeout(until - Instant::now(), r.chunk()).await {
            Err(_) => return false,
            Ok(Ok(Some(_))) => continue,
            Ok(Ok(None) | Err(_)) => return true,
        }
    }
    false
}

/// Review L-6: a live stream checks its caller's access again (every 30 s; every second here):
/// a revoked token or a disabled user ends it. One caller holds at most five at once; the
/// sixth is refused with 429 problem details until one closes.
async fn live_streams_follow_their_callers_access(backend: crate::common::Backend) {
    let s = TestServer::start_with(
        crate::common::TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| c.usage.live_recheck = Duration::from_secs(1),
    )
    .await;
    s.seed().await;
    let (_, _, auditor, _) = api_tokens(&s).await;
    let admin_api = format!("{}/admin/api/v1", s.base);

    // A token revoked while its stream is open.
    let me = s.secret_client("ops", "entente:auditor").await;
    let token = s
        .token(
            &me,
            &[("resource", &admin_api), ("scope", "entente:auditor")],
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut stream = open_live(&s, &token).await;
    assert_eq!(stream.status(), 200);
    assert!(
        !ends_within(&mut stream, Duration::from_millis(2500)).await,
        "a valid caller's stream goes on"
    );
    let r = s
        .post_form("/oauth2/revoke", Some(&me), &[("token", &token)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        ends_within(&mut stream, Duration::from_secs(5)).await,
        "the revoked token's stream ends"
    );

    // A console user disabled while their stream is open.
    let cookie =
        crate::console::session(&s, "aud@example.test", entente_store::enums::Role::Auditor).await;
    let mut stream = open_live(&s, &cookie).await;
    assert_eq!(stream.status(), 200);
    assert!(!ends_within(&mut stream, Duration::from_millis(1500)).await);
    s.state
        .store
        .set_admin_access(
            &Actor::new("test"),
            "someone-else",
            "aud@example.test",
            entente_store::enums::Role::Auditor,
            false,
            now(),
        )
        .await
        .unwrap();
    assert!(
        ends_within(&mut stream, Duration::from_secs(5)).await,
        "the disabled user's stream ends"
    );

    // Five at once per caller.
    let mut open = vec![];
    for _ in 0..5 {
        let r = open_live(&s, &auditor).await;
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let r = open_live(&s, &auditor).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], 429);
    // Another caller is not counted with them.
    let cookie =
        crate::console::session(&s, "aud2@example.test", entente_store::enums::Role::Auditor).await;
    let other = open_live(&s, &cookie).await;
    assert_eq!(other.status(), 200);
    drop(other);
    // One closed, another may open (once the server has noticed, within a second or two).
    drop(open.pop());
    let deadline = Instant::now() + Duration::from_secs(6);
    loop {
        let r = open_live(&s, &auditor).await;
        if r.status() == 200 {
            break;
        }
        assert_eq!(r.status(), 429);
        assert!(
            Instant::now() < deadline,
            "the closed stream's place was not given back"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_follow_their_callers_access_sqlite() {
    live_streams_follow_their_callers_access(crate::common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_streams_follow_their_callers_access_postgres() {
    live_streams_follow_their_callers_access(crate::common::Backend::Postgres).await;
}
