//! Each environment is its own: its issuer, keys and metadata, and tokens that never cross
//! between environments at the token, introspection, revocation and admin endpoints.

use super::*;

crate::on_both!(
    each_environment_publishes_its_own_issuer_keys_and_metadata,
    tokens_never_cross_between_environments,
);

async fn each_environment_publishes_its_own_issuer_keys_and_metadata(s: &TestServer) {
    let sandbox = format!("{}/sandbox", s.base);
    let production = get_json(s, "/.well-known/oauth-authorization-server").await;
    assert_eq!(production["issuer"], s.base);
    assert_eq!(
        production["token_endpoint"],
        format!("{}/oauth2/token", s.base)
    );
    // RFC 8414 §3.1: the well-known segment between host and the issuer's path.
    let meta = get_json(s, "/.well-known/oauth-authorization-server/sandbox").await;
    assert_eq!(meta["issuer"], sandbox);
    for (field, path) in [
        ("token_endpoint", "/oauth2/token"),
        ("introspection_endpoint", "/oauth2/introspect"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("jwks_uri", "/.well-known/jwks.json"),
    ] {
        assert_eq!(meta[field], format!("{sandbox}{path}"), "{field}");
    }
    // OpenID Connect Discovery appends its segment to the issuer.
    assert_eq!(
        get_json(s, "/sandbox/.well-known/openid-configuration").await,
        meta
    );

    let prod_kids = kids(&get_json(s, "/.well-known/jwks.json").await);
    let sandbox_kids = kids(&get_json(s, "/sandbox/.well-known/jwks.json").await);
    assert!(!prod_kids.is_empty() && !sandbox_kids.is_empty());
    assert!(
        prod_kids.iter().all(|k| !sandbox_kids.contains(k)),
        "the two environments share a key: {prod_kids:?} {sandbox_kids:?}"
    );

    // Rotating the sandbox's keys leaves production's JWKS as it was (same ETag).
    let etag = |r: &reqwest::Response| r.headers()["etag"].to_str().unwrap().to_owned();
    let prod_before = etag(
        &s.http
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    );
    let kid = entente_server::state::signing_keys::rotate_now(
        &s.state.store,
        &s.state.master,
        entente_domain::keys::SigningAlgorithm::Es256,
        Environment::Sandbox,
        true,
        &Actor::new("test"),
        now(),
    )
    .await
    .unwrap();
    s.refresh().await;
    assert!(kids(&get_json(s, "/sandbox/.well-known/jwks.json").await).contains(&kid));
    assert!(!kids(&get_json(s, "/.well-known/jwks.json").await).contains(&kid));
    let prod_after = etag(
        &s.http
            .get(s.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap(),
    );
    assert_eq!(prod_before, prod_after);
    // The new sandbox key signs sandbox tokens at once.
    s.seed().await;
    sandbox_audience(s).await;
    let c = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let t = token_at(s, "/sandbox/oauth2/token", &c, SANDBOX_API).await;
    assert_eq!(header_kid(t["access_token"].as_str().unwrap()), kid);
}

async fn tokens_never_cross_between_environments(s: &TestServer) {
    s.seed().await;
    sandbox_audience(s).await;
    let sandbox = format!("{}/sandbox", s.base);
    let trial = client_in(
        s,
        "acme",
        Some(Environment::Sandbox),
        &["client_credentials"],
    )
    .await;
    let live = s.secret_client("acme", "orders:read").await;
    let sandbox_rs = s.resource_server(SANDBOX_API).await;
    let live_rs = s.resource_server(API).await;

    // A sandbox token: the sandbox's issuer, signed with a key only the sandbox's JWKS has.
    let t = token_at(s, "/sandbox/oauth2/token", &trial, SANDBOX_API).await;
    let sandbox_token = t["access_token"].as_str().unwrap().to_owned();
    let claims = claims_of(&sandbox_token);
    assert_eq!(claims["iss"], sandbox);
    assert_eq!(claims["aud"], SANDBOX_API);
    let sandbox_kids = kids(&get_json(s, "/sandbox/.well-known/jwks.json").await);
    assert!(sandbox_kids.contains(&header_kid(&sandbox_token)));
    assert!(
        !kids(&get_json(s, "/.well-known/jwks.json").await).contains(&header_kid(&sandbox_token))
    );
    let production_token = s.token(&live, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(claims_of(&production_token)["iss"], s.base);

    // Each client at the other environment's token endpoint: unauthorized_client, saying where.
    let e = assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&trial),
            &[
                ("grant_type", "client_credentials"),
                ("resource", SANDBOX_API),
            ],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains(&format!("{sandbox}/oauth2/token")),
        "{e}"
    );
    assert_oauth_error(
        s.post_form(
            "/sandbox/oauth2/token",
            Some(&live),
            &[("grant_type", "client_credentials"), ("resource", API)],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;
    // Audiences of the other environment do not exist for a client.
    for (path, c, audience) in [
        ("/sandbox/oauth2/token", &trial, API),
        ("/oauth2/token", &live, SANDBOX_API),
    ] {
        assert_oauth_error(
            s.post_form(
                path,
                Some(c),
                &[("grant_type", "client_credentials"), ("resource", audience)],
            )
            .await,
            400,
            "invalid_target",
        )
        .await;
    }

    // Introspection: each environment's resource server sees its own tokens active, the
    // other's inactive, both ways.
    let active = |v: Value| v["active"].as_bool().unwrap();
    assert!(active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
    assert!(!active(
        introspect_at(
            s,
            "/sandbox/oauth2/introspect",
            &sandbox_rs,
            &production_token
        )
        .await
    ));
    assert!(active(
        introspect_at(s, "/oauth2/introspect", &live_rs, &production_token).await
    ));
    assert!(!active(
        introspect_at(s, "/oauth2/introspect", &live_rs, &sandbox_token).await
    ));
    // A resource server calls its own environment's endpoint only.
    assert_oauth_error(
        s.post_form(
            "/oauth2/introspect",
            Some(&sandbox_rs),
            &[("token", &sandbox_token)],
        )
        .await,
        400,
        "unauthorized_client",
    )
    .await;

    // A token signed with the sandbox's key, for the admin API: refused there (production keys
    // only), whatever it claims.
    let mut forged: entente_domain::token::AccessTokenClaims =
        serde_json::from_value(claims_of(&production_token)).unwrap();
    forged.aud = entente_domain::jws::OneOrMany::One(format!("{}/admin/api/v1", s.base));
    forged.scope = Some("entente:admin".into());
    forged.iss = s.base.clone();
    let forged =
        entente_server::oauth::issue::sign(&s.state, Environment::Sandbox, &forged).unwrap();
    let r = s
        .http
        .get(s.url("/admin/api/v1/partners"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Revocation at the sandbox endpoint takes effect there; the production endpoint does not
    // know sandbox tokens (200 with no effect, RFC 7009 §2.2).
    let r = s
        .post_form("/oauth2/revoke", Some(&live), &[("token", &sandbox_token)])
        .await;
    assert_eq!(r.status(), 200);
    assert!(active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
    let r = s
        .post_form(
            "/sandbox/oauth2/revoke",
            Some(&trial),
            &[("token", &sandbox_token)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(!active(
        introspect_at(s, "/sandbox/oauth2/introspect", &sandbox_rs, &sandbox_token).await
    ));
}
