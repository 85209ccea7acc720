//! The token service over real HTTP, on SQLite and PostgreSQL. Security case ids (A1…H58) refer
//! to ../shared/guide/security-tests.md.

use crate::common::{API, Creds, OTHER_API, TestServer, assert_oauth_error};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_domain::keys::{self, SigningAlgorithm};
use entente_server::state::now;
use jsonwebtoken::{Algorithm, Header};
use serde_json::{Value, json};

fn decode_part(token: &str, i: usize) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(i).unwrap())
            .unwrap(),
    )
    .unwrap()
}

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

pub(crate) fn es256_client_key() -> (String, jsonwebtoken::EncodingKey, String) {
    let k = keys::generate(SigningAlgorithm::Es256).unwrap();
    let jwks = json!({"keys": [k.public_jwk]}).to_string();
    (
        jwks,
        keys::encoding_key(SigningAlgorithm::Es256, &k.private_der),
        k.kid,
    )
}

pub(crate) fn assertion(
    key: &jsonwebtoken::EncodingKey,
    kid: &str,
    client_id: &str,
    aud: Value,
    jti: &str,
) -> String {
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.to_owned());
    let n = now();
    jsonwebtoken::encode(&h, &json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": n, "exp": n + 60, "jti": jti}), key).unwrap()
}

