//! Test harness: the real server on an ephemeral port with a fresh SQLite or PostgreSQL database.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use entente_domain::ScopeSet;
use entente_domain::lifecycle::Stage;
use entente_domain::sealing::MasterKey;
use entente_server::config::Config;
use entente_server::startup::Application;
use entente_server::state::{AppState, now};
use entente_store::Actor;
use entente_store::catalog::{NewAudience, NewClient, NewPartner};
pub use entente_store::testing::{Backend, TestDb};

pub const API: &str = "https://api.example.test";
pub const OTHER_API: &str = "https://billing.example.test";

/// Declares `mod name { sqlite, postgres }` tests that run `name(server)` on each backend.
#[macro_export]
macro_rules! on_both {
    ($($name:ident),* $(,)?) => { $(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let s = $crate::common::TestServer::start($crate::common::Backend::Sqlite).await;
                super::$name(&s).await;
                s.stop().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let s = $crate::common::TestServer::start($crate::common::Backend::Postgres).await;
                super::$name(&s).await;
                s.stop().await;
            }
        }
    )* };
}

pub struct TestServer {
    pub base: String,
    pub state: AppState,
    pub db: TestDb,
    pub master_b64: String,
    pub http: reqwest::Client,
    pub task: tokio::task::JoinHandle<()>,
    stop_tx: Option<tokio::sync::oneshot::Sender<()>>,
    pub metrics_addr: Option<std::net::SocketAddr>,
}

pub struct Creds {
    pub id: String,
    pub secret: String,
}

impl TestServer {
    pub async fn start(backend: Backend) -> Self {
        Self::start_on(TestDb::new(backend).await, MasterKey::generate_base64()).await
    }

    pub async fn start_on(db: TestDb, master_b64: String) -> Self {
        Self::start_with(db, master_b64, |_| {}).await
    }

