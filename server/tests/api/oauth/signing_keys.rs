//! The server's signing keys: rotation keeps old tokens verifiable and publishes a successor
//! before it signs; a key the master key cannot open means 503, never another key.

use super::*;

on_both!(
    key_rotation_keeps_old_tokens_verifiable,
    key_rotation_publishes_before_it_signs,
    undecryptable_signing_key_means_503,
);

async fn key_rotation_keeps_old_tokens_verifiable(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let old = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let kid = entente_server::state::signing_keys::rotate_now(
        &s.state.store,
        &s.state.master,
        SigningAlgorithm::EdDsa,
        entente_domain::environment::Environment::Production,
        true,
        &entente_store::Actor::new("test"),
        now(),
    )
    .await
    .unwrap();
    s.refresh().await;
    let new = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(decode_part(&new, 0)["kid"], kid.as_str());
    assert_eq!(decode_part(&new, 0)["alg"], "EdDSA");
    assert_eq!(
        s.introspect(&rs, &old).await["active"],
        true,
        "retiring key still verifies (D39)"
    );
    assert_eq!(s.introspect(&rs, &new).await["active"], true);
    let jwks: Value = s
        .http
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
}

/// Issue 7, defect 8: the scheduled path — a successor is published first and only signs once
/// the publish lead has passed; the old key keeps verifying what it signed (D38, D39).
async fn key_rotation_publishes_before_it_signs(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let old = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_kid = decode_part(&old, 0)["kid"].as_str().unwrap().to_owned();
    let t0 = now();
    let kid = entente_server::state::signing_keys::rotate_now(
        &s.state.store,
        &s.state.master,
        SigningAlgorithm::Es256,
        entente_domain::environment::Environment::Production,
        false,
        &entente_store::Actor::new("test"),
        t0,
    )
    .await
    .unwrap();
    s.refresh().await;
    let jwks = |s: &'_ TestServer| {
        let url = s.url("/.well-known/jwks.json");
        let http = s.http.clone();
        async move {
            let v: Value = http.get(url).send().await.unwrap().json().await.unwrap();
            v["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let published = jwks(s).await;
    assert!(
        published.contains(&kid),
        "the successor is published at once"
    );
    let during = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        decode_part(&during, 0)["kid"],
        old_kid.as_str(),
        "the successor does not sign before the lead"
    );
    // The lead passes (rotation takes `now`; the background check would do this within a minute).
    let policy = &s.state.rotation();
    let changed = entente_server::state::signing_keys::rotate(
        &s.state.store,
        &s.state.master,
        policy,
        &entente_store::Actor::new("test"),
        t0 + policy.publish_lead + 1,
    )
    .await
    .unwrap();
    assert!(changed);
    s.refresh().await;
    let after = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(decode_part(&after, 0)["kid"], kid.as_str());
    assert!(
        jwks(s).await.contains(&old_kid),
        "the old key stays published"
    );
    assert_eq!(s.introspect(&rs, &old).await["active"], true);
    assert_eq!(s.introspect(&rs, &after).await["active"], true);
}

/// H58: when the active signing key cannot be opened with the master key, issuance answers 503
/// with Retry-After and never signs with another key; JWKS and discovery are still served.
async fn undecryptable_signing_key_means_503(s: &TestServer) {
    use entente_store::entities::signing_key;
    use entente_store::sea_orm::EntityTrait;
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    signing_key::Entity::update_many()
        .col_expr(
            signing_key::Column::PrivateSealed,
            entente_store::sea_orm::sea_query::Expr::value(vec![0u8; 60]),
        )
        .exec(s.state.store.db())
        .await
        .unwrap();
    s.state.reload_keys().await.unwrap();
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.headers()["retry-after"], "1");
    assert_oauth_error(r, 503, "temporarily_unavailable").await;
    assert_eq!(
        s.http
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.http
            .get(s.url("/.well-known/oauth-authorization-server"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        s.http.get(s.url("/readyz")).send().await.unwrap().status(),
        503
    );
}
