//! private_key_jwt clients' public keys over real HTTP on SQLite and PostgreSQL: registered as a
//! JWKS or published at a `jwks_uri` the token service fetches and caches, from the portal, the
//! admin API and the CLI; a secret client switching to keys loses its secrets at once; keys
//! with private material and internal URLs (E40) are refused.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use entente_domain::environment::Environment;
use entente_store::enums::Role;
use serde_json::{Value, json};

use crate::common::{Backend, TestDb, TestServer, assert_oauth_error};
use crate::console::call;
use crate::oauth::{assertion, es256_client_key};
use crate::portal::{partner_session, two_partners};
use crate::sandbox::SANDBOX_API;

crate::on_both!(
    partners_register_their_public_keys,
    keys_at_a_jwks_uri_are_fetched_cached_and_moved,
);

/// A JWKS endpoint on loopback whose document can be changed, counting requests.
struct Published {
    url: String,
    hits: Arc<AtomicUsize>,
}

async fn publish(jwks: String) -> Published {
    let hits = Arc::new(AtomicUsize::new(0));
    let doc = Arc::new(Mutex::new(jwks));
    let (h, d) = (hits.clone(), doc.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            h.fetch_add(1, Ordering::SeqCst);
            let body = d.lock().unwrap().clone();
            async move { ([("content-type", "application/json")], body) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Published { url, hits }
}

/// A sandbox client_credentials request authenticated by `assertion` alone.
async fn with_assertion(s: &TestServer, client_id: &str, assertion: &str) -> reqwest::Response {
    s.post_form(
        "/sandbox/oauth2/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
            ("resource", SANDBOX_API),
        ],
    )
    .await
}

fn sandbox_issuer(s: &TestServer) -> Value {
    json!(format!("{}/sandbox", s.base))
}

fn two_keys_in_one(a: &str, b: &str) -> String {
    let keys = |d: &str| serde_json::from_str::<Value>(d).unwrap()["keys"].clone();
    let mut all = keys(a).as_array().unwrap().clone();
    all.extend(keys(b).as_array().unwrap().iter().cloned());
    json!({ "keys": all }).to_string()
}

async fn partners_register_their_public_keys(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    let (jwks, key, kid) = es256_client_key();
    let create = |extra: Vec<(&'static str, String)>| {
        let pat = pat.clone();
        async move {
            let mut form: Vec<(&str, String)> = vec![
                ("name", "signer".into()),
                ("scopes", "orders:read".into()),
                ("auth", "private_key_jwt".into()),
            ];
            form.extend(extra);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            call(s, &pat, "portal_create_client", &form).await
        }
    };
    // Refused, and nothing created: private material, not a JWKS, no usable key, both, neither.
    let mut private = serde_json::from_str::<Value>(&jwks).unwrap();
    private["keys"][0]["d"] = json!("AAAA");
    for (why, extra) in [
        ("private", vec![("jwks", private.to_string())]),
        ("not JSON", vec![("jwks", "{keys".to_string())]),
        ("no keys", vec![("jwks", r#"{"keys":[]}"#.to_string())]),
        (
            "both",
            vec![
                ("jwks", jwks.clone()),
                ("jwks_uri", "https://keys.acme.test/jwks".to_string()),
            ],
        ),
        ("neither", vec![]),
    ] {
        let (code, answer) = create(extra).await;
        assert_eq!(code, 400, "{why}: {answer}");
    }
    let (_, page) = call(s, &pat, "portal_clients", &[]).await;
    assert_eq!(page["clients"].as_array().unwrap().len(), 0, "{page}");
    let (code, answer) = call(
        s,
        &pat,
        "portal_create_client",
        &[("name", "x"), ("scopes", "orders:read"), ("auth", "mtls")],
    )
    .await;
    assert_eq!(code, 400, "{answer}");

    let (code, created) = create(vec![("jwks", jwks.clone())]).await;
    assert_eq!(code, 200, "{created}");
    assert!(created["client_secret"].is_null(), "{created}");
    let id = created["client_id"].as_str().unwrap().to_owned();
    let r = with_assertion(
        s,
        &id,
        &assertion(&key, &kid, &id, sandbox_issuer(s), "k-1"),
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, page) = call(s, &pat, "portal_clients", &[]).await;
    let listed = &page["clients"][0];
    assert_eq!(listed["auth_method"], "private_key_jwt", "{listed}");
    assert_eq!(listed["keys"], "JWKS, 1 key", "{listed}");

    // A secret client switches to keys: its secret stops working at once.
    let secret_client = crate::sandbox::client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let (new_jwks, new_key, new_kid) = es256_client_key();
    let (code, _) = call(
        s,
        &vic,
        "portal_set_client_keys",
        &[
            ("client_id", &secret_client.id),
            ("jwks", &new_jwks),
            ("jwks_uri", ""),
        ],
    )
    .await;
    assert_eq!(code, 403, "viewers change nothing");
    let (code, said) = call(
        s,
        &pat,
        "portal_set_client_keys",
        &[
            ("client_id", &secret_client.id),
            ("jwks", &new_jwks),
            ("jwks_uri", ""),
        ],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    assert!(
        said.as_str().unwrap().contains("secrets no longer work"),
        "{said}"
    );
    assert_oauth_error(
        s.post_form(
            "/sandbox/oauth2/token",
            Some(&secret_client),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    let a = assertion(
        &new_key,
        &new_kid,
        &secret_client.id,
        sandbox_issuer(s),
        "k-2",
    );
    assert_eq!(with_assertion(s, &secret_client.id, &a).await.status(), 200);
    // Audited as the partner user who did it.
    let events = s.state.store.recent_audit_events(50).await.unwrap();
    assert!(
        events.iter().any(|e| e.action == "client.set_keys"
            && e.actor == "portal:pat@acme.test"
            && e.target == format!("client:{}", secret_client.id)),
        "{events:?}"
    );

    // The admin API replaces keys with the same checks; a resource server's client has none.
    let (admin, _, auditor, _) = crate::admin_api::api_tokens(s).await;
    let put = |token: String, client: String, body: Value| async move {
        let r = reqwest::Client::new()
            .put(s.url(&format!("/admin/api/v1/clients/{client}/keys")))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (
            r.status().as_u16(),
            r.json::<Value>().await.unwrap_or_default(),
        )
    };
    let (code, _) = put(auditor, id.clone(), json!({"jwks": new_jwks})).await;
    assert_eq!(code, 403);
    let (code, body) = put(
        admin.clone(),
        id.clone(),
        json!({"jwks": private.to_string()}),
    )
    .await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = put(admin.clone(), id.clone(), json!({})).await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = put(admin.clone(), id.clone(), json!({"jwks": new_jwks})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["source"], "jwks");
    s.refresh().await;
    let old = assertion(&key, &kid, &id, sandbox_issuer(s), "k-3");
    assert_oauth_error(with_assertion(s, &id, &old).await, 401, "invalid_client").await;
    let rs = s.resource_server(SANDBOX_API).await;
    let (code, body) = put(admin, rs.id.clone(), json!({"jwks": new_jwks})).await;
    assert_eq!(code, 400, "{body}");
}

async fn keys_at_a_jwks_uri_are_fetched_cached_and_moved(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let (jwks_a, key_a, kid_a) = es256_client_key();
    let (jwks_b, key_b, kid_b) = es256_client_key();
    let (jwks_c, key_c, kid_c) = es256_client_key();
    let first = publish(two_keys_in_one(&jwks_a, &jwks_b)).await;
    let (code, created) = call(
        s,
        &pat,
        "portal_create_client",
        &[
            ("name", "signer"),
            ("scopes", "orders:read"),
            ("auth", "private_key_jwt"),
            ("jwks", ""),
            ("jwks_uri", &first.url),
        ],
    )
    .await;
    assert_eq!(code, 200, "{created}");
    let id = created["client_id"].as_str().unwrap().to_owned();
    assert_eq!(
        first.hits.load(Ordering::SeqCst),
        0,
        "fetched when first used"
    );
    let iss = sandbox_issuer(s);
    let a = assertion(&key_a, &kid_a, &id, iss.clone(), "u-1");
    assert_eq!(with_assertion(s, &id, &a).await.status(), 200);
    let b = assertion(&key_b, &kid_b, &id, iss.clone(), "u-2");
    assert_eq!(with_assertion(s, &id, &b).await.status(), 200);
    assert_eq!(
        first.hits.load(Ordering::SeqCst),
        1,
        "one fetch, then cached"
    );
    // A key it does not publish: refused, and a flood of such kids fetches at most once more
    // (the fetcher's cooldown, case A8).
    for i in 0..10 {
        let c = assertion(&key_c, &kid_c, &id, iss.clone(), &format!("u-c{i}"));
        assert_oauth_error(with_assertion(s, &id, &c).await, 401, "invalid_client").await;
    }
    assert!(first.hits.load(Ordering::SeqCst) <= 2);
    let (_, page) = call(s, &pat, "portal_clients", &[]).await;
    assert_eq!(
        page["clients"][0]["keys"],
        format!("JWKS URL {}", first.url),
        "{page}"
    );
    // The configuration document carries the address, not a copy of the keys.
    let exported = s.state.store.export_config().await.unwrap();
    let client = exported
        .partners
        .iter()
        .flat_map(|p| &p.clients)
        .find(|c| c.client_id == id)
        .unwrap();
    assert_eq!(client.jwks_uri.as_deref(), Some(first.url.as_str()));
    assert_eq!(client.jwks, None);

    // Moving the keys to another address takes effect at once (a fresh cache entry).
    let second = publish(jwks_c.clone()).await;
    let (code, said) = call(
        s,
        &pat,
        "portal_set_client_keys",
        &[("client_id", &id), ("jwks", ""), ("jwks_uri", &second.url)],
    )
    .await;
    assert_eq!(code, 200, "{said}");
    let c = assertion(&key_c, &kid_c, &id, iss.clone(), "u-3");
    assert_eq!(with_assertion(s, &id, &c).await.status(), 200);
    assert_eq!(second.hits.load(Ordering::SeqCst), 1);
    let a = assertion(&key_a, &kid_a, &id, iss, "u-4");
    assert_oauth_error(with_assertion(s, &id, &a).await, 401, "invalid_client").await;
}

/// E40: with development addresses off (as in production), a jwks_uri on loopback, a private
/// network or the metadata address is refused by the portal and the admin API.
async fn internal_jwks_uris_are_refused(backend: Backend) {
    let s = TestServer::start_with(
        TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |c| c.fetch.allow_insecure = false,
    )
    .await;
    two_partners(&s).await;
    let pat = partner_session(&s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    for bad in [
        "http://keys.acme.test/jwks",
        "https://127.0.0.1/jwks",
        "https://169.254.169.254/latest/meta-data",
        "https://10.1.2.3/jwks",
        "https://localhost/jwks",
        "file:///etc/passwd",
    ] {
        let (code, answer) = call(
            &s,
            &pat,
            "portal_create_client",
            &[
                ("name", "signer"),
                ("scopes", "orders:read"),
                ("auth", "private_key_jwt"),
                ("jwks_uri", bad),
            ],
        )
        .await;
        assert_eq!(code, 400, "{bad}: {answer}");
    }
    let (_, page) = call(&s, &pat, "portal_clients", &[]).await;
    assert_eq!(page["clients"].as_array().unwrap().len(), 0, "{page}");
    let client = crate::sandbox::client_in(
        &s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let (admin, _, _, _) = crate::admin_api::api_tokens(&s).await;
    let r = reqwest::Client::new()
        .put(s.url(&format!("/admin/api/v1/clients/{}/keys", client.id)))
        .bearer_auth(admin)
        .json(&json!({"jwks_uri": "https://169.254.169.254/keys"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let cli = tokio::task::block_in_place(|| {
        crate::cli::entente_raw(
            &s,
            &[
                "client",
                "set-keys",
                "--client-id",
                &client.id,
                "--jwks-uri",
                "https://169.254.169.254/keys",
            ],
        )
    });
    assert!(!cli.status.success(), "the CLI refuses it too");
    assert!(
        String::from_utf8_lossy(&cli.stderr).contains("non-public"),
        "{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    assert_eq!(
        s.state.store.client(&client.id).await.unwrap().auth_method,
        entente_store::enums::ClientAuth::ClientSecret,
        "nothing changed"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_jwks_uris_are_refused_sqlite() {
    internal_jwks_uris_are_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_jwks_uris_are_refused_postgres() {
    internal_jwks_uris_are_refused(Backend::Postgres).await;
}
