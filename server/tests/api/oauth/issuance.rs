//! Issuing tokens: discovery and JWKS documents, client_credentials tokens (RFC 9068), targets
//! and scopes, client authentication failures that look alike, malformed requests (400, never
//! 500), health endpoints and request ids.

use super::*;

on_both!(
    discovery_is_exact,
    jwks_is_public_and_cacheable,
    client_credentials_issues_rfc9068_tokens,
    targets_and_scopes_are_enforced,
    client_authentication_failures_look_alike,
    malformed_requests_are_400_never_500,
    health_and_request_ids,
);

async fn discovery_is_exact(s: &TestServer) {
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let m: Value = s
            .http
            .get(s.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(m["issuer"], s.base.as_str());
        assert_eq!(m["token_endpoint"], s.url("/oauth2/token"));
        assert_eq!(m["introspection_endpoint"], s.url("/oauth2/introspect"));
        assert_eq!(m["revocation_endpoint"], s.url("/oauth2/revoke"));
        assert_eq!(m["jwks_uri"], s.url("/.well-known/jwks.json"));
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            json!([
                "client_secret_basic",
                "client_secret_post",
                "private_key_jwt"
            ])
        );
        // Every grant served is listed: a client library reading the metadata must not conclude
        // that token exchange is unsupported (issue 7, defect 7).
        assert_eq!(
            m["grant_types_supported"],
            json!([
                "client_credentials",
                "urn:ietf:params:oauth:grant-type:token-exchange",
                "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "refresh_token"
            ])
        );
    }
}

async fn jwks_is_public_and_cacheable(s: &TestServer) {
    let r = s
        .http
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let v: Value = r.json().await.unwrap();
    let keys = v["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    for k in keys {
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(k.get(private).is_none(), "JWKS leaks {private} (A15)");
        }
        assert_eq!(k["alg"], "ES256");
        assert_eq!(k["use"], "sig");
        let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(k.clone()).unwrap();
        assert_eq!(
            k["kid"],
            jwk.thumbprint(jsonwebtoken::jwk::ThumbprintHash::SHA256)
                .unwrap(),
            "kid is the RFC 7638 thumbprint"
        );
    }
    let r = s
        .http
        .get(s.url("/.well-known/jwks.json"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
}

async fn client_credentials_issues_rfc9068_tokens(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read orders:write").await;
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "orders:read orders:write"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["pragma"], "no-cache");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 300);
    assert_eq!(
        body["scope"], "orders:read",
        "scopes narrowed to the partner's grant (B21)"
    );
    let token = body["access_token"].as_str().unwrap();
    let header = decode_part(token, 0);
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "ES256");
    // Verify with the published JWKS, as a resource server would.
    let jwks: jsonwebtoken::jwk::JwkSet = s
        .http
        .get(s.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = jwks.find(header["kid"].as_str().unwrap()).unwrap();
    let mut v = jsonwebtoken::Validation::new(Algorithm::ES256);
    v.set_audience(&[API]);
    v.set_issuer(&[s.base.as_str()]);
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &v,
    )
    .unwrap()
    .claims;
    let mut names: Vec<&str> = claims
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "aud",
            "client_id",
            "exp",
            "iat",
            "iss",
            "jti",
            "partner",
            "scope",
            "sub"
        ]
    );
    assert_eq!(claims["sub"], c.id.as_str());
    assert_eq!(claims["client_id"], c.id.as_str());
    assert_eq!(claims["partner"], "acme");
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );

    // client_secret_post and the audience parameter work too; no target is inferred from the grant.
    let r = s
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.id),
                ("client_secret", &c.secret),
                ("audience", API),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), 200, "single granted audience is inferred");
}

async fn targets_and_scopes_are_enforced(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read orders:write").await;
    for target in ["https://unknown.example.test", OTHER_API] {
        let r = s
            .post_form(
                "/oauth2/token",
                Some(&c),
                &[("grant_type", "client_credentials"), ("resource", target)],
            )
            .await;
        assert_oauth_error(r, 400, "invalid_target").await;
    }
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("resource", OTHER_API),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_target").await;
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "orders:write"),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_scope").await;
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "bad\"scope"),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_scope").await;
}

async fn client_authentication_failures_look_alike(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let wrong = Creds {
        id: c.id.clone(),
        secret: "ent_sec_wrong".into(),
    };
    let unknown = Creds {
        id: "cl_unknown".into(),
        secret: c.secret.clone(),
    };
    let a = s
        .post_form(
            "/oauth2/token",
            Some(&wrong),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(
        a.headers()["www-authenticate"],
        "Basic realm=\"entente\", charset=\"UTF-8\""
    );
    let a = assert_oauth_error(a, 401, "invalid_client").await;
    let b = assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&unknown),
            &[("grant_type", "client_credentials")],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    assert_eq!(
        a, b,
        "wrong secret and unknown client are indistinguishable (C32)"
    );
    // No authentication at all (B23 for every grant).
    assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            None,
            &[("grant_type", "client_credentials")],
        )
        .await,
        401,
        "invalid_client",
    )
    .await;
    // Two methods in one request (C30).
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &c.id),
                ("client_secret", &c.secret),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_request").await;
    // Malformed Basic header.
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .header("authorization", "Basic !!!")
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 401, "invalid_client").await;
}

async fn malformed_requests_are_400_never_500(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "password"),
                ("username", "u"),
                ("password", "p"),
            ],
        )
        .await,
        400,
        "unsupported_grant_type",
    )
    .await;
    assert_oauth_error(
        s.post_form("/oauth2/token", Some(&c), &[("grant_type", "implicit")])
            .await,
        400,
        "unsupported_grant_type",
    )
    .await;
    assert_oauth_error(
        s.post_form("/oauth2/token", Some(&c), &[("scope", "x")])
            .await,
        400,
        "invalid_request",
    )
    .await;
    assert_oauth_error(
        s.post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("grant_type", "client_credentials"),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .json(&json!({"grant_type": "client_credentials"}))
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 400, "invalid_request").await;
    let big = format!(
        "grant_type=client_credentials&scope={}",
        "a".repeat(900 * 1024)
    );
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 400, "invalid_request").await;
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, b'=', 0x80])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

async fn health_and_request_ids(s: &TestServer) {
    let r = s
        .http
        .get(s.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Entente's own id, whatever the caller sent (review L-2).
    let id = r.headers()["x-request-id"].to_str().unwrap();
    assert_ne!(id, "abc-123");
    assert_eq!(id.len(), 36, "{id}");
    let r = s
        .http
        .get(s.url("/readyz"))
        .header("x-request-id", "bad id with spaces")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_ne!(r.headers()["x-request-id"], "bad id with spaces");
}
