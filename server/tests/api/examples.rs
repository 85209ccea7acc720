//! The starter kit in `examples/`, run against a live Entente: the axum resource server
//! validates Entente's tokens through the JWKS (with caching, a refetch when keys rotate, and
//! audience, issuer and scope checks), and each curl script gets a token with its grant.

use std::sync::Arc;

use resource_server::{Verifier, router};
use serde_json::{Value, json};

use crate::common::{API, Creds, OTHER_API, TestServer};
use crate::console::{call, session};
use crate::fed;

crate::on_both!(
    the_resource_server_validates_through_the_jwks,
    each_curl_script_gets_a_token,
);

/// The example API on a free port, trusting `issuer` for `audience`.
async fn orders_api(issuer: &str, audience: &str) -> (String, Arc<Verifier>) {
    let v = Arc::new(Verifier::discover(issuer, audience).await.unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(v.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (base, v)
}

async fn get_orders(base: &str, token: Option<&str>) -> (u16, String, Value) {
    let mut r = reqwest::Client::new().get(format!("{base}/orders"));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let challenge = r
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, challenge, r.json().await.unwrap_or(Value::Null))
}

async fn the_resource_server_validates_through_the_jwks(s: &TestServer) {
    s.seed().await;
    let (base, v) = orders_api(&s.base, API).await;
    let creds = s.secret_client("acme", "orders:read").await;
    let token = s.token(&creds, &[("audience", API)]).await;
    let token = token["access_token"].as_str().unwrap();

    let (status, _, body) = get_orders(&base, Some(token)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_id"], creds.id.as_str());
    // RFC 6750 §3: no token, a bad one, and a missing scope, each with its challenge.
    let (status, challenge, _) = get_orders(&base, None).await;
    assert_eq!(
        (status, challenge.as_str()),
        (401, r#"Bearer realm="orders""#)
    );
    let (status, challenge, _) = get_orders(&base, Some("not.a.token")).await;
    assert_eq!(status, 401);
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let r = reqwest::Client::new()
        .post(format!("{base}/orders"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.contains(r#"error="insufficient_scope", scope="orders:write""#));

    // A token for another API is refused (its audience), though Entente signed it.
    let globex = s.secret_client("globex", "bill:read").await;
    s.state
        .store
        .set_grant(
            &entente_store::Actor::new("test"),
            "globex",
            OTHER_API,
            &entente_domain::ScopeSet::parse("bill:read").unwrap(),
            entente_server::state::now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let other = s.token(&globex, &[("audience", OTHER_API)]).await;
    let (status, challenge, _) =
        get_orders(&base, Some(other["access_token"].as_str().unwrap())).await;
    assert_eq!(status, 401);
    assert!(challenge.contains("invalid_token"), "{challenge}");

    // Keys rotate: the first token signed by the new key makes one JWKS refetch; made-up key
    // ids right after make none (the cooldown), and are refused.
    let fetches = v.fetches();
    let admin = session(s, "ada@example.test", entente_store::enums::Role::Admin).await;
    let (code, answer) = call(s, &admin, "rotate_key_now", &[("immediate", "on")]).await;
    assert_eq!(code, 200, "{answer}");
    s.refresh().await;
    let fresh = s.token(&creds, &[("audience", API)]).await;
    let fresh = fresh["access_token"].as_str().unwrap();
    let (status, _, body) = get_orders(&base, Some(fresh)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(v.fetches(), fetches + 1, "one refetch for the new key");
    let (status, _, _) = get_orders(&base, Some(token)).await;
    assert_eq!(status, 200, "the retiring key still verifies");
    let forged_head = base64_url(r#"{"alg":"ES256","typ":"at+jwt","kid":"made-up"}"#);
    let rest: Vec<&str> = fresh.splitn(2, '.').collect();
    let forged = format!("{forged_head}.{}", rest[1]);
    for _ in 0..5 {
        let (status, _, _) = get_orders(&base, Some(&forged)).await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        v.fetches(),
        fetches + 1,
        "no refetch storm for made-up kids"
    );

    // The sandbox is another issuer with other keys: its tokens are refused here.
    crate::sandbox::sandbox_audience(s).await;
    let sandbox_client = crate::sandbox::client_in(
        s,
        "acme",
        Some(entente_domain::environment::Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let r = s
        .post_form(
            "/sandbox/oauth2/token",
            Some(&sandbox_client),
            &[
                ("grant_type", "client_credentials"),
                ("resource", crate::sandbox::SANDBOX_API),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let sandbox_token: Value = r.json().await.unwrap();
    let (status, _, _) =
        get_orders(&base, Some(sandbox_token["access_token"].as_str().unwrap())).await;
    assert_eq!(status, 401);
    // …and the example, pointed at the sandbox issuer, accepts them for the sandbox API.
    let (sandbox_base, _) =
        orders_api(&format!("{}/sandbox", s.base), crate::sandbox::SANDBOX_API).await;
    let (status, _, body) = get_orders(
        &sandbox_base,
        Some(sandbox_token["access_token"].as_str().unwrap()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

fn base64_url(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s)
}

/// Runs `examples/curl/<script>` with `env`; its JSON output.
fn script(name: &str, env: &[(&str, &str)]) -> Value {
    let path = format!("{}/../examples/curl/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("bash")
        .arg(&path)
        .envs(env.iter().copied())
        .output()
        .expect("bash and curl must be installed");
    assert!(
        out.status.success(),
        "{name}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{name} printed no JSON"))
}

async fn each_curl_script_gets_a_token(s: &TestServer) {
    let f = fed::setup(s).await;
    fed::set_rule(s, API, "orders:read", |r| r.refresh = true).await;
    let creds = |c: &Creds| (c.id.clone(), c.secret.clone());
    let (id, secret) = creds(&f.client);
    let common = [
        ("ENTENTE", s.base.as_str()),
        ("CLIENT_ID", id.as_str()),
        ("CLIENT_SECRET", secret.as_str()),
        ("AUDIENCE", API),
    ];
    let with = |extra: &[(&'static str, String)]| -> Vec<(String, String)> {
        common
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
            .collect()
    };
    let run = |name: &'static str, env: Vec<(String, String)>| {
        let borrowed: Vec<(&str, &str)> =
            env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        script(name, &borrowed)
    };

    let cc = tokio::task::block_in_place(|| {
        run(
            "client-credentials.sh",
            with(&[("SCOPE", "orders:read".into())]),
        )
    });
    assert_eq!(cc["scope"], "orders:read");

    let subject = f.idp.access_token(&s.base, "alice", json!({}));
    let tx = tokio::task::block_in_place(|| {
        run("token-exchange.sh", with(&[("SUBJECT_TOKEN", subject)]))
    });
    assert_eq!(
        tx["issued_token_type"],
        "urn:ietf:params:oauth:token-type:access_token"
    );
    let refresh = tx["refresh_token"].as_str().unwrap().to_owned();
    let rt = tokio::task::block_in_place(|| {
        run("refresh-token.sh", with(&[("REFRESH_TOKEN", refresh)]))
    });
    assert!(rt["access_token"].is_string());
    assert_ne!(rt["refresh_token"], tx["refresh_token"], "rotated");

    let n = entente_server::state::now();
    let assertion = f.idp.sign(
        None,
        json!({"iss": fed::IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": fed::uuid()}),
    );
    let jb =
        tokio::task::block_in_place(|| run("jwt-bearer.sh", with(&[("ASSERTION", assertion)])));
    assert!(jb["access_token"].is_string());

    let token = cc["access_token"].as_str().unwrap().to_owned();
    let (rs_id, rs_secret) = creds(&f.rs);
    let introspected = tokio::task::block_in_place(|| {
        script(
            "introspect.sh",
            &[
                ("ENTENTE", s.base.as_str()),
                ("RS_CLIENT_ID", &rs_id),
                ("RS_CLIENT_SECRET", &rs_secret),
                ("TOKEN", &token),
            ],
        )
    });
    assert_eq!(introspected["active"], true);

    // A wrong secret makes the script fail loudly (curl --fail-with-body), not print a token.
    let path = format!(
        "{}/../examples/curl/client-credentials.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = std::process::Command::new("bash")
        .arg(&path)
        .envs([
            ("ENTENTE", s.base.as_str()),
            ("CLIENT_ID", id.as_str()),
            ("CLIENT_SECRET", "wrong"),
            ("AUDIENCE", API),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("invalid_client"));
}
