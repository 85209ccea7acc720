//! Redis stopped mid-test: each failure mode (local, fail open, fail closed) is followed, then
//! recovery without a restart.

use super::*;

/// Redis stopped mid-test: each failure mode does what it says, `/readyz` shows it, assertions
/// are refused (the replay cache fails closed), and when Redis is back everything recovers.
async fn redis_loss_follows(mode: FailureMode) {
    let mut redis = RedisServer::start().await;
    let s = start(&redis, mode).await;
    let r2 = s.replica(|c| with_redis(c, &redis, mode)).await;
    let f = crate::fed::setup(&s).await;
    let c = s.secret_client("acme", "orders:read").await;
    limit_acme(&s, 10, 10).await;
    until_limited(&[s.base.clone(), r2.base.clone()], &s, &c, 10).await;
    let m = format!("http://{}", s.metrics_addr.unwrap());
    // The public /readyz says only whether the replica is ready.
    let public: Value = s
        .http
        .get(s.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(public, json!({"ready": true}));
    // Both replicas have seen each other's heartbeat (every 2 s).
    until_readyz(&s.http, &m, |v| {
        v["redis"] == "up" && v["replicas_seen"] == 2
    })
    .await;

    redis.stop().await;
    // The first call that fails marks Redis down; the heartbeat notices within half a second.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let _ = cc(&s.http, &s.base, &c).await;
        let v = readyz(&s.http, &m).await;
        if v["redis"] == "down" {
            assert_eq!(v["rate_limits"], mode.as_str(), "{v}");
            // Losing Redis does not take the replica out of the load balancer.
            assert_eq!(v["ready"], true);
            break;
        }
        assert!(Instant::now() < deadline, "Redis loss not noticed: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let mut statuses = vec![];
    for _ in 0..12 {
        statuses.push(cc(&s.http, &s.base, &c).await);
    }
    match mode {
        // Each of the two replicas enforces half: a burst of 5 here.
        FailureMode::Local => {
            let ok = statuses.iter().filter(|s| **s == 200).count();
            assert!((5..=6).contains(&ok), "local share: {statuses:?}");
            assert!(statuses.iter().all(|s| *s == 200 || *s == 429));
        }
        FailureMode::FailOpen => assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}"),
        FailureMode::FailClosed => {
            assert!(statuses.iter().all(|s| *s == 503), "{statuses:?}");
            let r = s
                .http
                .post(s.url("/oauth2/token"))
                .basic_auth(&c.id, Some(&c.secret))
                .form(&[("grant_type", "client_credentials"), ("resource", API)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.headers()["retry-after"], "1");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"], "temporarily_unavailable");
        }
    }
    // H54: whatever the rate-limit mode, a jwt-bearer assertion cannot be checked for replay
    // and is refused (after the local share has refilled, so that the limit does not answer).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let n = entente_server::state::now();
    let assertion = f.idp.sign(
        None,
        json!({"iss": crate::fed::IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": crate::fed::uuid()}),
    );
    let r = jwt_bearer(&s.http, &s.base, &f.client, &assertion).await;
    assert_eq!(r.status(), 503);

    // Redis returns: within a few seconds the replicas use it again, untouched by a restart.
    redis.resume().await;
    let v = until_readyz(&s.http, &m, |v| v["redis"] == "up").await;
    assert_eq!(v["rate_limits"], "cluster");
    let r = jwt_bearer(&s.http, &s.base, &f.client, &assertion).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    drop(r2);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_loss_in_local_mode() {
    redis_loss_follows(FailureMode::Local).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_loss_in_fail_open_mode() {
    redis_loss_follows(FailureMode::FailOpen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_loss_in_fail_closed_mode() {
    redis_loss_follows(FailureMode::FailClosed).await;
}
