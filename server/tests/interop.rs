//! An independent JOSE implementation (Node `jose`) verifies Entente's tokens against the
//! published JWKS, for every signing algorithm a deployment can choose; and the `oauth2` crate,
//! a separately written OAuth client, obtains tokens with client_credentials.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{API, Backend, TestServer};
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
        entente_server::keyring::rotate_now(
            &s.state.store,
            &s.state.master,
            alg,
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
