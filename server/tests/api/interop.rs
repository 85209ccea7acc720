//! An independent JOSE implementation (Node `jose`) verifies Entente's tokens against the
//! published JWKS, for every signing algorithm a deployment can choose; and the `oauth2` crate,
//! a separately written OAuth client, obtains tokens with client_credentials.

use crate::common::{API, Backend, TestServer};
use entente_domain::keys::SigningAlgorithm;
use entente_server::state::now;

fn node_verify(s: &TestServer, token: &str, audience: &str) -> std::process::Output {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../interop/verify-access-token.mjs"
    );
    let modules = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/node_modules/jose");
    assert!(
        std::path::Path::new(modules).exists(),
        "interop/node_modules is missing: run `make setup` (npm ci in interop/)"
    );
    std::process::Command::new("node")
        .args([
            script,
            &s.url("/.well-known/jwks.json"),
            &s.base,
            audience,
            token,
        ])
        .output()
        .expect("node must be installed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_jose_verifies_tokens_of_every_algorithm() {
    let s = TestServer::start(Backend::Sqlite).await;
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    for alg in SigningAlgorithm::ALL {
        entente_server::state::signing_keys::rotate_now(
            &s.state.store,
            &s.state.master,
            alg,
            entente_domain::environment::Environment::Production,
            true,
            &entente_store::Actor::new("test"),
            now(),
        )
        .await
        .unwrap();
        s.refresh().await;
        let token = s.token(&c, &[("resource", API)]).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let out = tokio::task::block_in_place(|| node_verify(&s, &token, API));
        assert!(
            out.status.success(),
            "{alg:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["header"]["alg"], alg.as_str());
        assert_eq!(v["payload"]["client_id"], c.id.as_str());
        assert_eq!(v["payload"]["scope"], "orders:read");
    }
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_jose_rejects_wrong_audience_and_tampering() {
    let s = TestServer::start(Backend::Sqlite).await;
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let wrong_aud =
        tokio::task::block_in_place(|| node_verify(&s, &token, "https://other.example.test"));
    assert!(!wrong_aud.status.success());
    let mut tampered = token.clone();
    tampered.insert(tampered.find('.').unwrap() + 5, 'x');
    let bad = tokio::task::block_in_place(|| node_verify(&s, &tampered, API));
    assert!(!bad.status.success());
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oauth2_crate_client_credentials() {
    use oauth2::basic::BasicClient;
    use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
    let s = TestServer::start(Backend::Postgres).await;
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    for auth in [AuthType::BasicAuth, AuthType::RequestBody] {
        let client = BasicClient::new(ClientId::new(c.id.clone()))
            .set_client_secret(ClientSecret::new(c.secret.clone()))
            .set_token_uri(TokenUrl::new(s.url("/oauth2/token")).unwrap())
            .set_auth_type(auth);
        let http = oauth2::reqwest::Client::builder()
            .redirect(oauth2::reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = client
            .exchange_client_credentials()
            .add_scope(Scope::new("orders:read".into()))
            .add_extra_param("resource", API)
            .request_async(&http)
            .await
            .unwrap();
        assert_eq!(res.scopes().unwrap()[0].as_str(), "orders:read");
        assert!(res.expires_in().unwrap().as_secs() <= 300);
    }
    s.stop().await;
}

use crate::fed;

/// A separately written identity provider (npm oidc-provider) plays the partner's IdP: Entente
/// fetches its JWKS over HTTP and exchanges the access tokens it issues (RFC 8693).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_tokens_are_exchanged() {
    use entente_store::Actor;
    use entente_store::federation::NewTrustedIssuer;
    let s = TestServer::start(Backend::Sqlite).await;
    s.seed().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../interop/partner-idp.mjs");
    assert!(
        std::path::Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../interop/node_modules/oidc-provider"
        ))
        .exists(),
        "interop/node_modules is missing: run `make setup` (npm ci in interop/)"
    );
    let mut idp = tokio::process::Command::new("node")
        .args([script, &port.to_string(), &s.base])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node must be installed");
    let idp_url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if http.get(format!("{idp_url}/jwks")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "oidc-provider did not start");

    let mut issuer = NewTrustedIssuer::new(idp_url.clone(), s.base.clone());
    issuer.jwks_uri = Some(format!("{idp_url}/jwks"));
    issuer.subject_claim = "client_id".into();
    s.state
        .store
        .create_trusted_issuer(&Actor::new("test"), "acme", issuer, now())
        .await
        .unwrap();
    let client = fed::federated_client(&s, "acme", "orders:read").await;
    let rule = entente_store::federation::NewTrustRule::new(
        entente_domain::ScopeSet::parse("orders:read").unwrap(),
    );
    s.state
        .store
        .set_trust_rule(&Actor::new("test"), "acme", &idp_url, API, rule, now())
        .await
        .unwrap();
    s.refresh().await;

    let partner: serde_json::Value = http
        .post(format!("{idp_url}/token"))
        .basic_auth(
            "acme-workload",
            Some("acme-workload-secret-0123456789abcdef0123456789"),
        )
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "partner:api"),
            ("resource", s.base.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let partner_token = partner["access_token"]
        .as_str()
        .expect("oidc-provider issued a token");
    assert_eq!(fed::claims_of(partner_token)["iss"], idp_url.as_str());

    let b = fed::exchange_ok(
        &s,
        &client,
        &[
            ("subject_token", partner_token),
            ("subject_token_type", fed::AT),
            ("audience", API),
        ],
    )
    .await;
    let c = fed::claims_of(b["access_token"].as_str().unwrap());
    assert!(
        c["sub"].as_str().unwrap().ends_with(":acme-workload"),
        "{c}"
    );
    assert_eq!(c["aud"], API);
    assert_eq!(b["scope"], "orders:read");
    let rs = s.resource_server(API).await;
    assert_eq!(
        s.introspect(&rs, b["access_token"].as_str().unwrap()).await["active"],
        true
    );
    idp.kill().await.ok();
    s.stop().await;
}
