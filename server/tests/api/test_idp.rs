//! The sandbox test IdP and the portal's trusted issuers page over real HTTP on SQLite and
//! PostgreSQL: a partner trusts the test IdP in one step, mints subject tokens and assertions for
//! made-up users in the playground, and exchanges them in the sandbox (token exchange and
//! jwt-bearer, through the real endpoint); production refuses them whatever is registered; they
//! do not count as the partner's first exchange; "validate a sample token" explains the policy;
//! the partner registers its own IdP, never one of Entente's.

use entente_domain::environment::Environment;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::enums::Role;
use serde_json::Value;

use crate::common::{API, TestServer, assert_oauth_error};
use crate::console::call;
use crate::fed::{self, JWT_BEARER, TX};
use crate::portal::partner_session;
use crate::sandbox::{SANDBOX_API, client_in, sandbox_audience};

crate::on_both!(
    test_idp_tokens_are_exchanged_in_the_sandbox_only,
    partners_register_their_own_identity_providers,
);

async fn mint(s: &TestServer, who: &str, kind: &str, sub: &str, claims: &str) -> String {
    let (code, token) = call(
        s,
        who,
        "mint_test_token",
        &[("kind", kind), ("sub", sub), ("claims", claims)],
    )
    .await;
    assert_eq!(code, 200, "{token}");
    token.as_str().unwrap().to_owned()
}

