//! How partner tokens are verified: the rules of each token kind, keys fetched from a JWKS
//! endpoint (bounded and cached), one key one algorithm, access tokens typed `JWT`, and headers
//! and issuers matched exactly.

use super::*;

crate::on_both!(
    subject_tokens_are_verified_by_the_rules_of_their_kind,
    missing_or_oversized_subject_tokens_are_bad_requests,
    fetched_keys_are_bounded_and_cached,
    signatures_and_key_binding_are_strict,
    keys_are_bound_to_their_issuer,
    access_tokens_typed_jwt_are_accepted_when_registered,
    partner_token_headers_and_issuer_are_matched_exactly,
);

pub async fn subject_tokens_are_verified_by_the_rules_of_their_kind(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let ok = |extra: Value| f.idp.access_token(&s.base, "alice", extra);
    let hs = {
        // HMAC with the public JWKS text as the secret (case A2).
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(f.idp.kid.clone());
        jsonwebtoken::encode(
            &h,
            &json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 60}),
            &EncodingKey::from_secret(f.idp.jwks.as_bytes()),
        )
        .unwrap()
    };
    let none = {
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"at+jwt"}"#);
        let p = URL_SAFE_NO_PAD.encode(
            json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 60}).to_string(),
        );
        format!("{h}.{p}.")
    };
    let other_idp = Idp::new(IDP);
    let forged = other_idp.access_token(&s.base, "alice", json!({}));
    let mut weird_kid = Header::new(Algorithm::ES256);
    weird_kid.typ = Some("at+jwt".into());
    weird_kid.kid = Some("../../etc/passwd".into());
    let weird = jsonwebtoken::encode(
        &weird_kid,
        &json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 60}),
        &f.idp.key,
    )
    .unwrap();
    let id_token = f.idp.sign(
        Some("JWT"),
        json!({"iss": IDP, "sub": "alice", "aud": "acme-rp", "iat": n, "exp": n + 60}),
    );
    let cases: Vec<(&str, String, &str)> = vec![
        ("alg none (A1)", none, AT),
        ("HS256 with the public key (A2)", hs, AT),
        ("signed by an unregistered key (A7)", forged, AT),
        ("odd kid (A6)", weird, AT),
        (
            "exp as a string (A9)",
            ok(json!({"exp": (n + 60).to_string()})),
            AT,
        ),
        ("exp missing (A9)", ok(json!({"exp": null})), AT),
        ("expired", ok(json!({"exp": n - 120})), AT),
        ("nbf beyond skew (A10)", ok(json!({"nbf": n + 120})), AT),
        ("older than max age", ok(json!({"iat": n - 2000})), AT),
        (
            "iss with a trailing slash (A11)",
            ok(json!({"iss": format!("{IDP}/")})),
            AT,
        ),
        (
            "aud of another relying party (B18)",
            ok(json!({"aud": "https://other-rp.test"})),
            AT,
        ),
        ("aud missing (A12)", ok(json!({"aud": null})), AT),
        (
            "ID token declared as an access token (B19)",
            id_token.clone(),
            AT,
        ),
        (
            "access token declared as an ID token (A13)",
            ok(json!({})),
            IDT,
        ),
        (
            "duplicate-free but unknown type",
            ok(json!({})),
            "urn:example:custom",
        ),
        ("not a JWT", "opaque-token-value".into(), AT),
    ];
    for (what, token, tt) in cases {
        let r = exchange(
            s,
            &f.client,
            &[
                ("subject_token", &token),
                ("subject_token_type", tt),
                ("audience", API),
            ],
        )
        .await;
        let b = assert_oauth_error(r, 400, "invalid_request").await;
        assert!(b["error_description"].is_string(), "{what}");
    }
    // The ID token itself is fine when declared as one.
    exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &id_token),
            ("subject_token_type", IDT),
            ("audience", API),
        ],
    )
    .await;
}

