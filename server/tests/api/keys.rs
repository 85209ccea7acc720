//! Signing keys as administrators run them: timelines, the rotation policy, rotate now,
//! emergency revocation (typed confirmation; out of the JWKS at once; what it signed introspects
//! inactive), exactly one rotator among replicas on one database, and D39 under load — a
//! resource server that caches the JWKS as told and refetches on an unknown kid never fails to
//! verify while keys rotate.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use entente_domain::keyring::RotationPolicy;
use entente_domain::sealing::MasterKey;
use entente_server::config::Config;
use entente_server::startup::Application;
use entente_server::state::{AppState, now};
use entente_store::enums::Role;
use serde_json::Value;

use crate::common::{API, Backend, TestServer};
use crate::console::{call, session};

async fn jwks_kids(s: &TestServer) -> Vec<String> {
    let v: Value = reqwest::get(s.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

async fn keys_in_the_console(s: &TestServer) {
    s.seed().await;
    let admin = session(s, "admin@example.test", Role::Admin).await;
    let olga = session(s, "olga@example.test", Role::Operator).await;
    let (code, page) = call(s, &admin, "list_keys", &[("", "")]).await;
    assert_eq!(code, 200, "{page}");
    let first = page["keys"][0]["kid"].as_str().unwrap().to_owned();
    assert_eq!(page["keys"][0]["state"], "active");
    assert!(
        page["keys"][0]["timeline"][0][1]
            .as_str()
            .unwrap()
            .starts_with("created")
    );
    assert_eq!(page["can_manage"], true);

    // The policy: its grace must outlast the longest token (audiences here: 300 s).
    let policy = |grace: &'static str| {
        [
            ("rotation_days", "30"),
            ("publish_minutes", "10"),
            ("grace_minutes", grace),
        ]
    };
    let (code, answer) = call(s, &admin, "set_key_policy", &policy("5")).await;
    assert_eq!(code, 400, "{answer}");
    assert!(answer.to_string().contains("at least 360"), "{answer}");
    let (code, _) = call(s, &olga, "set_key_policy", &policy("60")).await;
    assert_eq!(code, 403);
    let (code, answer) = call(s, &admin, "set_key_policy", &policy("60")).await;
    assert_eq!(code, 200, "{answer}");
    assert_eq!(s.state.rotation().max_token_lifetime, 3600);
    assert_eq!(s.state.rotation().publish_lead, 600);

    // Rotate now, at once: a new key signs, the old one still verifies (retiring).
    let client = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let old_token = s.token(&client, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(kid_of(&old_token), first);
    let (code, _) = call(s, &olga, "rotate_key_now", &[("immediate", "on")]).await;
    assert_eq!(code, 403);
    let (code, answer) = call(s, &admin, "rotate_key_now", &[("immediate", "on")]).await;
    assert_eq!(code, 200, "{answer}");
    let new_token = s.token(&client, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = kid_of(&new_token);
    assert_ne!(second, first);
    assert!(jwks_kids(s).await.contains(&first));
    assert_eq!(s.introspect(&rs, &old_token).await["active"], true);

    // Emergency revoke of the retiring key: the kid must be typed; then it is gone from the
    // JWKS at once and what it signed is inactive.
    let admin_ref = &admin;
    let revoke = |kid: String, confirm: String| async move {
        call(
            s,
            admin_ref,
            "revoke_key",
            &[("kid", kid.as_str()), ("confirm", confirm.as_str())],
        )
        .await
    };
    let (code, _) = revoke(first.clone(), "yes".into()).await;
    assert_eq!(code, 400);
    assert!(jwks_kids(s).await.contains(&first));
    let (code, answer) = revoke(first.clone(), first.clone()).await;
    assert_eq!(code, 200, "{answer}");
    assert!(!jwks_kids(s).await.contains(&first));
    assert_eq!(s.introspect(&rs, &old_token).await["active"], false);
    assert_eq!(s.introspect(&rs, &new_token).await["active"], true);
    let (code, _) = revoke(first.clone(), first.clone()).await;
    assert_eq!(code, 400, "a revoked key cannot be revoked again");

    // Revoking the signing key: a successor signs at once.
    let (code, answer) = revoke(second.clone(), second.clone()).await;
    assert_eq!(code, 200, "{answer}");
    assert!(
        answer.as_str().unwrap().contains("signs from now on"),
        "{answer}"
    );
    let third = kid_of(
        s.token(&client, &[("resource", API)]).await["access_token"]
            .as_str()
            .unwrap(),
    );
    assert!(third != first && third != second);
    assert_eq!(s.introspect(&rs, &new_token).await["active"], false);

    // The timeline of the revoked key, and the audit trail.
    let (_, page) = call(s, &admin, "list_keys", &[("", "")]).await;
    let row = page["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == first.as_str())
        .unwrap();
    let steps: Vec<&str> = row["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[1].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "created (active)",
            "retiring",
            "revoked (removed from the JWKS)"
        ]
    );
    let events = s.state.store.recent_audit_events(100).await.unwrap();
    for action in ["key.policy", "key.revoke", "key.create", "key.state"] {
        assert!(
            events
                .iter()
                .any(|e| e.action == action && e.actor.starts_with("admin:")),
            "{action}"
        );
    }
}

on_both!(keys_in_the_console);

/// A second replica of `s`: the same database and master key, its own listener and state.
async fn replica_of(s: &TestServer) -> (AppState, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut config = Config::new(
        addr,
        s.base.clone(),
        s.db.url.clone(),
        MasterKey::from_base64(&s.master_b64).unwrap(),
    );
    config.shutdown_drain = std::time::Duration::ZERO;
    let app = Application::build_on(config, listener).await.unwrap();
    let state = app.state().clone();
    let task = tokio::spawn(async move {
        let _ = app.run_until_stopped(std::future::pending::<()>()).await;
    });
    (state, task)
}

/// Two servers on one PostgreSQL: when a rotation is due, exactly one of them rotates (the
/// rotation lease); when the holder stops renewing, the other takes over after the lease ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_replica_rotates() {
    let s = TestServer::start(Backend::Postgres).await;
    let (other, task) = replica_of(&s).await;
    // A policy that makes a rotation due at once (below what an administrator may set).
    let due = RotationPolicy {
        rotation_interval: 1,
        publish_lead: 1,
        max_token_lifetime: 1,
        ..s.state.rotation()
    };
    let later = now() + 10;
    let creates = || async {
        s.state
            .store
            .recent_audit_events(1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "key.create")
            .count()
    };
    let before = creates().await;
    let rotate = |state: AppState, at: i64| async move {
        entente_server::workers::maintenance::rotate_keys(
            &state.store,
            &state.master,
            &due,
            &state.replica,
            at,
        )
        .await
        .unwrap()
    };
    let (a, b) = tokio::join!(rotate(s.state.clone(), later), rotate(other.clone(), later));
    assert!(
        a ^ b,
        "exactly one replica rotates (first: {a}, second: {b})"
    );
    // One successor in each environment (production's and the sandbox's), by one replica.
    assert_eq!(creates().await, before + 2);
    // The holder keeps the lease while it renews it; the other does nothing.
    let (holder, idle) = if a {
        (s.state.clone(), other.clone())
    } else {
        (other.clone(), s.state.clone())
    };
    assert!(!rotate(idle.clone(), later + 60).await);
    assert!(rotate(holder, later + 60).await);
    // The holder stops: after the lease's lifetime, the other replica rotates.
    assert!(rotate(idle, later + 60 + 151).await);
    task.abort();
    s.stop().await;
}

/// What a resource server following the JWKS does: keeps it as long as `Cache-Control:
/// max-age` says, and fetches it again when a token names a kid it does not hold.
struct FollowingResourceServer {
    jwks_url: String,
    http: reqwest::Client,
    cache: tokio::sync::Mutex<(
        HashMap<String, jsonwebtoken::DecodingKey>,
        std::time::Instant,
    )>,
    fetches: AtomicUsize,
}

impl FollowingResourceServer {
    fn new(jwks_url: String) -> Self {
        Self {
            jwks_url,
            http: reqwest::Client::new(),
            cache: tokio::sync::Mutex::new((HashMap::new(), std::time::Instant::now())),
            fetches: AtomicUsize::new(0),
        }
    }

    async fn fetch(
        &self,
    ) -> (
        HashMap<String, jsonwebtoken::DecodingKey>,
        std::time::Instant,
    ) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let r = self.http.get(&self.jwks_url).send().await.unwrap();
        let max_age: u64 = r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .split(',')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .and_then(|v| v.parse().ok())
            .unwrap();
        let set: jsonwebtoken::jwk::JwkSet = r.json().await.unwrap();
        let keys = set
            .keys
            .iter()
            .map(|k| {
                (
                    k.common.key_id.clone().unwrap(),
                    jsonwebtoken::DecodingKey::from_jwk(k).unwrap(),
                )
            })
            .collect();
        (
            keys,
            std::time::Instant::now() + std::time::Duration::from_secs(max_age),
        )
    }

    /// Whether the token verifies (signature, `aud`, `exp`).
    async fn verify(&self, token: &str) -> bool {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let kid = header.kid.clone().unwrap_or_default();
        let mut cache = self.cache.lock().await;
        if cache.0.is_empty() || std::time::Instant::now() >= cache.1 || !cache.0.contains_key(&kid)
        {
            *cache = self.fetch().await;
        }
        let Some(key) = cache.0.get(&kid) else {
            return false;
        };
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_audience(&[API]);
        jsonwebtoken::decode::<Value>(token, key, &v).is_ok()
    }
}

/// D39 under load: while tokens are requested without pause, keys rotate — scheduled (a
/// successor published, then signing after the pre-publication window) and at once — and a
/// resource server that follows the JWKS sees no verification failure.
async fn d39_no_failures_while_keys_rotate(s: &TestServer) {
    s.seed().await;
    let client = Arc::new(s.secret_client("acme", "orders:read").await);
    let rs = Arc::new(FollowingResourceServer::new(
        s.url("/.well-known/jwks.json"),
    ));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let verified = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let kids = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let mut load = vec![];
    for _ in 0..4 {
        let (client, rs, stop, verified, failed, kids) = (
            client.clone(),
            rs.clone(),
            stop.clone(),
            verified.clone(),
            failed.clone(),
            kids.clone(),
        );
        let http = reqwest::Client::new();
        let url = s.url("/oauth2/token");
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let r = http
                    .post(&url)
                    .basic_auth(&client.id, Some(&client.secret))
                    .form(&[("grant_type", "client_credentials"), ("resource", API)])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let body: Value = r.json().await.unwrap();
                let token = body["access_token"].as_str().unwrap().to_owned();
                kids.lock().unwrap().insert(kid_of(&token));
                if rs.verify(&token).await {
                    verified.fetch_add(1, Ordering::Relaxed);
                } else {
                    failed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let system = entente_store::Actor::new("system");
    let alg = s.state.rotation().algorithm;
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(700));
    pause().await;
    // Scheduled: a successor is published, and signs only after the pre-publication window.
    let short = RotationPolicy {
        publish_lead: 1,
        ..s.state.rotation()
    };
    for _ in 0..2 {
        entente_server::state::signing_keys::rotate_now(
            &s.state.store,
            &s.state.master,
            alg,
            entente_domain::environment::Environment::Production,
            false,
            &system,
            now(),
        )
        .await
        .unwrap();
        pause().await;
        pause().await;
        entente_server::state::signing_keys::rotate(
            &s.state.store,
            &s.state.master,
            &short,
            &system,
            now(),
        )
        .await
        .unwrap();
        pause().await;
    }
    // At once ("Rotate now" with immediate).
    entente_server::state::signing_keys::rotate_now(
        &s.state.store,
        &s.state.master,
        alg,
        entente_domain::environment::Environment::Production,
        true,
        &system,
        now(),
    )
    .await
    .unwrap();
    pause().await;
    stop.store(true, Ordering::Relaxed);
    for t in load {
        t.await.unwrap();
    }
    let (ok, bad) = (
        verified.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    let seen = kids.lock().unwrap().len();
    assert_eq!(bad, 0, "{bad} of {} tokens failed to verify", ok + bad);
    assert!(seen >= 4, "tokens were signed by {seen} keys only");
    assert!(ok >= 100, "only {ok} tokens under load");
    eprintln!(
        "D39: {ok} tokens verified, 0 failures, {seen} signing keys, {} JWKS fetches",
        rs.fetches.load(Ordering::Relaxed)
    );
}

on_both!(d39_no_failures_while_keys_rotate);
