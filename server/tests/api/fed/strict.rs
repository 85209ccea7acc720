//! Issue 23 (defects 5 and 6), over real HTTP on SQLite and PostgreSQL:
//! repeated JSON member names are refused in partner tokens, headers and JWKS (cases A14, 72;
//! finding L-8); jwt-bearer refuses OpenID ID tokens (case 73, L-7); a trusted issuer's skew is
//! 10–60 s and a mutable claim is its subject only when the issuer guarantees it (A10, B25, L-9).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_server::state::now;
use entente_store::Actor;
use entente_store::federation::NewTrustedIssuer;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};

use super::{
    API, AT, IDP, Idp, JWT_BEARER, add_issuer, claims_of, exchange, exchange_for_api,
    federated_client, jwks_server, setup, uuid,
};
use crate::common::{TestServer, assert_oauth_error};

crate::on_both!(
    repeated_claim_names_refuse_the_exchange,
    repeated_header_members_and_jwks_members_are_refused,
    jwt_bearer_refuses_openid_id_tokens,
    issuer_skew_and_subject_claim_follow_the_spec,
);

/// A compact JWS over exactly these header and payload texts, signed with `idp`'s key: how a
/// token with repeated names is made (no JSON library writes one).
fn raw(idp: &Idp, header: &str, payload: &str) -> String {
    let h = URL_SAFE_NO_PAD.encode(header);
    let p = URL_SAFE_NO_PAD.encode(payload);
    let sig = jsonwebtoken::crypto::sign(format!("{h}.{p}").as_bytes(), &idp.key, Algorithm::ES256)
        .unwrap();
    format!("{h}.{p}.{sig}")
}

fn at_header(idp: &Idp) -> String {
    json!({"alg": "ES256", "typ": "at+jwt", "kid": idp.kid}).to_string()
}

/// The registered claims of a partner access token for alice, as JSON members (no braces).
fn base_claims(s: &TestServer) -> String {
    let n = now();
    format!(
        r#""iss":"{IDP}","sub":"alice","aud":"{}","iat":{n},"exp":{},"jti":"{}","client_id":"acme-app""#,
        s.base,
        n + 600,
        uuid()
    )
}

