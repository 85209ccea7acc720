//! Clients authenticating with private_key_jwt: every rule an assertion is held to (replay,
//! audience, algorithms, headers, kinds of token), and registered keys bound to their algorithm.

use super::*;

on_both!(
    private_key_jwt_rules,
    private_key_jwt_ignores_header_keys_and_other_kinds,
    registered_keys_bind_algorithms,
);

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
}

/// What an assertion's header or kind cannot do (A5, A6, A12–A14): keys embedded in the header
/// (jwk, jku, x5u, x5c) are never used nor fetched, odd kids and a missing aud are refused, an
/// oversized assertion is refused before parsing, and an access token or an ID token is not an
/// assertion even when signed with the client's own key.
async fn private_key_jwt_ignores_header_keys_and_other_kinds(s: &TestServer) {
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
