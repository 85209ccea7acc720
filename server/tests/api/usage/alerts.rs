//! Usage alerts: a spike and a surge raise alerts, steady traffic none.

use super::*;

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
