//! The start-up path and what only shows in the real process: the client's address reaches the
//! sign-in throttle (behind trusted proxies too), metrics stay off the public listener, a replica
//! cut off from its database stops vouching for tokens and recovers, and shutdown reports
//! not-ready before it stops while requests in flight finish (H56).

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{API, Backend, TestDb, TestServer};

/// The release or debug `entente` binary, serving on free ports with its own data directory.
pub(crate) struct Binary {
    child: Child,
    pub(crate) base: String,
    pub(crate) metrics: String,
    _dir: entente_store::testing::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Binary {
    pub(crate) async fn start(env: &[(&str, &str)]) -> Self {
        let dir = entente_store::testing::TempDir::new("entente-bin");
        let (port, mport) = (free_port(), free_port());
        let base = format!("http://127.0.0.1:{port}");
        let child = Command::new(env!("CARGO_BIN_EXE_entente"))
            .arg("serve")
            .env_clear()
            .env("ENTENTE_LISTEN", format!("127.0.0.1:{port}"))
            .env("ENTENTE_ISSUER", &base)
            .env("ENTENTE_METRICS_LISTEN", format!("127.0.0.1:{mport}"))
            .env("ENTENTE_DATA_DIR", &dir.0)
            .env("ENTENTE_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let b = Self {
            child,
            base,
            metrics: format!("http://127.0.0.1:{mport}"),
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = reqwest::get(format!("{}/readyz", b.base)).await
                && r.status() == 200
            {
                return b;
            }
            assert!(Instant::now() < deadline, "the binary did not become ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Status of a sign-in with a wrong password, as the console's form posts it.
    async fn sign_in(&self, email: &str, forwarded_for: Option<&str>) -> u16 {
        let path = crate::console::path_of("login");
        let mut r = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("origin", &self.base)
            .form(&[("email", email), ("password", "wrong password!!")]);
        if let Some(f) = forwarded_for {
            r = r.header("x-forwarded-for", f);
        }
        r.send().await.unwrap().status().as_u16()
    }
}

impl Binary {
    /// Runs a catalog command against this binary's database; its JSON output.
    pub(crate) fn cli(&self, args: &[&str]) -> serde_json::Value {
        self.cli_with_input(args, "")
    }

    /// The same, with `input` on the command's standard input (a password, say).
    pub(crate) fn cli_with_input(&self, args: &[&str], input: &str) -> serde_json::Value {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_entente"))
            .args(args)
            .args(["--output", "json"])
            .env_clear()
            .env("ENTENTE_DATA_DIR", &self._dir.0)
            .env("ENTENTE_ISSUER", &self.base)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "entente {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Defect 1 of issue 7 / F48: the real binary throttles sign-ins per source address (20 a
/// minute), whatever e-mail is tried; a forwarding header from an untrusted peer changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_throttles_sign_in_per_source_address() {
    let b = Binary::start(&[]).await;
    for i in 0..20 {
        let forged = format!("198.51.100.{i}");
        let s = b
            .sign_in(&format!("u{i}@example.test"), Some(&forged))
            .await;
        assert_eq!(s, 401, "attempt {i}");
    }
    assert_eq!(
        b.sign_in("u20@example.test", Some("198.51.100.200")).await,
        429,
        "the 21st attempt from one address within a minute must be throttled"
    );
}

/// Behind a trusted proxy the forwarded address counts: distinct clients are not throttled
/// together, one client is throttled whatever it claims further left in the chain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_reads_forwarded_for_only_from_trusted_proxies() {
    let b = Binary::start(&[("ENTENTE_TRUSTED_PROXIES", "127.0.0.1/32, ::1/128")]).await;
    for i in 0..25 {
        let client = format!("203.0.113.{i}");
        let s = b
            .sign_in(&format!("a{i}@example.test"), Some(&client))
            .await;
        assert_eq!(s, 401, "client {client} has its own budget");
    }
    let mut last = 0;
    for i in 0..21 {
        // The client forges an address on the left; the proxy appends the real one.
        let chain = format!("10.9.9.{i}, 192.0.2.77");
        last = b.sign_in(&format!("b{i}@example.test"), Some(&chain)).await;
        if i < 20 {
            assert_eq!(last, 401, "attempt {i}");
        }
    }
    assert_eq!(last, 429, "one client behind the proxy is throttled");
}

/// Defect 5: `/metrics` is not on the public listener; it is on ENTENTE_METRICS_LISTEN.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_serves_metrics_on_their_own_listener_only() {
    let b = Binary::start(&[]).await;
    let public = reqwest::get(format!("{}/metrics", b.base)).await.unwrap();
    assert_eq!(public.status(), 404);
    assert!(!public.text().await.unwrap().contains("entente_"));
    // Something to count: a failed token request.
    let _ = reqwest::Client::new()
        .post(format!("{}/oauth2/token", b.base))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let m = reqwest::get(format!("{}/metrics", b.metrics))
        .await
        .unwrap();
    assert_eq!(m.status(), 200);
    let text = m.text().await.unwrap();
    assert!(text.contains("# TYPE"), "{text}");
    let off = Binary::start(&[("ENTENTE_METRICS_LISTEN", "off")]).await;
    assert!(
        reqwest::get(format!("{}/metrics", off.metrics))
            .await
            .is_err()
    );
    assert_eq!(
        reqwest::get(format!("{}/metrics", off.base))
            .await
            .unwrap()
            .status(),
        404
    );
}

async fn wait_for_status(s: &TestServer, path: &str, want: u16, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let got = s.http.get(s.url(path)).send().await.unwrap().status();
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{path} still answers {got}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// H56: on the shutdown signal /readyz fails at once while the listener still answers; a
/// request already in flight completes; then the server stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_reports_not_ready_first_and_finishes_in_flight_requests() {
    let db = TestDb::new(Backend::Sqlite).await;
    let mut s = TestServer::start_with(
        db,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| c.shutdown_drain = Duration::from_secs(2),
    )
    .await;
    s.seed().await;
    let client = s.secret_client("acme", "orders:read").await;
    wait_for_status(&s, "/readyz", 200, Duration::from_secs(5)).await;

    // A token request whose body is still arriving when the signal comes.
    let body = format!(
        "grant_type=client_credentials&resource={}",
        API.replace(':', "%3A").replace('/', "%2F")
    );
    let auth = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{}", client.id, client.secret),
    );
    let host = s.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&host).await.unwrap();
    let head = format!(
        "POST /oauth2/token HTTP/1.1\r\nHost: {host}\r\nAuthorization: Basic {auth}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(10);
    conn.write_all(first.as_bytes()).await.unwrap();
    conn.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    s.signal_shutdown();
    wait_for_status(&s, "/readyz", 503, Duration::from_secs(1)).await;
    assert_eq!(
        s.http.get(s.url("/healthz")).send().await.unwrap().status(),
        200
    );

    conn.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("access_token"), "{answer}");

    // After the drain the server stops by itself.
    let stopped = tokio::time::timeout(Duration::from_secs(10), &mut s.task).await;
    assert!(stopped.is_ok(), "the server did not stop after the drain");
}

/// The sign-in throttle forgets keys whose budget is full again (the tables stayed forever).
#[test]
fn login_throttle_forgets_replenished_keys() {
    use governor::Quota;
    let t = entente_operations::LoginThrottle::with_quotas(
        Quota::per_second(std::num::NonZeroU32::new(1000).unwrap()),
        Quota::per_second(std::num::NonZeroU32::new(1000).unwrap()),
    );
    for i in 0..500 {
        let addr = std::net::IpAddr::from([10, 0, (i / 256) as u8, (i % 256) as u8]);
        assert!(t.allow(&format!("user{i}@example.test"), Some(addr)));
    }
    assert_eq!(t.len(), 1000);
    std::thread::sleep(Duration::from_millis(50));
    t.prune();
    assert_eq!(t.len(), 0, "replenished keys are dropped");
}

/// Issue 7, defect 3: the partner-key fetcher ignores HTTP(S)_PROXY (a proxy would resolve and
/// connect past the SSRF guard). The real binary runs with a proxy in its environment that
/// counts connections; a token exchange needing the partner's JWKS fetches it directly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_fetches_partner_keys_without_a_proxy() {
    let proxy = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let proxied = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let p = proxied.clone();
    tokio::spawn(async move {
        while let Ok(_c) = proxy.accept().await {
            p.fetch_add(1, Ordering::SeqCst);
        }
    });
    let b = Binary::start(&[
        ("HTTP_PROXY", &proxy_url),
        ("HTTPS_PROXY", &proxy_url),
        ("ALL_PROXY", &proxy_url),
        ("http_proxy", &proxy_url),
        ("ENTENTE_DEV_INSECURE_ISSUER_URLS", "true"),
    ])
    .await;
    let idp = crate::fed::Idp::new(crate::fed::IDP);
    let jwks = crate::fed::jwks_server(idp.jwks.clone()).await;
    b.cli(&[
        "partner", "create", "--slug", "acme", "--name", "Acme", "--stage", "sandbox",
    ]);
    // A partner in the sandbox stage: its client and the API are the sandbox's.
    b.cli(&[
        "audience",
        "create",
        "--identifier",
        API,
        "--scopes",
        "orders:read",
        "--environment",
        "sandbox",
    ]);
    b.cli(&[
        "grant",
        "set",
        "--partner",
        "acme",
        "--audience",
        API,
        "--scopes",
        "orders:read",
    ]);
    let client = b.cli(&[
        "client",
        "create",
        "--partner",
        "acme",
        "--name",
        "gw",
        "--scopes",
        "orders:read",
        "--grant-types",
        crate::fed::TX,
    ]);
    b.cli(&[
        "issuer",
        "add",
        "--partner",
        "acme",
        "--issuer",
        crate::fed::IDP,
        "--jwks-uri",
        &jwks.url,
        "--dev-insecure-issuer-urls",
    ]);
    b.cli(&[
        "trust-rule",
        "set",
        "--partner",
        "acme",
        "--issuer",
        crate::fed::IDP,
        "--audience",
        API,
        "--scopes",
        "orders:read",
    ]);
    tokio::time::sleep(Duration::from_millis(600)).await; // the change feed (250 ms)
    let pt = idp.access_token(&b.base, "alice", serde_json::json!({}));
    let r = reqwest::Client::new()
        .post(format!("{}/sandbox/oauth2/token", b.base))
        .basic_auth(
            client["client_id"].as_str().unwrap(),
            client["client_secret"].as_str(),
        )
        .form(&[
            ("grant_type", crate::fed::TX),
            ("subject_token", &pt),
            ("subject_token_type", crate::fed::AT),
            ("audience", API),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(jwks.hits.load(Ordering::SeqCst) >= 1);
    assert_eq!(proxied.load(Ordering::SeqCst), 0, "the proxy was not used");

    // `issuer update` switches on access tokens typed JWT for an existing issuer.
    let typed = idp.sign(
        Some("JWT"),
        serde_json::json!({"iss": crate::fed::IDP, "sub": "bob", "aud": b.base,
                           "iat": entente_server::state::now(), "exp": entente_server::state::now() + 300}),
    );
    let exchange = |t: String| {
        let (base, id, secret) = (
            b.base.clone(),
            client["client_id"].as_str().unwrap().to_owned(),
            client["client_secret"].as_str().unwrap().to_owned(),
        );
        async move {
            reqwest::Client::new()
                .post(format!("{base}/sandbox/oauth2/token"))
                .basic_auth(id, Some(secret))
                .form(&[
                    ("grant_type", crate::fed::TX),
                    ("subject_token", &t),
                    ("subject_token_type", crate::fed::AT),
                    ("audience", API),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(exchange(typed.clone()).await, 400);
    let v = b.cli(&[
        "issuer",
        "update",
        "--partner",
        "acme",
        "--issuer",
        crate::fed::IDP,
        "--access-tokens-typed-jwt",
        "true",
    ]);
    assert_eq!(v["access_tokens_typed_jwt"], true);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(exchange(typed).await, 200);
}

/// The address is checked before the account, so an address over its budget adds no keys;
/// IPv6 clients count per /64.
#[test]
fn login_throttle_checks_the_address_first_and_counts_ipv6_per_64() {
    use governor::Quota;
    let t = entente_operations::LoginThrottle::with_quotas(
        Quota::per_minute(std::num::NonZeroU32::new(100).unwrap()),
        Quota::per_minute(std::num::NonZeroU32::new(3).unwrap()),
    );
    let a: std::net::IpAddr = "2001:db8:1:2::10".parse().unwrap();
    let b: std::net::IpAddr = "2001:db8:1:2:ffff::99".parse().unwrap();
    assert!(t.allow("x1@example.test", Some(a)));
    assert!(t.allow("x2@example.test", Some(b)));
    assert!(t.allow("x3@example.test", Some(a)));
    assert!(!t.allow("x4@example.test", Some(b)), "one /64, one budget");
    let keys = t.len();
    for i in 0..50 {
        assert!(!t.allow(&format!("flood{i}@example.test"), Some(a)));
    }
    assert_eq!(t.len(), keys, "a refused address adds no account keys");
    let other: std::net::IpAddr = "2001:db8:1:3::10".parse().unwrap();
    assert!(
        t.allow("x5@example.test", Some(other)),
        "another /64 has its own budget"
    );
}

/// H56 through the real binary: SIGTERM makes /readyz fail at once while the listener still
/// answers for the drain period; then the process exits cleanly.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_drains_on_sigterm() {
    let mut b = Binary::start(&[("ENTENTE_SHUTDOWN_DRAIN", "2")]).await;
    let pid = b.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let r = reqwest::get(format!("{}/readyz", b.base)).await.unwrap();
        if r.status() == 503 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz still ready after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let h = reqwest::get(format!("{}/healthz", b.base)).await.unwrap();
    assert_eq!(h.status(), 200, "the listener answers during the drain");
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = b.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the process did not exit after the drain"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status:?}");
}

/// 2 tries a minute per account and address, 50 per address, 6 per account overall; and
/// addresses by their last byte.
fn small_throttle() -> (
    entente_operations::LoginThrottle,
    impl Fn(u8) -> Option<std::net::IpAddr>,
) {
    use governor::Quota;
    let n = |v| std::num::NonZeroU32::new(v).unwrap();
    let t = entente_operations::LoginThrottle::with_quotas(
        Quota::per_minute(n(2)),
        Quota::per_minute(n(50)),
    )
    .with_account_ceiling(Quota::per_minute(n(6)));
    (t, |i: u8| Some(std::net::IpAddr::from([192, 0, 2, i])))
}

/// Review L-5: the tight budget is per account and source address; a far higher ceiling per
/// account still holds against guessing spread over many addresses.
#[test]
fn login_throttle_budgets_per_account_and_source_under_a_ceiling() {
    let (t, from) = small_throttle();
    assert!(t.allow("owner@example.test", from(1)));
    assert!(t.allow("owner@example.test", from(1)));
    assert!(
        !t.allow("owner@example.test", from(1)),
        "one address's budget"
    );
    assert!(t.allow("owner@example.test", from(2)), "another address");
    assert!(t.allow("owner@example.test", from(2)));
    assert!(t.allow("owner@example.test", from(3)));
    assert!(t.allow("owner@example.test", from(3)));
    assert!(
        !t.allow("owner@example.test", from(4)),
        "the account's ceiling over all addresses"
    );
    assert!(t.allow("other@example.test", from(4)), "per account");
}

/// Strangers guessing from many addresses fill the account's ceiling, but not for the address
/// its owner signed in from before: it keeps only its own budgets.
#[test]
fn the_owners_known_address_is_not_locked_out_by_guesses_from_many_others() {
    let (t, from) = small_throttle();
    assert!(t.allow("owner@example.test", from(1)));
    t.signed_in("Owner@Example.test ", from(1));
    // Twenty guessers at two tries each: the ceiling (6) is gone after three of them.
    let allowed = (10..30u8)
        .flat_map(|i| [i, i])
        .filter(|i| t.allow("owner@example.test", from(*i)))
        .count();
    assert_eq!(allowed, 5, "the ceiling holds for strangers");
    assert!(!t.allow("owner@example.test", from(40)), "a new address");
    assert!(
        t.allow("owner@example.test", from(1)),
        "the owner's known address"
    );
    assert!(
        !t.allow("owner@example.test", from(1)),
        "which keeps its own budget"
    );
}
