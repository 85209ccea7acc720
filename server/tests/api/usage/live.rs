//! The live usage stream: it shows tokens within two seconds, and follows its caller's access
//! (a revoked token or a disabled user ends it; at most five streams per caller).

use super::*;

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
    assert_eq!(
        seen["top_clients"][0]["label"], "backend",
        "clients are named, not only numbered"
    );
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
