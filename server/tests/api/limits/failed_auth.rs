//! Failed client authentication is limited per client id and per source address (each with a
//! server started with small budgets of its own).

use super::*;

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