async fn private_key_jwt_rules(s: &TestServer) {
    s.seed().await;
    let (jwks, key, kid) = es256_client_key();
    let id = s.key_client("acme", "orders:read", &jwks).await;
    let send = |a: String| {
        let id = id.clone();
        async move {
            s.post_form(
                "/oauth2/token",
                None,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &id),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &a),
                ],
            )
            .await
        }
    };
    let good = assertion(&key, &kid, &id, json!(s.base), "j-1");
    assert_eq!(send(good.clone()).await.status(), 200);
    assert_oauth_error(send(good).await, 401, "invalid_client").await; // replayed jti (C29)
    assert_oauth_error(
        send(assertion(
            &key,
            &kid,
            &id,
            json!(s.url("/oauth2/token")),
            "j-2",
        ))
        .await,
        401,
        "invalid_client",
    )
    .await; // C28
    assert_oauth_error(
        send(assertion(&key, &kid, &id, json!([s.base]), "j-3")).await,
        401,
        "invalid_client",
    )
    .await; // C28 array
    assert_oauth_error(
        send(assertion(
            &key,
            &kid,
            &id,
            json!(format!("{}/", s.base)),
            "j-4",
        ))
        .await,
        401,
        "invalid_client",
    )
    .await; // A11
    // alg none / empty signature (A1).
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
        URL_SAFE_NO_PAD.encode(
            json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": "j-5"})
                .to_string()
        )
    );
    assert_oauth_error(send(unsigned).await, 401, "invalid_client").await;
    // HS256 keyed with the public JWK text (A2).
    let mut h = Header::new(Algorithm::HS256);
    h.kid = Some(kid.clone());
    let hs = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": "j-6"}),
        &jsonwebtoken::EncodingKey::from_secret(jwks.as_bytes()),
    )
    .unwrap();
    assert_oauth_error(send(hs).await, 401, "invalid_client").await;
    // exp as a string (A9) and exp far ahead (A10).
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    let s_exp = jsonwebtoken::encode(&h, &json!({"iss": id, "sub": id, "aud": s.base, "exp": (now() + 60).to_string(), "jti": "j-7"}), &key).unwrap();
    assert_oauth_error(send(s_exp).await, 401, "invalid_client").await;
    let far = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 3600, "jti": "j-8"}),
        &key,
    )
    .unwrap();
    assert_oauth_error(send(far).await, 401, "invalid_client").await;
    // kid path traversal (A6), and a key-client sending a secret (C30).
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("../../etc/passwd".into());
    let bad_kid = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": "j-9"}),
        &key,
    )
    .unwrap();
    assert_oauth_error(send(bad_kid).await, 401, "invalid_client").await;
    let r = s
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "ent_sec_x"),
            ],
        )
        .await;
    assert_oauth_error(r, 401, "invalid_client").await;
    // ECDSA "psychic signature" r = s = 0 (A4).
    let good = assertion(&key, &kid, &id, json!(s.base), "j-10");
    let psychic = format!(
        "{}.{}",
        good.rsplit_once('.').unwrap().0,
        URL_SAFE_NO_PAD.encode([0u8; 64])
    );
    assert_oauth_error(send(psychic).await, 401, "invalid_client").await;
    // A key embedded in the header (jwk / jku / x5u) is ignored: signed by an unregistered key (A5).
    let (_, rogue, _) = es256_client_key();
    let rogue_pub = keys::generate(SigningAlgorithm::Es256).unwrap().public_jwk;
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    h.jku = Some("http://127.0.0.1:9/jwks.json".into());
    h.jwk = Some(rogue_pub);
    let embedded = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": "j-11"}),
        &rogue,
    )
    .unwrap();
    assert_oauth_error(send(embedded).await, 401, "invalid_client").await;
    // x5u / x5c are ignored too: a rogue key with its "certificate" is refused, and a genuine
    // assertion carrying them is accepted without anything being fetched (A5).
    let (x5u_port, x5u_hits) = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let h = hits.clone();
        tokio::spawn(async move {
            while let Ok(_c) = l.accept().await {
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        });
        (port, hits)
    };
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    h.x5u = Some(format!("http://127.0.0.1:{x5u_port}/cert.pem"));
    h.x5c = Some(vec![URL_SAFE_NO_PAD.encode(b"not a certificate")]);
    let x5_claims =
        |jti: &str| json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": jti});
    let rogue_x5 = jsonwebtoken::encode(&h, &x5_claims("j-x5-1"), &rogue).unwrap();
    assert_oauth_error(send(rogue_x5).await, 401, "invalid_client").await;
    let genuine_x5 = jsonwebtoken::encode(&h, &x5_claims("j-x5-2"), &key).unwrap();
    assert_eq!(send(genuine_x5).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(
        x5u_hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "x5u never fetched"
    );
    // kid with a NUL byte or 8 KB long (A6).
    for (n, bad) in [
        ("nul", "key\u{0}1".to_owned()),
        ("8kb", "k".repeat(8 * 1024)),
    ] {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(bad);
        let t = jsonwebtoken::encode(&h, &x5_claims(&format!("j-kid-{n}")), &key).unwrap();
        assert_oauth_error(send(t).await, 401, "invalid_client").await;
    }
    // aud missing (A12) and an oversized assertion (A14: refused before any parsing).
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    let no_aud = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "exp": now() + 60, "jti": "j-12"}),
        &key,
    )
    .unwrap();
    assert_oauth_error(send(no_aud).await, 401, "invalid_client").await;
    let huge = jsonwebtoken::encode(&h, &json!({"iss": id, "sub": id, "aud": s.base, "exp": now() + 60, "jti": "j-13", "pad": "x".repeat(20_000)}), &key).unwrap();
    assert_oauth_error(send(huge).await, 401, "invalid_client").await;
    // A13: token confusion, each signed with the client's own registered key so that only the
    // token's kind can refuse it. An access token (typ at+jwt) with perfect assertion claims…
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(kid.clone());
    h.typ = Some("at+jwt".into());
    let n = now();
    let as_access_token = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "iat": n, "exp": n + 60, "jti": "j-14",
                "client_id": id, "scope": "orders:read"}),
        &key,
    )
    .unwrap();
    assert_oauth_error(send(as_access_token).await, 401, "invalid_client").await;
    // …an ID token (nonce, at_hash, auth_time)…
    h.typ = Some("JWT".into());
    let id_token = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "iat": n, "exp": n + 60, "jti": "j-15",
                "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "auth_time": n - 5}),
        &key,
    )
    .unwrap();
    assert_oauth_error(send(id_token).await, 401, "invalid_client").await;
    // …while the same claims as a plain assertion are accepted: the kind is what refused them.
    let plain = jsonwebtoken::encode(
        &h,
        &json!({"iss": id, "sub": id, "aud": s.base, "iat": n, "exp": n + 60, "jti": "j-16"}),
        &key,
    )
    .unwrap();
    assert_eq!(send(plain).await.status(), 200);
}

