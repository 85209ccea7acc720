//! The portal's read-only pages: the docs written with the partner's own values, and the
//! overview of its usage per environment, its limits and the latest events about it.

use super::*;

crate::on_both!(
    the_docs_carry_the_partners_own_values,
    the_overview_shows_usage_per_environment_limits_and_events,
);

/// The docs page is written with the partner's own values: both environments' endpoints as
/// their metadata names them, its clients and scopes (never another partner's: G50).
async fn the_docs_carry_the_partners_own_values(s: &TestServer) {
    two_partners(s).await;
    let mine = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerViewer).await;
    let (code, d) = call(s, &pat, "portal_docs", &[]).await;
    assert_eq!(code, 200, "{d}");
    let text = d.to_string();
    assert!(text.contains(&mine.id));
    assert!(!text.contains(&theirs.id), "another partner's client");
    // The seeded acme is in production: its examples open on production. It has no trust
    // rule yet.
    assert_eq!(d["in_production"], true);
    assert_eq!(d["rules"], serde_json::json!([]));
    let envs = d["environments"].as_array().unwrap();
    let sandbox = envs.iter().find(|e| e["environment"] == "sandbox").unwrap();
    assert_eq!(sandbox["token"], format!("{}/sandbox/oauth2/token", s.base));
    // RFC 8414 §3.1: the well-known segment goes before the issuer's path; the documented
    // address answers with that issuer.
    let metadata = sandbox["metadata"].as_str().unwrap();
    assert_eq!(
        metadata,
        format!("{}/.well-known/oauth-authorization-server/sandbox", s.base)
    );
    let doc: Value = s
        .http
        .get(metadata)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], sandbox["issuer"]);
    assert_eq!(doc["token_endpoint"], sandbox["token"]);
    assert_eq!(doc["jwks_uri"], sandbox["jwks"]);
    let production = envs
        .iter()
        .find(|e| e["environment"] == "production")
        .unwrap();
    let doc: Value = s
        .http
        .get(production["metadata"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], s.base.as_str());
    assert_eq!(doc["introspection_endpoint"], production["introspection"]);
    assert_eq!(doc["revocation_endpoint"], production["revocation"]);
    assert!(
        d["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g[0] == SANDBOX_API && g[1] == "orders:read" && g[2] == "sandbox"),
        "{d}"
    );
}

/// The overview's activity: requests counted per environment (a sandbox client's are sandbox's,
/// a production client's production's), the partner's two budgets and its clients' limits, and
/// the latest events about it, naming Entente's staff only as "Entente administrators"; another
/// partner's traffic is not in it.
async fn the_overview_shows_usage_per_environment_limits_and_events(s: &TestServer) {
    two_partners(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    let theirs = client_in(
        s,
        "globex",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let sandbox_token = |c: &Creds| {
        let (id, secret) = (c.id.clone(), c.secret.clone());
        async move {
            s.post_form(
                "/sandbox/oauth2/token",
                Some(&Creds { id, secret }),
                &[
                    ("grant_type", "client_credentials"),
                    ("resource", SANDBOX_API),
                ],
            )
            .await
            .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(sandbox_token(&trial).await, 200);
    }
    assert_eq!(sandbox_token(&theirs).await, 200);
    s.token(&live, &[("resource", crate::common::API)]).await;
    entente_server::usage::flush::flush(&s.state, now())
        .await
        .unwrap();
    let (code, a) = call(s, &pat, "portal_activity", &[]).await;
    assert_eq!(code, 200, "{a}");
    let env = |name: &str| {
        a["environments"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["environment"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(env("sandbox")["requests"], 3, "{a}");
    assert_eq!(env("sandbox")["tokens"], 3, "{a}");
    assert_eq!(env("production")["requests"], 1, "{a}");
    assert_eq!(env("sandbox")["hours"].as_array().unwrap().len(), 24);
    let limits = a["limits"].to_string();
    assert!(
        limits.contains("All your sandbox clients together"),
        "{limits}"
    );
    assert!(
        limits.contains(&trial.id) && !limits.contains(&theirs.id),
        "{limits}"
    );
    assert!(!a["events"].to_string().contains("globex"), "{a}");
    let events = a["events"].as_array().unwrap();
    assert!(!events.is_empty(), "{a}");
    assert!(
        events
            .iter()
            .all(|e| !e["by"].as_str().unwrap().contains("test") || e["by"] == "pat@acme.test"),
        "staff are not named: {a}"
    );
    assert!(events.iter().any(|e| e["action"] == "client.create"), "{a}");
    // Viewers see it too; the admin API's usage splits the same way.
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    assert_eq!(call(s, &vic, "portal_activity", &[]).await.0, 200);
    let (admin, ..) = crate::admin_api::api_tokens(s).await;
    let usage = |env: &'static str| {
        let admin = admin.clone();
        async move {
            let r = reqwest::Client::new()
                .get(s.url(&format!(
                    "/admin/api/v1/usage?partner=acme&from=1h&environment={env}"
                )))
                .bearer_auth(admin)
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or_default(),
            )
        }
    };
    let (code, r) = usage("sandbox").await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["total"]["requests"], 3, "{r}");
    assert_eq!(usage("production").await.1["total"]["requests"], 1);
    assert_eq!(usage("staging").await.0, 400);
}