    /// Starts the server as `main` does (`Application::build_on` + `run_until_stopped`), with
    /// `adjust` applied to the configuration first.
    pub async fn start_with(
        db: TestDb,
        master_b64: String,
        adjust: impl FnOnce(&mut Config),
    ) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        let mut config = Config::new(
            addr,
            base.clone(),
            db.url.clone(),
            MasterKey::from_base64(&master_b64).unwrap(),
        );
        // Partner IdPs in tests listen on loopback over plain http.
        config.fetch.allow_insecure = true;
        config.fetch.max_stale = 600;
        config.shutdown_drain = std::time::Duration::ZERO;
        adjust(&mut config);
        let app = Application::build_on(config, listener).await.unwrap();
        let state = app.state().clone();
        let metrics_addr = app.metrics_addr();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            app.run_until_stopped(async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
        });
        Self {
            base,
            state,
            db,
            master_b64,
            http: reqwest::Client::new(),
            task,
            stop_tx: Some(stop_tx),
            metrics_addr,
        }
    }

    /// Sends the shutdown signal (as SIGTERM would) without waiting for the server to stop.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.stop_tx.take() {
            let _ = tx.send(());
        }
    }

    pub async fn stop(self) {
        self.task.abort();
        self.db.cleanup().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Partner `acme`, audiences API (orders:read orders:write) and OTHER_API (bill:read),
    /// acme granted orders:read on API.
    pub async fn seed(&self) {
        let s = &self.state.store;
        let a = Actor::new("test");
        s.create_partner(
            &a,
            NewPartner {
                slug: "acme".into(),
                name: "Acme Corp".into(),
                stage: Stage::Production,
            },
            now(),
        )
        .await
        .unwrap();
        s.create_partner(
            &a,
            NewPartner {
                slug: "globex".into(),
                name: "Globex".into(),
                stage: Stage::Production,
            },
            now(),
        )
        .await
        .unwrap();
        s.create_audience(
            &a,
            NewAudience {
                identifier: API.into(),
                name: "Orders".into(),
                scopes: vec!["orders:read".into(), "orders:write".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            now(),
        )
        .await
        .unwrap();
        s.create_audience(
            &a,
            NewAudience {
                identifier: OTHER_API.into(),
                name: "Billing".into(),
                scopes: vec!["bill:read".into()],
                token_lifetime: 300,
                environment: Default::default(),
            },
            now(),
        )
        .await
        .unwrap();
        s.set_grant(
            &a,
            "acme",
            API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
        s.set_grant(
            &a,
            "globex",
            API,
            &ScopeSet::parse("orders:read orders:write").unwrap(),
            now(),
        )
        .await
        .unwrap();
        self.refresh().await;
    }

    /// Applies pending change-feed entries now (the background poll does the same within 250 ms).
    pub async fn refresh(&self) {
        self.state.poll_changes().await.unwrap();
    }

    async fn insert_client(&self, new: NewClient) -> String {
        let id = entente_domain::secret::new_client_id();
        self.state
            .store
            .create_client(&Actor::new("test"), new, id.clone(), now())
            .await
            .unwrap();
        self.refresh().await;
        id
    }

    async fn partner_id(&self, slug: &str) -> String {
        self.state.store.partner_by_slug(slug).await.unwrap().id
    }

    pub async fn secret_client(&self, partner: &str, scopes: &str) -> Creds {
        let secret = entente_domain::secret::generate_secret();
        let new = NewClient::partner_secret(
            self.partner_id(partner).await,
            "backend".into(),
            ScopeSet::parse(scopes).unwrap(),
            vec!["client_credentials".into()],
            self.state.hasher.hash(&secret),
        );
        Creds {
            id: self.insert_client(new).await,
            secret,
        }
    }

    pub async fn key_client(&self, partner: &str, scopes: &str, jwks: &str) -> String {
        let new = NewClient::partner_key(
            self.partner_id(partner).await,
            "signer".into(),
            ScopeSet::parse(scopes).unwrap(),
            vec!["client_credentials".into()],
            entente_store::client_keys::ClientKeys::Document(jwks.into()),
        );
        self.insert_client(new).await
    }

    pub async fn resource_server(&self, audience: &str) -> Creds {
        let a = self
            .state
            .store
            .audience_by_identifier(audience)
            .await
            .unwrap();
        let secret = entente_domain::secret::generate_secret();
        Creds {
            id: self
                .insert_client(NewClient::resource_server(
                    a.id,
                    "api".into(),
                    self.state.hasher.hash(&secret),
                ))
                .await,
            secret,
        }
    }

    pub async fn post_form(
        &self,
        path: &str,
        auth: Option<&Creds>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut r = self.http.post(self.url(path)).form(form);
        if let Some(c) = auth {
            r = r.basic_auth(&c.id, Some(&c.secret));
        }
        r.send().await.unwrap()
    }

    pub async fn token(&self, c: &Creds, form: &[(&str, &str)]) -> serde_json::Value {
        let mut f = vec![("grant_type", "client_credentials")];
        f.extend_from_slice(form);
        let r = self.post_form("/oauth2/token", Some(c), &f).await;
        assert_eq!(r.status(), 200, "token request failed");
        r.json().await.unwrap()
    }

    pub async fn introspect(&self, rs: &Creds, token: &str) -> serde_json::Value {
        self.introspect_at("", rs, token).await
    }

    /// Introspection at the endpoint of the environment below `prefix` ("" or "/sandbox").
    pub async fn introspect_at(&self, prefix: &str, rs: &Creds, token: &str) -> serde_json::Value {
        let r = self
            .post_form(
                &format!("{prefix}/oauth2/introspect"),
                Some(rs),
                &[("token", token)],
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// Asserts an RFC 6749 §5.2 error response: status, code, `no-store`.
pub async fn assert_oauth_error(
    r: reqwest::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    assert_eq!(r.status(), status, "status for {code}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"], code, "{v}");
    v
}

/// A real `redis-server` of the test's own on a free port (nothing on disk), so that a test can
/// stop and restart it; killed when dropped. Fails the test when Redis is not installed.
pub struct RedisServer {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl RedisServer {
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut r = Self { port, child: None };
        r.resume().await;
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts (again) on the same port and waits until it answers.
    pub async fn resume(&mut self) {
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server must be installed for the cluster tests (apt-get install redis-server)");
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap();
        for _ in 0..100 {
            if let Ok(mut c) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut c)
                    .await
                    .is_ok()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    /// Kills it (as a crash would) and waits until the port is closed.
    pub async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.unwrap();
            let _ = c.wait().await;
        }
    }
}

/// Cluster mode with this Redis, as the given failure mode.
pub fn with_redis(
    config: &mut Config,
    redis: &RedisServer,
    mode: entente_server::cluster::FailureMode,
) {
    config.redis = Some(entente_server::cluster::RedisConfig {
        url: redis.url(),
        failure_mode: mode,
        timeout: std::time::Duration::from_millis(100),
    });
    // `/readyz` with its detail is on the metrics listener.
    config.metrics_listen = Some("127.0.0.1:0".parse().unwrap());
}

/// Another replica of a test server: the same database, master key and issuer, its own
/// listener (`base` is its own address) and state; stopped when dropped.
pub struct Replica {
    pub base: String,
    /// Its metrics listener (`/metrics`, `/readyz` with detail), when configured.
    pub metrics: Option<String>,
    pub state: AppState,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Replica {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl TestServer {
    pub async fn replica(&self, adjust: impl FnOnce(&mut Config)) -> Replica {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut config = Config::new(
            addr,
            self.base.clone(),
            self.db.url.clone(),
            MasterKey::from_base64(&self.master_b64).unwrap(),
        );
        config.fetch.allow_insecure = true;
        config.fetch.max_stale = 600;
        config.shutdown_drain = std::time::Duration::ZERO;
        adjust(&mut config);
        let app = Application::build_on(config, listener).await.unwrap();
        let state = app.state().clone();
        let metrics = app.metrics_addr().map(|a| format!("http://{a}"));
        let task = tokio::spawn(async move {
            let _ = app.run_until_stopped(std::future::pending::<()>()).await;
        });
        Replica {
            metrics,
            base: format!("http://{addr}"),
            state,
            task,
        }
    }
}
