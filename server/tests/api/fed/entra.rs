//! A provider that publishes RSA keys without `alg` (Entra ID does): its keys are used under the
//! issuer's only registered RSA algorithm, at a fetched JWKS and a pasted one; with two RSA
//! algorithms registered the key could be either, so it is not used.

use entente_domain::keys::{self, SigningAlgorithm};
use entente_store::Actor;
use entente_store::federation::NewTrustedIssuer;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

use super::{API, AT, exchange, exchange_for_api, federated_client, uuid};
use crate::common::{TestServer, assert_oauth_error};
use entente_domain::ScopeSet;
use entente_server::state::now;
use entente_store::federation::NewTrustRule;

crate::on_both!(rsa_keys_without_alg_take_the_issuers_sole_rsa_algorithm);

async fn rsa_keys_without_alg_take_the_issuers_sole_rsa_algorithm(s: &TestServer) {
    s.seed().await;
    let client = federated_client(s, "acme", "orders:read").await;
    let k = keys::generate(SigningAlgorithm::Rs256).unwrap();
    let mut jwk = serde_json::to_value(&k.public_jwk).unwrap();
    jwk.as_object_mut().unwrap().remove("alg");
    let jwks = json!({"keys": [jwk]}).to_string();
    let key = keys::encoding_key(SigningAlgorithm::Rs256, &k.private_der);
    let srv = super::jwks_server(jwks.clone()).await;
    let token = |iss: &str| {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(k.kid.clone());
        h.typ = Some("at+jwt".into());
        let n = now();
        jsonwebtoken::encode(
            &h,
            &json!({"iss": iss, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 300, "jti": uuid(), "client_id": "app"}),
            &key,
        )
        .unwrap()
    };
    let register = |issuer: &'static str, algorithms: &'static str, fetched: bool| {
        let (uri, doc) = (srv.url.clone(), jwks.clone());
        async move {
            let mut i = NewTrustedIssuer::new(issuer.into(), s.base.clone());
            i.algorithms = algorithms.into();
            if fetched {
                i.jwks_uri = Some(uri);
            } else {
                i.jwks = Some(doc);
            }
            s.state
                .store
                .create_trusted_issuer(&Actor::new("test"), "acme", i, now())
                .await?;
            s.state
                .store
                .set_trust_rule(
                    &Actor::new("test"),
                    "acme",
                    issuer,
                    API,
                    NewTrustRule::new(ScopeSet::parse("orders:read").unwrap()),
                    now(),
                )
                .await?;
            s.refresh().await;
            Ok::<(), entente_store::StoreError>(())
        }
    };
    // Fetched, and pasted: RS256 is the only RSA algorithm registered.
    register("https://login.entra.test/fetched/v2.0", "RS256 ES256", true)
        .await
        .unwrap();
    let answer: Value =
        exchange_for_api(s, &client, &token("https://login.entra.test/fetched/v2.0")).await;
    assert!(answer["access_token"].is_string(), "{answer}");
    register("https://login.entra.test/pasted/v2.0", "RS256", false)
        .await
        .unwrap();
    exchange_for_api(s, &client, &token("https://login.entra.test/pasted/v2.0")).await;
    // Two RSA algorithms: the key is bound to neither. Pasted, it is refused at registration
    // (no usable key); fetched, its tokens are refused.
    let refused = register(
        "https://login.entra.test/pasted-either/v2.0",
        "RS256 PS256",
        false,
    )
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("alg"), "{refused}");
    register("https://login.entra.test/either/v2.0", "RS256 PS256", true)
        .await
        .unwrap();
    assert_oauth_error(
        exchange(
            s,
            &client,
            &[
                (
                    "subject_token",
                    &token("https://login.entra.test/either/v2.0"),
                ),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
}