async fn test_idp_tokens_are_exchanged_in_the_sandbox_only(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let vic = partner_session(s, "acme", "vic@acme.test", Role::PartnerViewer).await;
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials", TX, JWT_BEARER],
    )
    .await;

    // Viewers cannot trust it; admins can, in one step.
    let (code, _) = call(s, &vic, "portal_trust_test_idp", &[]).await;
    assert_eq!(code, 403);
    let (code, answer) = call(s, &pat, "portal_trust_test_idp", &[]).await;
    assert_eq!(code, 200, "{answer}");
    let (_, page) = call(s, &pat, "portal_issuers", &[]).await;
    assert_eq!(page["test_idp_trusted"], true, "{page}");
    let test_idp = format!("{}/sandbox/test-idp", s.base);
    assert_eq!(page["test_idp"], test_idp.as_str());
    assert_eq!(
        page["issuers"][0]["rules"][0],
        format!("{SANDBOX_API}: orders:read")
    );

    // Its JWKS is public, and names the key its tokens carry.
    let jwks: Value = s
        .http
        .get(s.url("/sandbox/test-idp/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = mint(
        s,
        &vic,
        "access_token",
        "ann",
        r#"{"email": "ann@example.com"}"#,
    )
    .await;
    let claims = fed::claims_of(&token);
    assert_eq!(claims["iss"], test_idp.as_str());
    assert_eq!(claims["email"], "ann@example.com");
    let head: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            token.split('.').next().unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(head["typ"], "at+jwt");
    assert_eq!(jwks["keys"][0]["kid"], head["kid"]);
    let (code, bad) = call(
        s,
        &vic,
        "mint_test_token",
        &[
            ("kind", "access_token"),
            ("sub", "ann"),
            ("claims", r#"{"iss": "https://evil.example"}"#),
        ],
    )
    .await;
    assert_eq!(code, 400, "{bad}");

    // Exchanged in the sandbox, through the real endpoint: the user's claim passes through.
    let out = fed::exchange_ok_at(
        s,
        "/sandbox",
        &trial,
        &[
            ("subject_token", &token),
            ("subject_token_type", fed::AT),
            ("audience", SANDBOX_API),
        ],
    )
    .await;
    let issued = fed::claims_of(out["access_token"].as_str().unwrap());
    assert_eq!(issued["iss"], format!("{}/sandbox", s.base));
    assert_eq!(issued["email"], "ann@example.com");

    // jwt-bearer with a minted assertion, through the playground; single-use.
    let assertion = mint(s, &vic, "assertion", "ann", "").await;
    let try_jwt = |assertion: String| {
        let (vic, id, secret) = (vic.clone(), trial.id.clone(), trial.secret.clone());
        async move {
            call(
                s,
                &vic,
                "try_token",
                &[
                    ("client_id", id.as_str()),
                    ("client_secret", secret.as_str()),
                    ("grant_type", JWT_BEARER),
                    ("audience", SANDBOX_API),
                    ("scope", ""),
                    ("subject_token", assertion.as_str()),
                ],
            )
            .await
        }
    };
    let (code, r) = try_jwt(assertion.clone()).await;
    assert_eq!(code, 200, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert!(
        r["explanation"].as_str().unwrap().contains("ALLOWED"),
        "explained before it was spent: {r}"
    );
    assert!(r["curl"].as_str().unwrap().contains("assertion="));
    let (_, again) = try_jwt(assertion).await;
    assert_eq!(again["status"], 400, "an assertion is single-use");

    // Production never accepts them, even under a rule someone set on a production API.
    s.state
        .store
        .set_trust_rule(
            &Actor::new("test"),
            "acme",
            &test_idp,
            API,
            entente_store::federation::NewTrustRule::new(
                entente_domain::ScopeSet::parse("orders:read").unwrap(),
            ),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let production = fed::federated_client(s, "acme", "orders:read").await;
    s.refresh().await;
    let r = fed::exchange(
        s,
        &production,
        &[
            ("subject_token", &token),
            ("subject_token_type", fed::AT),
            ("audience", API),
        ],
    )
    .await;
    let e = assert_oauth_error(r, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("sandbox only"),
        "{e}"
    );

    // None of that is the partner's first exchange: the checklist waits for its own IdP.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let acme = s.state.store.partner_by_slug("acme").await.unwrap();
    assert_eq!(acme.first_exchange_at, None);

    // "Validate a sample token": the policy's decision, nothing issued.
    let fresh = mint(s, &vic, "access_token", "bob", "").await;
    let validate = |token: String| {
        let (vic, id) = (vic.clone(), trial.id.clone());
        async move {
            call(
                s,
                &vic,
                "portal_validate_token",
                &[
                    ("client_id", id.as_str()),
                    ("audience", SANDBOX_API),
                    ("token", token.as_str()),
                ],
            )
            .await
        }
    };
    let (code, x) = validate(fresh).await;
    assert_eq!(code, 200, "{x}");
    assert_eq!(x["allowed"], true, "{x}");
    assert!(!x["trace"].as_array().unwrap().is_empty());
    let (_, x) = validate("not.a.token".into()).await;
    assert_eq!(x["allowed"], false);
    // G50: another partner's client is not found.
    let globex = client_in(s, "globex", Some(Environment::Sandbox), &[TX]).await;
    let (code, _) = call(
        s,
        &vic,
        "portal_validate_token",
        &[
            ("client_id", globex.id.as_str()),
            ("audience", SANDBOX_API),
            ("token", "x.y.z"),
        ],
    )
    .await;
    assert_eq!(code, 404);
}

async fn partners_register_their_own_identity_providers(s: &TestServer) {
    s.seed().await;
    let pat = partner_session(s, "acme", "pat@acme.test", Role::PartnerAdmin).await;
    let idp = fed::Idp::new("https://login.acme.test");
    let register = |issuer: String, jwks: String| {
        let pat = pat.clone();
        async move {
            call(
                s,
                &pat,
                "portal_add_issuer",
                &[
                    ("issuer", issuer.as_str()),
                    ("jwks_uri", ""),
                    ("jwks", jwks.as_str()),
                ],
            )
            .await
        }
    };
    let (code, answer) = register(idp.issuer.clone(), idp.jwks.clone()).await;
    assert_eq!(code, 200, "{answer}");
    // Entente's own issuers and the test IdP are not a partner's.
    for own in [
        s.base.clone(),
        format!("{}/sandbox", s.base),
        format!("{}/sandbox/test-idp", s.base),
    ] {
        let (code, answer) = register(own.clone(), idp.jwks.clone()).await;
        assert_eq!(code, 400, "{own}: {answer}");
    }
    // Private key material is refused; so is a URL and a JWKS at once.
    let (code, _) = register(
        "https://login2.acme.test".into(),
        r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#.into(),
    )
    .await;
    assert_eq!(code, 400);
    let (_, page) = call(s, &pat, "portal_issuers", &[]).await;
    let issuers = page["issuers"].as_array().unwrap();
    assert_eq!(issuers.len(), 1, "{page}");
    assert_eq!(issuers[0]["issuer"], "https://login.acme.test");
    assert_eq!(
        issuers[0]["rules"],
        serde_json::json!([]),
        "no rule until an administrator sets one"
    );
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.actor == "portal:pat@acme.test" && e.action.contains("issuer"))
    );
}