/// A3: one key, one algorithm — an RS256 signature under the EC key's kid is refused.
/// A16: in a registered JWKS, a small RSA key and an unknown kty are dropped; the good key works.
async fn registered_keys_bind_algorithms(s: &TestServer) {
    s.seed().await;
    let ec = keys::generate(SigningAlgorithm::Es256).unwrap();
    let small_rsa = json!({"kty": "RSA", "alg": "RS256", "kid": "small", "e": "AQAB", "n": URL_SAFE_NO_PAD.encode([0xc5u8; 128])});
    let odd = json!({"kty": "XYZ", "kid": "odd", "x": "AAAA"});
    let jwks = json!({"keys": [small_rsa, odd, ec.public_jwk]}).to_string();
    let id = s.key_client("acme", "orders:read", &jwks).await;
    let form = |a: &str| {
        vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", id.clone()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_owned(),
            ),
            ("client_assertion", a.to_owned()),
        ]
    };
    let claims = |jti: &str| json!({"iss": id, "sub": id, "aud": s.base, "iat": now(), "exp": now() + 60, "jti": jti});
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some(ec.kid.clone());
    let good = jsonwebtoken::encode(
        &h,
        &claims("k-1"),
        &keys::encoding_key(SigningAlgorithm::Es256, &ec.private_der),
    )
    .unwrap();
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .form(&form(&good))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "the usable key still works next to refused ones (A16)"
    );
    let rsa = keys::generate(SigningAlgorithm::Rs256).unwrap();
    let mut h = Header::new(Algorithm::RS256);
    h.kid = Some(ec.kid.clone());
    let confused = jsonwebtoken::encode(
        &h,
        &claims("k-2"),
        &keys::encoding_key(SigningAlgorithm::Rs256, &rsa.private_der),
    )
    .unwrap();
    let r = s
        .http
        .post(s.url("/oauth2/token"))
        .form(&form(&confused))
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 401, "invalid_client").await;
    for kid in ["small", "odd"] {
        let mut h = Header::new(Algorithm::RS256);
        h.kid = Some(kid.into());
        let t = jsonwebtoken::encode(
            &h,
            &claims(kid),
            &keys::encoding_key(SigningAlgorithm::Rs256, &rsa.private_der),
        )
        .unwrap();
        let r = s
            .http
            .post(s.url("/oauth2/token"))
            .form(&form(&t))
            .send()
            .await
            .unwrap();
        assert_oauth_error(r, 401, "invalid_client").await;
    }
}

async fn introspection_is_audience_bound(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let rs = s.resource_server(API).await;
    let other = s.resource_server(OTHER_API).await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let v = s.introspect(&rs, &token).await;
    assert_eq!(v["active"], true);
    assert_eq!(v["scope"], "orders:read");
    assert_eq!(v["client_id"], c.id.as_str());
    assert_eq!(v["aud"], API);
    assert_eq!(v["iss"], s.base.as_str());
    // D38: a caller that is not the audience, garbage, and tampered tokens → exactly {"active":false}.
    assert_eq!(s.introspect(&other, &token).await, json!({"active": false}));
    assert_eq!(
        s.introspect(&rs, "not-a-token").await,
        json!({"active": false})
    );
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    assert_eq!(s.introspect(&rs, &tampered).await, json!({"active": false}));
    // No caller authentication → 401; a partner's client is not a resource server → 401.
    assert_oauth_error(
        s.post_form("/oauth2/introspect", None, &[("token", &token)])
            .await,
        401,
        "invalid_client",
    )
    .await;
    assert_oauth_error(
        s.post_form("/oauth2/introspect", Some(&c), &[("token", &token)])
            .await,
        401,
        "invalid_client",
    )
    .await;
    let r = s
        .post_form("/oauth2/introspect", Some(&rs), &[("token", &token)])
        .await;
    assert_eq!(r.headers()["cache-control"], "no-store");
}

