//! The memory of verified signatures (ENTENTE_VERIFIED_TOKENS): a token presented again skips
//! only its signature check; the issuer, the keys in force, revocations and the rule are decided
//! on every request, so a remembered token is refused at once when any of them says no.

use entente_domain::verified::{VerifiedTokens, digest};
use entente_server::state::now;
use entente_store::Actor;
use serde_json::json;

use crate::common::*;
use crate::fed::*;

on_both!(
    a_remembered_partner_token_is_refused_once_its_issuer_is_disabled,
    introspection_remembers_signatures_not_revocations_or_keys,
);

async fn a_remembered_partner_token_is_refused_once_its_issuer_is_disabled(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    exchange_for_api(s, &f.client, &pt).await;
    let memory = s.state.verified.as_ref().expect("on by default");
    let (_, exp) = memory
        .recall(&digest(&pt))
        .expect("remembered after its first exchange");
    assert_eq!(
        exp,
        claims_of(&pt)["exp"].as_i64().unwrap(),
        "until its exp"
    );
    exchange_for_api(s, &f.client, &pt).await;
    s.state
        .store
        .set_trusted_issuer_enabled(&Actor::new("test"), "acme", IDP, false, now())
        .await
        .unwrap();
    s.refresh().await;
    let r = exchange(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await;
    assert_oauth_error(r, 400, "invalid_request").await;
}

async fn introspection_remembers_signatures_not_revocations_or_keys(s: &TestServer) {
    s.seed().await;
    let client = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let issue = || async {
        s.token(&client, &[("resource", API)]).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let t = issue().await;
    assert_eq!(s.introspect(&rs, &t).await["active"], true);
    let memory = s.state.verified.as_ref().expect("on by default");
    assert!(memory.recall(&digest(&t)).is_some(), "remembered");
    assert_eq!(s.introspect(&rs, &t).await["active"], true);
    // Revoked by its client: inactive at once, though its signature is remembered.
    let r = s
        .post_form("/oauth2/revoke", Some(&client), &[("token", &t)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.introspect(&rs, &t).await["active"], false);
    // Entente's signing key revoked (emergency): every token it signed is inactive at once.
    let t2 = issue().await;
    assert_eq!(s.introspect(&rs, &t2).await["active"], true);
    assert!(memory.recall(&digest(&t2)).is_some());
    let kid = entente_domain::jws::peek_header(&t2).unwrap().kid.unwrap();
    s.state
        .store
        .revoke_signing_key(&Actor::new("test"), &kid, now())
        .await
        .unwrap();
    s.refresh().await;
    assert_eq!(s.introspect(&rs, &t2).await["active"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_stays_bounded_under_a_flood_of_distinct_tokens_sqlite() {
    flood(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_memory_stays_bounded_under_a_flood_of_distinct_tokens_postgres() {
    flood(Backend::Postgres).await;
}

async fn flood(backend: Backend) {
    let s = TestServer::start_with(
        TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |config| config.verified_tokens = 64,
    )
    .await;
    let f = setup(&s).await;
    let memory = s.state.verified.clone().expect("on");
    for i in 0..300 {
        let pt = f.idp.access_token(&s.base, &format!("user-{i}"), json!({}));
        exchange_for_api(&s, &f.client, &pt).await;
    }
    assert!(!memory.is_empty());
    assert!(
        memory.len() as u64 <= memory.capacity() && memory.capacity() <= 64,
        "{} entries, capacity {}",
        memory.len(),
        memory.capacity()
    );
    s.stop().await;

    // Off (0): every signature is checked, and exchanges work the same.
    let s = TestServer::start_with(
        TestDb::new(backend).await,
        entente_domain::sealing::MasterKey::generate_base64(),
        |config| config.verified_tokens = 0,
    )
    .await;
    let f = setup(&s).await;
    assert!(s.state.verified.is_none());
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    exchange_for_api(&s, &f.client, &pt).await;
    exchange_for_api(&s, &f.client, &pt).await;
    s.stop().await;
}