async fn exchange_raw(s: &TestServer, f: &super::Fed, t: &str) -> reqwest::Response {
    exchange(
        s,
        &f.client,
        &[
            ("subject_token", t),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await
}

/// A14 / L-8: `"email":"pat@x","email":"ceo@x"` is not exchanged carrying ceo@x, and
/// `"groups":["staff"],"groups":["admins"]` does not unlock the scope mapped to admins: the
/// token is refused (invalid_request for a subject token, invalid_grant as an assertion). With
/// each claim once, the same tokens are exchanged.
async fn repeated_claim_names_refuse_the_exchange(s: &TestServer) {
    let f = setup(s).await;
    let h = at_header(&f.idp);
    // Controls: one email passes through; one groups=admins unlocks orders:write.
    let one = raw(
        &f.idp,
        &h,
        &format!(
            r#"{{{},"email":"pat@x","groups":["admins"]}}"#,
            base_claims(s)
        ),
    );
    let ok = exchange_for_api(s, &f.client, &one).await;
    let c = claims_of(ok["access_token"].as_str().unwrap());
    assert_eq!(c["email"], "pat@x");
    assert!(
        ok["scope"].as_str().unwrap().contains("orders:write"),
        "{ok}"
    );
    for (what, extra) in [
        ("email", r#""email":"pat@x","email":"ceo@x""#),
        ("groups", r#""groups":["staff"],"groups":["admins"]"#),
        ("escaped name", r#""email":"pat@x","em\u0061il":"ceo@x""#),
        (
            "may_act",
            r#""may_act":{"sub":"svc"},"may_act":{"sub":"mallory"}"#,
        ),
        (
            "nested act",
            r#""act":{"sub":"svc","act":{"sub":"x","sub":"y"}}"#,
        ),
    ] {
        let t = raw(&f.idp, &h, &format!(r#"{{{},{extra}}}"#, base_claims(s)));
        let b = assert_oauth_error(exchange_raw(s, &f, &t).await, 400, "invalid_request").await;
        assert!(
            b["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("more than once"),
            "{what}: {b}"
        );
    }
    // As a jwt-bearer assertion: invalid_grant; the control is granted.
    let assertion = |extra: &str| {
        let n = now();
        raw(
            &f.idp,
            &json!({"alg": "ES256", "typ": "JWT", "kid": f.idp.kid}).to_string(),
            &format!(
                r#"{{"iss":"{IDP}","sub":"alice","aud":"{}","iat":{n},"exp":{},"jti":"{}"{extra}}}"#,
                s.base,
                n + 120,
                uuid()
            ),
        )
    };
    let client = &f.client;
    let grant = |a: String| async move {
        s.post_form(
            "/oauth2/token",
            Some(client),
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &a),
                ("resource", API),
            ],
        )
        .await
    };
    assert_eq!(grant(assertion(r#","email":"pat@x""#)).await.status(), 200);
    for extra in [
        r#","email":"pat@x","email":"ceo@x""#,
        r#","groups":["staff"],"groups":["admins"]"#,
    ] {
        assert_oauth_error(grant(assertion(extra)).await, 400, "invalid_grant").await;
    }
}

/// Case 72: a repeated member in the JWS header, or anywhere in a partner's JWKS (fetched or
/// registered), refuses the token or the document.
async fn repeated_header_members_and_jwks_members_are_refused(s: &TestServer) {
    let f = setup(s).await;
    let body = format!("{{{}}}", base_claims(s));
    let kid = f.idp.kid.clone();
    // Control: the same payload under a plain header.
    exchange_for_api(s, &f.client, &raw(&f.idp, &at_header(&f.idp), &body)).await;
    for header in [
        format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"ES256","typ":"JWT","typ":"at+jwt","kid":"{kid}"}}"#),
        format!(r#"{{"alg":"RS256","alg":"ES256","typ":"at+jwt","kid":"{kid}"}}"#),
        // A member no header field reads: last-wins (or ignored) until now.
        format!(r#"{{"alg":"ES256","typ":"at+jwt","kid":"{kid}","ext":1,"ext":2}}"#),
    ] {
        let t = raw(&f.idp, &header, &body);
        let b = assert_oauth_error(exchange_raw(s, &f, &t).await, 400, "invalid_request").await;
        assert!(
            b["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("more than once"),
            "{header}: {b}"
        );
    }

    // A client assertion (private_key_jwt) repeating a member: invalid_client; the control
    // passes.
    let signer = Idp::new("unused");
    let id = s.key_client("acme", "orders:read", &signer.jwks).await;
    let client_assertion = |header: &str, extra: &str| {
        let n = now();
        raw(
            &signer,
            header,
            &format!(
                r#"{{"iss":"{id}","sub":"{id}","aud":"{}","iat":{n},"exp":{},"jti":"{}"{extra}}}"#,
                s.base,
                n + 60,
                uuid()
            ),
        )
    };
    let authenticate = |a: String| {
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
    let plain_header = json!({"alg": "ES256", "kid": signer.kid}).to_string();
    assert_eq!(
        authenticate(client_assertion(&plain_header, ""))
            .await
            .status(),
        200
    );
    let dup_header = format!(
        r#"{{"alg":"ES256","kid":"{}","ext":1,"ext":2}}"#,
        signer.kid
    );
    for a in [
        client_assertion(&plain_header, r#","ext":"a","ext":"b""#),
        client_assertion(&plain_header, r#","cnf":{"jkt":"a","jkt":"b"}"#),
        client_assertion(&dup_header, ""),
    ] {
        assert_oauth_error(authenticate(a).await, 401, "invalid_client").await;
    }

    // A fetched JWKS whose key names a decoy kid first, its real kid second: last-wins would
    // find the key; the document is refused, so the token is not verified.
    let client = federated_client(s, "acme", "orders:read").await;
    let with_decoy = |idp: &Idp| {
        let keys: Value = serde_json::from_str(&idp.jwks).unwrap();
        let jwk = keys["keys"][0].to_string();
        format!(
            r#"{{"keys":[{{"kid":"decoy",{}]}}"#,
            jwk.trim_start_matches('{')
        )
    };
    for (name, duplicated) in [("dup", true), ("plain", false)] {
        let idp = Idp::new(&format!("https://idp-{name}.acme.test"));
        let doc = if duplicated {
            with_decoy(&idp)
        } else {
            idp.jwks.clone()
        };
        let srv = jwks_server(doc).await;
        add_issuer(s, "acme", &idp, Some(srv.url.clone())).await;
        let mut rule = entente_store::federation::NewTrustRule::new(
            entente_domain::ScopeSet::parse("orders:read").unwrap(),
        );
        rule.lifetime = Some(60);
        s.state
            .store
            .set_trust_rule(&Actor::new("test"), "acme", &idp.issuer, API, rule, now())
            .await
            .unwrap();
        s.refresh().await;
        let t = idp.access_token(&s.base, "alice", json!({}));
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
        if duplicated {
            assert_oauth_error(r, 400, "invalid_request").await;
            assert!(srv.hits.load(std::sync::atomic::Ordering::SeqCst) >= 1);
        } else {
            assert_eq!(r.status(), 200, "the control");
        }
    }

    // A registered (pasted) JWKS with a repeated member is refused at registration, by the
    // store and by the admin API.
    let idp = Idp::new("https://idp-pasted.acme.test");
    let mut i = NewTrustedIssuer::new(idp.issuer.clone(), s.base.clone());
    i.jwks = Some(with_decoy(&idp));
    let e = s
        .state
        .store
        .create_trusted_issuer(&Actor::new("test"), "acme", i, now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("more than once"), "{e}");
    let (_, operator, ..) = crate::admin_api::api_tokens(s).await;
    let (st, b) = admin_post(
        s,
        &operator,
        "/partners/acme/issuers",
        json!({"issuer": idp.issuer, "jwks": with_decoy(&idp)}),
    )
    .await;
    assert_eq!(st, 400, "{b}");
    assert!(
        b["detail"].as_str().unwrap().contains("more than once"),
        "{b}"
    );
    let (st, b) = admin_post(
        s,
        &operator,
        "/partners/acme/issuers",
        json!({"issuer": idp.issuer, "jwks": idp.jwks}),
    )
    .await;
    assert_eq!(st, 201, "the control: {b}");
}

/// Case 73 / L-7: an OpenID ID token of a registered issuer (typ JWT, with nonce, at_hash,
/// auth_time, azp = aud) is not an authorization grant; a proper assertion is.
async fn jwt_bearer_refuses_openid_id_tokens(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let signed = |claims: Value| {
        let mut c = json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": uuid()});
        super::merge(&mut c, claims);
        f.idp.sign(Some("JWT"), c)
    };
    let client = &f.client;
    let grant = |a: String| async move {
        s.post_form(
            "/oauth2/token",
            Some(client),
            &[
                ("grant_type", JWT_BEARER),
                ("assertion", &a),
                ("resource", API),
            ],
        )
        .await
    };
    // The control: a proper assertion.
    let r = grant(signed(json!({}))).await;
    assert_eq!(r.status(), 200);
    for (what, claims) in [
        (
            "an OpenID ID token for the partner's RP",
            json!({"aud": "acme-rp", "azp": "acme-rp", "nonce": "n-0S6_WzA2Mj",
                   "at_hash": "77QmUPtjPfzWtF2AnpK9RQ", "auth_time": n - 30}),
        ),
        ("nonce", json!({"nonce": "n-0S6_WzA2Mj"})),
        ("at_hash", json!({"at_hash": "77QmUPtjPfzWtF2AnpK9RQ"})),
        ("c_hash", json!({"c_hash": "LDktKdoQak3Pk0cnXxCltA"})),
        ("auth_time", json!({"auth_time": n - 30})),
        ("Keycloak typ ID", json!({"typ": "ID"})),
        ("azp in aud", json!({"aud": "acme-rp", "azp": "acme-rp"})),
    ] {
        let b = assert_oauth_error(grant(signed(claims)).await, 400, "invalid_grant").await;
        assert!(
            b["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains("ID token"),
            "{what}: {b}"
        );
    }
    // The same ID token is still exchanged as what it is (declared id_token).
    let id_token = f.idp.sign(
        Some("JWT"),
        json!({"iss": IDP, "sub": "alice", "aud": "acme-rp", "azp": "acme-rp", "nonce": "n",
               "iat": n, "exp": n + 120, "auth_time": n - 30}),
    );
    let r = exchange(
        s,
        &f.client,
        &[
            ("subject_token", &id_token),
            ("subject_token_type", super::IDT),
            ("audience", API),
        ],
    )
    .await;
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(
        status, 200,
        "an ID token declared as one is exchanged: {text}"
    );
}

async fn admin_post(s: &TestServer, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = s
        .http
        .post(s.url(&format!("/admin/api/v1{path}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap_or(Value::Null))
}

/// A10 / B25 / L-9: a trusted issuer's clock skew is 10–60 s; a mutable claim such as `email`
/// is its subject claim only when the issuer is registered as guaranteeing it — through the
/// store, the admin API and the CLI alike.
async fn issuer_skew_and_subject_claim_follow_the_spec(s: &TestServer) {
    s.seed().await;
    let (_, operator, ..) = crate::admin_api::api_tokens(s).await;
    let jwks = Idp::new(IDP).jwks;
    let mut n = 0;
    let mut add = |extra: Value| {
        n += 1;
        let mut body = json!({"issuer": format!("https://idp{n}.acme.test"), "jwks": jwks});
        super::merge(&mut body, extra);
        let operator = operator.clone();
        async move { admin_post(s, &operator, "/partners/acme/issuers", body).await }
    };
    for skew in [0, 9, 61, -1] {
        let (st, b) = add(json!({"skew": skew})).await;
        assert_eq!(st, 400, "skew {skew}: {b}");
        assert!(
            b["detail"]
                .as_str()
                .unwrap()
                .contains("clock skew must be between 10 and 60 seconds"),
            "{b}"
        );
    }
    for skew in [10, 60] {
        let (st, b) = add(json!({"skew": skew})).await;
        assert_eq!((st, b["skew"].as_i64()), (201, Some(skew)), "{b}");
    }
    for claim in ["email", "preferred_username", "upn", "name", "Email"] {
        let (st, b) = add(json!({"subject_claim": claim})).await;
        assert_eq!(st, 400, "{claim}: {b}");
        let d = b["detail"].as_str().unwrap();
        assert!(
            d.contains("cannot identify users") && d.contains("subject_claim_guaranteed"),
            "{d}"
        );
    }
    let (st, b) = add(json!({"subject_claim": "email", "subject_claim_guaranteed": true})).await;
    assert_eq!(st, 201, "{b}");
    assert_eq!(b["subject_claim"], "email");
    assert_eq!(b["subject_claim_guaranteed"], true);
    let (st, b) = add(json!({"subject_claim": "oid"})).await;
    assert_eq!(
        (st, &b["subject_claim_guaranteed"]),
        (201, &json!(false)),
        "{b}"
    );

    // The store refuses the same (the rule lives in the domain, the store applies it).
    let mut i = NewTrustedIssuer::new("https://idp-store.acme.test".into(), s.base.clone());
    i.jwks = Some(jwks.clone());
    i.skew = 5;
    let e = s
        .state
        .store
        .create_trusted_issuer(&Actor::new("test"), "acme", i.clone(), now())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("between 10 and 60"), "{e}");
    i.skew = 30;
    i.subject_claim = "email".into();
    assert!(
        s.state
            .store
            .create_trusted_issuer(&Actor::new("test"), "acme", i.clone(), now())
            .await
            .is_err()
    );

    // The CLI: the same refusals, and --subject-claim-guaranteed.
    let dir = entente_store::testing::TempDir::new("entente-issuer-cli");
    let jwks_file = dir.0.join("jwks.json");
    std::fs::write(&jwks_file, &jwks).unwrap();
    let jwks_file = jwks_file.to_str().unwrap().to_owned();
    tokio::task::block_in_place(|| {
        let cli = |issuer: &str, extra: &[&str]| {
            let mut args = vec![
                "issuer",
                "add",
                "--partner",
                "acme",
                "--issuer",
                issuer,
                "--jwks-file",
                &jwks_file,
            ];
            args.extend_from_slice(extra);
            crate::cli::entente_raw(s, &args)
        };
        let out = cli("https://idp-cli1.acme.test", &["--skew", "9"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("between 10 and 60"), "{err}");
        let out = cli("https://idp-cli2.acme.test", &["--subject-claim", "email"]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("subject_claim_guaranteed"), "{err}");
        let out = cli(
            "https://idp-cli3.acme.test",
            &[
                "--subject-claim",
                "email",
                "--subject-claim-guaranteed",
                "--skew",
                "10",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (
                &v["subject_claim"],
                &v["subject_claim_guaranteed"],
                &v["skew"]
            ),
            (&json!("email"), &json!(true), &json!(10)),
            "{v}"
        );
    });
    let listed = s
        .state
        .store
        .trusted_issuer(
            &s.state.store.partner_by_slug("acme").await.unwrap().id,
            "https://idp-cli3.acme.test",
        )
        .await
        .unwrap();
    assert!(listed.subject_claim_guaranteed);
}
