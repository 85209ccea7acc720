//! Cluster mode: three replicas on one PostgreSQL database and one real Redis. One global limit
//! across replicas, revocations reaching every replica within 100 ms (LISTEN/NOTIFY), the
//! jwt-bearer replay cache shared through Redis, and Redis stopped mid-test: each failure mode,
//! then recovery without a restart. This module holds the helpers its submodules share.

use std::time::{Duration, Instant};

use entente_domain::rate_limit::{Rate, Setting};
use entente_server::cluster::FailureMode;
use entente_store::Actor;
use entente_store::limits::Subject;
use serde_json::{Value, json};

use crate::common::{API, Backend, Creds, RedisServer, TestDb, TestServer, with_redis};

mod global_limit;
mod redis_loss;
mod shared_state;

async fn start(redis: &RedisServer, mode: FailureMode) -> TestServer {
    TestServer::start_with(
        TestDb::new(Backend::Postgres).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| with_redis(c, redis, mode),
    )
    .await
}

async fn limit_acme(s: &TestServer, per_second: u32, burst: u32) {
    s.state
        .store
        .set_rate_limit(
            &Actor::new("test"),
            &Subject::Partner {
                slug: "acme".into(),
            },
            Some(&Setting::Custom(Rate { per_second, burst })),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
}

/// client_credentials against one base URL: the status.
async fn cc(http: &reqwest::Client, base: &str, c: &Creds) -> u16 {
    http.post(format!("{base}/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&[("grant_type", "client_credentials"), ("resource", API)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// `/readyz` with its detail, from a metrics listener.
async fn readyz(http: &reqwest::Client, metrics: &str) -> Value {
    http.get(format!("{metrics}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A jwt-bearer grant with `assertion` at `base`.
async fn jwt_bearer(
    http: &reqwest::Client,
    base: &str,
    client: &Creds,
    assertion: &str,
) -> reqwest::Response {
    http.post(format!("{base}/oauth2/token"))
        .basic_auth(&client.id, Some(&client.secret))
        .form(&[
            ("grant_type", crate::fed::JWT_BEARER),
            ("assertion", assertion),
            ("resource", API),
        ])
        .send()
        .await
        .unwrap()
}

/// Waits (up to 5 s) until the `/readyz` detail on `metrics` satisfies `ok`; the last answer.
async fn until_readyz(http: &reqwest::Client, metrics: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let v = readyz(http, metrics).await;
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until every replica's change feed has the partner's limit.
async fn until_limited(bases: &[String], s: &TestServer, c: &Creds, per_second: u32) {
    let deadline = Instant::now() + Duration::from_secs(2);
    for base in bases {
        loop {
            let r = s
                .http
                .post(format!("{base}/oauth2/token"))
                .basic_auth(&c.id, Some(&c.secret))
                .form(&[("grant_type", "client_credentials"), ("resource", API)])
                .send()
                .await
                .unwrap();
            let policy = r
                .headers()
                .get("ratelimit-policy")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            if policy.contains(&format!("\"partner\";q={per_second};")) {
                break;
            }
            assert!(Instant::now() < deadline, "{base} never applied the limit");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