/// Missing or empty subject_token, or a missing type, never falls back to the client (B19); a
/// 1 MB token is refused quickly as a bad request (A14).
pub async fn missing_or_oversized_subject_tokens_are_bad_requests(s: &TestServer) {
    let f = setup(s).await;
    // Missing or empty subject_token, or a missing type: never falls back to the client (B19).
    for form in [
        vec![("subject_token_type", AT), ("audience", API)],
        vec![
            ("subject_token", ""),
            ("subject_token_type", AT),
            ("audience", API),
        ],
        vec![("subject_token", "x.y.z"), ("audience", API)],
    ] {
        assert_oauth_error(exchange(s, &f.client, &form).await, 400, "invalid_request").await;
    }
    // A 1 MB token is refused quickly as a bad request (A14).
    let huge = "a".repeat(1_000_000);
    let started = std::time::Instant::now();
    let r = exchange(
        s,
        &f.client,
        &[("subject_token", &huge), ("subject_token_type", AT)],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

pub async fn fetched_keys_are_bounded_and_cached(s: &TestServer) {
    s.seed().await;
    let client = federated_client(s, "acme", "orders:read").await;
    let idp = Idp::new(IDP);
    let srv = jwks_server(idp.jwks.clone()).await;
    add_issuer(s, "acme", &idp, Some(srv.url.clone())).await;
    set_rule(s, API, "orders:read", |_| {}).await;
    let pt = idp.access_token(&s.base, "alice", json!({}));
    exchange_for_api(s, &client, &pt).await;
    assert_eq!(srv.hits.load(Ordering::SeqCst), 1);
    // A8: a flood of unknown kids causes at most one refetch per cooldown; valid traffic goes on.
    for i in 0..20 {
        let mut h = Header::new(Algorithm::ES256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(format!("unknown-{i}"));
        let n = now();
        let t = jsonwebtoken::encode(
            &h,
            &json!({"iss": IDP, "sub": "x", "aud": s.base, "iat": n, "exp": n + 60}),
            &idp.key,
        )
        .unwrap();
        assert_oauth_error(
            exchange(
                s,
                &client,
                &[
                    ("subject_token", &t),
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
    assert!(
        srv.hits.load(Ordering::SeqCst) <= 2,
        "fetches: {}",
        srv.hits.load(Ordering::SeqCst)
    );
    exchange_for_api(s, &client, &pt).await;
    // A5: header jku/x5u are never followed.
    let mut h = Header::new(Algorithm::ES256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(idp.kid.clone());
    h.jku = Some(format!("{}?from-jku", srv.url));
    let n = now();
    let t = jsonwebtoken::encode(
        &h,
        &json!({"iss": IDP, "sub": "x", "aud": s.base, "iat": n, "exp": n + 60}),
        &idp.key,
    )
    .unwrap();
    let before = srv.hits.load(Ordering::SeqCst);
    exchange_for_api(s, &client, &t).await;
    assert_eq!(srv.hits.load(Ordering::SeqCst), before);

    // E42: a slow or huge JWKS is cut off within 5 s, and the upstream text is not echoed.
    for mode in ["slow", "huge", "down", "redirect"] {
        let other = Idp::new(&format!("https://idp-{mode}.acme.test"));
        let srv2 = jwks_server(other.jwks.clone()).await;
        *srv2.mode.lock().unwrap() = mode;
        add_issuer(s, "acme", &other, Some(srv2.url.clone())).await;
        s.refresh().await;
        let t = other.access_token(&s.base, "alice", json!({}));
        let started = std::time::Instant::now();
        let r = exchange(
            s,
            &client,
            &[
                ("subject_token", &t),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await;
        assert!(
            started.elapsed() < std::time::Duration::from_secs(6),
            "{mode}: {:?}",
            started.elapsed()
        );
        let b = assert_oauth_error(r, 400, "invalid_request").await;
        assert!(!b.to_string().contains("upstream secret"), "{b}");
        if mode == "redirect" {
            // E41: the redirect was not followed to the other host.
            assert_eq!(
                srv2.hits.load(Ordering::SeqCst),
                1,
                "only the registered host was asked"
            );
        }
    }
}

/// A3, A4, A14: one key one algorithm; zero ECDSA signatures; duplicate claims (keys per
/// issuer, A7, are in `keys_are_bound_to_their_issuer`).
pub async fn signatures_and_key_binding_are_strict(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let body = json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 60});
    let raw = |header: Value, payload: &str| {
        let h = URL_SAFE_NO_PAD.encode(header.to_string());
        let p = URL_SAFE_NO_PAD.encode(payload);
        let sig =
            jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &f.idp.key, Algorithm::ES256)
                .unwrap();
        format!("{h}.{p}.{sig}")
    };
    let kid = f.idp.kid.clone();
    let rs256_header = raw(
        json!({"alg": "RS256", "typ": "at+jwt", "kid": kid}),
        &body.to_string(),
    );
    let psychic = {
        let good = f.idp.access_token(&s.base, "alice", json!({}));
        let mut parts: Vec<&str> = good.split('.').collect();
        let zeros = URL_SAFE_NO_PAD.encode([0u8; 64]);
        parts[2] = &zeros;
        parts.join(".")
    };
    let dup = raw(
        json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}),
        &format!(
            r#"{{"iss":"{IDP}","sub":"alice","sub":"mallory","aud":"{}","iat":{n},"exp":{}}}"#,
            s.base,
            n + 60
        ),
    );
    let nested = raw(
        json!({"alg": "ES256", "typ": "at+jwt", "kid": kid}),
        &format!(
            r#"{{"iss":"{IDP}","sub":"alice","aud":"{}","iat":{n},"exp":{},"x":{}1{}}}"#,
            s.base,
            n + 60,
            "[".repeat(2000),
            "]".repeat(2000)
        ),
    );
    for (what, t) in [
        ("RS256 header on an ES256 key", rs256_header),
        ("r = s = 0", psychic),
        ("duplicate sub", dup),
        ("deep nesting", nested),
    ] {
        let started = std::time::Instant::now();
        let r = exchange(
            s,
            &f.client,
            &[
                ("subject_token", &t),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await;
        assert_eq!(r.status(), 400, "{what}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "{what}"
        );
    }
}

/// A7: keys are bound to their issuer. globex trusts its own issuer; a token claiming globex's
/// issuer signed with acme's key is refused, while one globex's issuer signed is exchanged.
pub async fn keys_are_bound_to_their_issuer(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    // A7: globex trusts its own issuer; a token claiming globex's issuer signed with acme's key.
    let globex_idp = Idp::new("https://idp.globex.test");
    add_issuer(s, "globex", &globex_idp, None).await;
    let globex_client = federated_client(s, "globex", "orders:read").await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "globex",
            API,
            &ScopeSet::parse("orders:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    let mut rule = NewTrustRule::new(ScopeSet::parse("orders:read").unwrap());
    rule.lifetime = Some(60);
    s.state
        .store
        .set_trust_rule(
            &Actor::new("test"),
            "globex",
            "https://idp.globex.test",
            API,
            rule,
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let mut h = Header::new(Algorithm::ES256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(f.idp.kid.clone());
    let cross = jsonwebtoken::encode(&h, &json!({"iss": "https://idp.globex.test", "sub": "x", "aud": s.base, "iat": n, "exp": n + 60}), &f.idp.key).unwrap();
    assert_oauth_error(
        exchange(
            s,
            &globex_client,
            &[
                ("subject_token", &cross),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    let honest = globex_idp.access_token(&s.base, "x", json!({}));
    exchange_for_api(s, &globex_client, &honest).await;
}

/// Issue 7, defect 7: Keycloak, Entra ID and Auth0 type their access tokens `JWT`. An issuer
/// registered with `access_tokens_typed_jwt` has them accepted as access tokens; ID tokens are
/// still told apart by their claims; an issuer without the setting refuses them as before.
pub async fn access_tokens_typed_jwt_are_accepted_when_registered(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    // The shapes of real IdPs' access tokens (header typ "JWT").
    let keycloak = |idp: &Idp| {
        idp.sign(
            Some("JWT"),
            json!({"iss": idp.issuer, "sub": "f1b2c3d4-0000-4000-8000-000000000001",
                   "aud": [s.base, "account"], "typ": "Bearer", "azp": "acme-portal",
                   "sid": "9a8b", "acr": "1", "scope": "openid email profile",
                   "email": "alice@acme.test", "iat": n, "exp": n + 300, "jti": uuid()}),
        )
    };
    let entra = |idp: &Idp| {
        idp.sign(
            Some("JWT"),
            json!({"iss": idp.issuer, "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
                   "aud": "api://entente", "ver": "2.0", "azp": "6e74172b-be56-4843-9ff4-e66a39bb12e3",
                   "azpacr": "1", "oid": "00000000-0000-0000-66f3-3332eca7ea81",
                   "tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "scp": "orders.read",
                   "iat": n, "nbf": n, "exp": n + 300, "uti": uuid()}),
        )
    };
    let auth0 = |idp: &Idp| {
        // Auth0 sends no `typ` at all on some tenants.
        idp.sign(
            None,
            json!({"iss": idp.issuer, "sub": "auth0|64f1c2", "aud": [s.base, format!("{}userinfo", idp.issuer)],
                   "azp": "Qx8CWxl", "scope": "openid profile orders:read", "gty": "password",
                   "iat": n, "exp": n + 300}),
        )
    };
    let client = &f.client;
    let as_access = |t: String| async move {
        exchange(
            s,
            client,
            &[
                ("subject_token", &t),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await
    };

    // Without the setting: a JWT-typed token is an ID token and is refused as an access token.
    for t in [keycloak(&f.idp), entra(&f.idp), auth0(&f.idp)] {
        assert_oauth_error(as_access(t).await, 400, "invalid_request").await;
    }

    // An issuer registered as typing its access tokens JWT.
    const KC: &str = "https://sso.acme.test/realms/acme";
    let kc = Idp::new(KC);
    let mut i = NewTrustedIssuer::new(KC.into(), s.base.clone());
    i.jwks = Some(kc.jwks.clone());
    i.kinds = vec![TokenKind::AccessToken, TokenKind::IdToken];
    i.audiences.push("api://entente".into());
    i.access_tokens_typed_jwt = true;
    s.state
        .store
        .create_trusted_issuer(&Actor::new("test"), "acme", i, now())
        .await
        .unwrap();
    s.state
        .store
        .set_trust_rule(
            &Actor::new("test"),
            "acme",
            KC,
            API,
            NewTrustRule::new(ScopeSet::parse("orders:read").unwrap()),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    for (name, t) in [
        ("keycloak", keycloak(&kc)),
        ("entra", entra(&kc)),
        ("auth0", auth0(&kc)),
    ] {
        let r = as_access(t).await;
        assert_eq!(r.status(), 200, "{name}: {}", r.text().await.unwrap());
    }

    // ID tokens of that issuer: declared as access tokens they are refused by their claims…
    let id_token = |extra: Value| {
        let mut c = json!({"iss": KC, "sub": "alice", "aud": "acme-portal", "iat": n, "exp": n + 300,
                           "nonce": "n-0S6_WzA2Mj", "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "auth_time": n - 5});
        merge(&mut c, extra);
        kc.sign(Some("JWT"), c)
    };
    for (mark, extra) in [
        (
            "nonce",
            json!({"aud": s.base, "at_hash": null, "auth_time": null}),
        ),
        (
            "at_hash",
            json!({"aud": s.base, "nonce": null, "auth_time": null}),
        ),
        (
            "auth_time",
            json!({"aud": s.base, "nonce": null, "at_hash": null}),
        ),
    ] {
        let e = assert_oauth_error(as_access(id_token(extra)).await, 400, "invalid_request").await;
        let why = e["error_description"].as_str().unwrap();
        assert!(
            why.contains(mark) && why.contains("ID token"),
            "{mark}: {e}"
        );
    }
    // …and so is one without those marks that names its client as audience (OIDC: aud holds
    // azp) or, like Keycloak's, says typ "ID" — both addressed to Entente so that only the
    // guard can refuse them.
    for (what, extra) in [
        (
            "azp in aud",
            json!({"aud": [s.base, "acme-portal"], "azp": "acme-portal", "nonce": null, "at_hash": null, "auth_time": null}),
        ),
        (
            "typ ID",
            json!({"aud": s.base, "typ": "ID", "nonce": null, "at_hash": null, "auth_time": null}),
        ),
    ] {
        let e = assert_oauth_error(as_access(id_token(extra)).await, 400, "invalid_request").await;
        assert!(
            e["error_description"]
                .as_str()
                .unwrap()
                .contains("ID token"),
            "{what}: {e}"
        );
    }
    // Declared as ID tokens, they are judged as ID tokens (audience = the registered RP here).
    let r = exchange(
        s,
        &f.client,
        &[
            ("subject_token", &id_token(json!({"aud": s.base}))),
            ("subject_token_type", IDT),
            ("audience", API),
        ],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// Issue 7, defect 8: A11 (an `iss` differing only in case), A6 (a NUL or 8 KB `kid`) and A5
/// (`x5u` / `x5c` in the header are never fetched nor trusted) for partner tokens.
pub async fn partner_token_headers_and_issuer_are_matched_exactly(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let claims = |iss: &str| json!({"iss": iss, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 300, "jti": uuid()});
    let client = &f.client;
    let send = |t: String| async move {
        exchange(
            s,
            client,
            &[
                ("subject_token", &t),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await
    };
    // Control: the well-formed token is accepted.
    assert_eq!(
        send(f.idp.sign(Some("at+jwt"), claims(IDP))).await.status(),
        200
    );
    // A11: the same issuer in upper case is another issuer.
    let upper = f
        .idp
        .sign(Some("at+jwt"), claims(&IDP.to_ascii_uppercase()));
    assert_oauth_error(send(upper).await, 400, "invalid_request").await;
    // A6: kid with a NUL byte, kid of 8 KB.
    for kid in ["acme\u{0}1".to_owned(), "k".repeat(8 * 1024)] {
        let mut h = Header::new(Algorithm::ES256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid);
        let t = jsonwebtoken::encode(&h, &claims(IDP), &f.idp.key).unwrap();
        assert_oauth_error(send(t).await, 400, "invalid_request").await;
    }
    // A5: x5u / x5c name a "certificate" of a rogue key: the rogue signature is refused, the
    // IdP's own signature carrying them is accepted, and x5u is never fetched.
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let h2 = hits.clone();
    tokio::spawn(async move {
        while let Ok(_c) = l.accept().await {
            h2.fetch_add(1, Ordering::SeqCst);
        }
    });
    let rogue = Idp::new(IDP);
    let mut h = Header::new(Algorithm::ES256);
    h.typ = Some("at+jwt".into());
    h.kid = Some(f.idp.kid.clone());
    h.x5u = Some(format!("http://127.0.0.1:{port}/cert.pem"));
    h.x5c = Some(vec![URL_SAFE_NO_PAD.encode(b"not a certificate")]);
    let t = jsonwebtoken::encode(&h, &claims(IDP), &rogue.key).unwrap();
    assert_oauth_error(send(t).await, 400, "invalid_request").await;
    let t = jsonwebtoken::encode(&h, &claims(IDP), &f.idp.key).unwrap();
    assert_eq!(send(t).await.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "x5u is never fetched");
}