async fn revocation_takes_effect_at_once(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let other = s.secret_client("globex", "orders:read").await;
    let rs = s.resource_server(API).await;
    let t1 = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let t2 = s.token(&c, &[]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Another client's revocation of t2: 200, no effect (D37).
    let r = s
        .post_form("/oauth2/revoke", Some(&other), &[("token", &t2)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.introspect(&rs, &t2).await["active"], true);
    let r = s
        .post_form(
            "/oauth2/revoke",
            Some(&c),
            &[("token", &t1), ("token_type_hint", "access_token")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        s.introspect(&rs, &t1).await,
        json!({"active": false}),
        "revocation is visible at once"
    );
    assert_eq!(s.introspect(&rs, &t2).await["active"], true);
    // Unknown tokens are fine (RFC 7009 §2.2); unauthenticated revocation is not.
    assert_eq!(
        s.post_form("/oauth2/revoke", Some(&c), &[("token", "garbage")])
            .await
            .status(),
        200
    );
    assert_oauth_error(
        s.post_form("/oauth2/revoke", None, &[("token", &t2)]).await,
        401,
        "invalid_client",
    )
    .await;
    let audit = s.state.store.recent_audit_events(50).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "token.revoke"));
}

async fn changes_reach_the_server_within_a_second(s: &TestServer) {
    s.seed().await;
    let c = s.secret_client("acme", "orders:read orders:write").await;
    let ask = || {
        s.post_form(
            "/oauth2/token",
            Some(&c),
            &[
                ("grant_type", "client_credentials"),
                ("resource", API),
                ("scope", "orders:write"),
            ],
        )
    };
    assert_oauth_error(ask().await, 400, "invalid_scope").await;
    // Widen the grant directly in the database, as another process (CLI, replica) would.
    s.state
        .store
        .set_grant(
            &entente_store::Actor::new("other-process"),
            "acme",
            API,
            &entente_domain::ScopeSet::parse("orders:read orders:write").unwrap(),
            now(),
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let r = ask().await;
        if r.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "change not applied within 1 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

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

on_both!(
    discovery_is_exact,
    jwks_is_public_and_cacheable,
    client_credentials_issues_rfc9068_tokens,
    targets_and_scopes_are_enforced,
    client_authentication_failures_look_alike,
    malformed_requests_are_400_never_500,
    private_key_jwt_rules,
    registered_keys_bind_algorithms,
    introspection_is_audience_bound,
    revocation_takes_effect_at_once,
    changes_reach_the_server_within_a_second,
    key_rotation_keeps_old_tokens_verifiable,
    key_rotation_publishes_before_it_signs,
    health_and_request_ids,
);

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

on_both!(undecryptable_signing_key_means_503);

use crate::fed::*;

on_both!(
    impersonation_exchange_issues_an_audience_bound_token,
    subject_tokens_are_verified_by_the_rules_of_their_kind,
    policy_decides_issuer_target_scope_and_lifetime,
    delegation_sets_act_and_obeys_may_act_and_depth,
    disabled_rules_stop_exchanges_within_a_second,
    pairwise_subjects_differ_per_audience,
    jwt_bearer_assertions_are_single_use,
    refresh_tokens_rotate_and_reuse_kills_the_family,
    fifty_concurrent_refreshes_one_wins,
    revoking_the_root_revokes_every_derived_token,
    fetched_keys_are_bounded_and_cached,
    readme_token_exchange_patterns_run,
    signatures_and_key_binding_are_strict,
    retargeting_a_user_token_follows_the_trust_rules,
    access_tokens_typed_jwt_are_accepted_when_registered,
    partner_token_headers_and_issuer_are_matched_exactly,
);

on_both!(revocation_is_limited_and_repeats_write_nothing);

/// Review L-3: revoking a token already revoked writes nothing (no audit row, no change-feed
/// entry); `/oauth2/revoke` counts against the client's token-endpoint limit and answers 429
/// with Retry-After over it.
async fn revocation_is_limited_and_repeats_write_nothing(s: &TestServer) {
    use entente_domain::rate_limit::{Rate, Setting};
    s.seed().await;
    let c = s.secret_client("acme", "orders:read").await;
    let token = s.token(&c, &[("resource", API)]).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let revocations = move || async move {
        s.state
            .store
            .recent_audit_events(200)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.action == "token.revoke")
            .count()
    };
    let r = s
        .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
        .await;
    assert_eq!(r.status(), 200);
    let audited = revocations().await;
    assert_eq!(audited, 1);
    let feed = s.state.store.latest_change().await.unwrap();
    for _ in 0..3 {
        let r = s
            .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
            .await;
        assert_eq!(r.status(), 200);
    }
    // And through the store itself (as a replica that has not heard of it yet would).
    let jti = decode_part(&token, 1)["jti"].as_str().unwrap().to_owned();
    s.state
        .store
        .revoke_token(&entente_store::Actor::new("test"), &jti, now() + 300, now())
        .await
        .unwrap();
    assert_eq!(revocations().await, audited, "no audit row for a repeat");
    assert_eq!(
        s.state.store.latest_change().await.unwrap(),
        feed,
        "no change-feed entry for a repeat"
    );

    // Over its limit, the client is refused at the revocation endpoint too.
    s.state
        .store
        .set_rate_limit(
            &entente_store::Actor::new("test"),
            &entente_store::limits::Subject::Client {
                partner_slug: Some("acme".into()),
                client_id: c.id.clone(),
            },
            Some(&Setting::Custom(Rate {
                per_second: 1,
                burst: 3,
            })),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let mut statuses = vec![];
    let mut refused = None;
    for _ in 0..10 {
        let r = s
            .post_form("/oauth2/revoke", Some(&c), &[("token", &token)])
            .await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            refused = Some(r);
        }
    }
    assert!(statuses.starts_with(&[200, 200]), "{statuses:?}");
    let refused = refused.unwrap_or_else(|| panic!("never refused: {statuses:?}"));
    assert!(refused.headers().contains_key("retry-after"));
    assert!(refused.headers().contains_key("ratelimit-policy"));
    assert_oauth_error(refused, 429, "slow_down").await;
}
