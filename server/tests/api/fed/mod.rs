//! Federation over real HTTP on SQLite and PostgreSQL: trusted issuers, RFC 8693 token exchange,
//! RFC 7523 jwt-bearer, refresh families and lineage revocation (cases A1–A13, B17–B27, D33–D37).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_domain::ScopeSet;
use entente_domain::federation::rules::TokenKind;
use entente_domain::keys::{self, SigningAlgorithm};
use entente_server::state::now;
use entente_store::Actor;
use entente_store::catalog::NewClient;
use entente_store::federation::{NewTrustRule, NewTrustedIssuer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::common::{API, Creds, OTHER_API, TestServer, assert_oauth_error};

pub const TX: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const AT: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const IDT: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const IDP: &str = "https://idp.acme.test";

/// A partner identity provider: one ES256 key.
pub struct Idp {
    pub issuer: String,
    pub key: EncodingKey,
    pub kid: String,
    pub jwks: String,
}

impl Idp {
    pub fn new(issuer: &str) -> Self {
        let k = keys::generate(SigningAlgorithm::Es256).unwrap();
        Self {
            issuer: issuer.into(),
            jwks: json!({"keys": [k.public_jwk]}).to_string(),
            key: keys::encoding_key(SigningAlgorithm::Es256, &k.private_der),
            kid: k.kid,
        }
    }
    pub fn sign(&self, typ: Option<&str>, claims: Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(self.kid.clone());
        h.typ = typ.map(str::to_owned);
        jsonwebtoken::encode(&h, &claims, &self.key).unwrap()
    }
    /// An RFC 9068 access token for `sub`, addressed to Entente, with `extra` claims merged.
    pub fn access_token(&self, aud: &str, sub: &str, extra: Value) -> String {
        let n = now();
        let mut c = json!({"iss": self.issuer, "sub": sub, "aud": aud, "iat": n, "exp": n + 600,
                           "jti": uuid(), "client_id": "acme-app"});
        merge(&mut c, extra);
        self.sign(Some("at+jwt"), c)
    }
}

pub fn uuid() -> String {
    entente_domain::secret::random_token(12)
}

pub fn merge(into: &mut Value, extra: Value) {
    if let (Some(o), Value::Object(e)) = (into.as_object_mut(), extra) {
        for (k, v) in e {
            if v.is_null() {
                o.remove(&k);
            } else {
                o.insert(k, v);
            }
        }
    }
}

pub fn claims_of(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

pub struct Fed {
    pub client: Creds,
    pub rs: Creds,
    pub idp: Idp,
    pub rule_id: String,
}

pub async fn federated_client(s: &TestServer, partner: &str, scopes: &str) -> Creds {
    let secret = entente_domain::secret::generate_secret();
    let pid = s.state.store.partner_by_slug(partner).await.unwrap().id;
    let new = NewClient::partner_secret(
        pid,
        "federation".into(),
        ScopeSet::parse(scopes).unwrap(),
        vec![
            "client_credentials".into(),
            TX.into(),
            JWT_BEARER.into(),
            "refresh_token".into(),
        ],
        s.state.hasher.hash(&secret),
    );
    let id = entente_domain::secret::new_client_id();
    s.state
        .store
        .create_client(&Actor::new("test"), new, id.clone(), now())
        .await
        .unwrap();
    Creds { id, secret }
}

pub async fn add_issuer(s: &TestServer, partner: &str, idp: &Idp, jwks_uri: Option<String>) {
    let mut i = NewTrustedIssuer::new(idp.issuer.clone(), s.base.clone());
    if jwks_uri.is_some() {
        i.jwks_uri = jwks_uri;
    } else {
        i.jwks = Some(idp.jwks.clone());
    }
    i.kinds = vec![
        TokenKind::AccessToken,
        TokenKind::IdToken,
        TokenKind::Assertion,
    ];
    i.audiences.push("acme-rp".into());
    i.max_age = 900;
    s.state
        .store
        .create_trusted_issuer(&Actor::new("test"), partner, i, now())
        .await
        .unwrap();
}

pub async fn set_rule(
    s: &TestServer,
    audience: &str,
    scopes: &str,
    edit: impl FnOnce(&mut NewTrustRule),
) -> String {
    let mut r = NewTrustRule::new(ScopeSet::parse(scopes).unwrap());
    edit(&mut r);
    let m = s
        .state
        .store
        .set_trust_rule(&Actor::new("test"), "acme", IDP, audience, r, now())
        .await
        .unwrap();
    s.refresh().await;
    m.id
}

/// acme (granted orders:read orders:write on API) with a federation client, a trusted issuer
/// with a static JWKS, and a rule: IDP tokens → API, at most orders:read orders:write, `email`
/// passed through, orders:write only for members of `admins`.
pub async fn setup(s: &TestServer) -> Fed {
    s.seed().await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            API,
            &ScopeSet::parse("orders:read orders:write").unwrap(),
            now(),
        )
        .await
        .unwrap();
    let client = federated_client(s, "acme", "orders:read orders:write bill:read").await;
    let idp = Idp::new(IDP);
    add_issuer(s, "acme", &idp, None).await;
    let rule_id = set_rule(s, API, "orders:read orders:write", |r| {
        r.claims = entente_domain::federation::rules::parse_claim_passes("email").unwrap();
        r.mappings =
            entente_domain::federation::rules::parse_scope_mappings("groups:admins=orders:write")
                .unwrap();
    })
    .await;
    let rs = s.resource_server(API).await;
    Fed {
        client,
        rs,
        idp,
        rule_id,
    }
}

pub async fn exchange(s: &TestServer, c: &Creds, form: &[(&str, &str)]) -> reqwest::Response {
    exchange_at(s, "", c, form).await
}

/// A token exchange at the token endpoint of the environment below `prefix` ("" or "/sandbox").
pub async fn exchange_at(
    s: &TestServer,
    prefix: &str,
    c: &Creds,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut f = vec![("grant_type", TX)];
    f.extend_from_slice(form);
    s.post_form(&format!("{prefix}/oauth2/token"), Some(c), &f)
        .await
}

pub async fn exchange_ok(s: &TestServer, c: &Creds, form: &[(&str, &str)]) -> Value {
    exchange_ok_at(s, "", c, form).await
}

pub async fn exchange_ok_at(
    s: &TestServer,
    prefix: &str,
    c: &Creds,
    form: &[(&str, &str)],
) -> Value {
    let r = exchange_at(s, prefix, c, form).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "exchange refused: {body}");
    body
}

/// Exchanges a partner (or Entente) access token for an API token; the call must succeed.
pub async fn exchange_for_api(s: &TestServer, c: &Creds, subject_token: &str) -> Value {
    exchange_ok(
        s,
        c,
        &[
            ("subject_token", subject_token),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await
}

pub async fn impersonation_exchange_issues_an_audience_bound_token(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(
        &s.base,
        "alice",
        json!({"email": "alice@acme.test", "groups": ["staff"], "phone": "555"}),
    );
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
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["issued_token_type"], AT);
    assert_eq!(body["token_type"], "Bearer");
    // Not an admin: the mapped scope stays locked.
    assert_eq!(body["scope"], "orders:read");
    let token = body["access_token"].as_str().unwrap();
    let c = claims_of(token);
    assert!(c["sub"].as_str().unwrap().ends_with(":alice"), "{c}");
    assert!(c["sub"].as_str().unwrap().starts_with("ti_"));
    assert_eq!(c["aud"], API);
    assert_eq!(c["client_id"], f.client.id);
    assert_eq!(c["email"], "alice@acme.test");
    assert!(
        c.get("phone").is_none() && c.get("groups").is_none(),
        "data minimisation: {c}"
    );
    assert!(c.get("act").is_none(), "impersonation carries no act");
    let i = s.introspect(&f.rs, token).await;
    assert_eq!(i["active"], true);
    assert_eq!(i["sub"], c["sub"]);

    let admin = f
        .idp
        .access_token(&s.base, "bob", json!({"groups": ["admins"]}));
    let body = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &admin),
            ("subject_token_type", AT),
            ("resource", API),
        ],
    )
    .await;
    assert_eq!(body["scope"], "orders:read orders:write");
}

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

pub async fn policy_decides_issuer_target_scope_and_lifetime(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let sub = [("subject_token", pt.as_str()), ("subject_token_type", AT)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut v: Vec<(&str, &str)> = sub.to_vec();
        v.extend_from_slice(extra);
        v
    };
    // B20: unknown or not-allowed audiences are invalid_target.
    assert_oauth_error(
        exchange(s, &f.client, &with(&[("audience", "https://nope.test")])).await,
        400,
        "invalid_target",
    )
    .await;
    assert_oauth_error(
        exchange(s, &f.client, &with(&[("audience", OTHER_API)])).await,
        400,
        "invalid_target",
    )
    .await;
    // B21: never a union; nothing left is invalid_scope.
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &with(&[("audience", API), ("scope", "orders:write")]),
        )
        .await,
        400,
        "invalid_scope",
    )
    .await;
    let b = exchange_ok(
        s,
        &f.client,
        &with(&[("audience", API), ("scope", "orders:read bill:read")]),
    )
    .await;
    assert_eq!(b["scope"], "orders:read");
    // B17: a client of another partner presenting acme's issuer token.
    let globex = federated_client(s, "globex", "orders:read").await;
    s.refresh().await;
    assert_oauth_error(
        exchange(s, &globex, &with(&[("audience", API)])).await,
        400,
        "invalid_request",
    )
    .await;
    // B23: no client authentication.
    let r = s
        .post_form(
            "/oauth2/token",
            None,
            &[
                ("grant_type", TX),
                ("subject_token", &pt),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await;
    assert_oauth_error(r, 401, "invalid_client").await;
    // B26: never longer than the subject token has left.
    let n = now();
    let short = f.idp.access_token(&s.base, "alice", json!({"exp": n + 40}));
    let b = exchange_for_api(s, &f.client, &short).await;
    assert!(b["expires_in"].as_i64().unwrap() <= 40, "{b}");
    let own = b["access_token"].as_str().unwrap();
    let again = exchange_for_api(s, &f.client, own).await;
    assert!(
        claims_of(again["access_token"].as_str().unwrap())["exp"]
            .as_i64()
            .unwrap()
            <= n + 40
    );
    // A client without the grant type is unauthorized_client (C31).
    let cc_only = s.secret_client("acme", "orders:read").await;
    assert_oauth_error(
        exchange(s, &cc_only, &with(&[("audience", API)])).await,
        400,
        "unauthorized_client",
    )
    .await;
}

pub async fn delegation_sets_act_and_obeys_may_act_and_depth(s: &TestServer) {
    let f = setup(s).await;
    let actor = f.idp.access_token(&s.base, "agent-1", json!({}));
    let subject = |extra: Value| f.idp.access_token(&s.base, "alice", extra);
    let client = &f.client;
    let go = |st: String| {
        let actor = actor.clone();
        async move {
            exchange(
                s,
                client,
                &[
                    ("subject_token", &st),
                    ("subject_token_type", AT),
                    ("actor_token", &actor),
                    ("actor_token_type", AT),
                    ("audience", API),
                ],
            )
            .await
        }
    };
    // The rule does not allow delegation yet.
    assert_oauth_error(go(subject(json!({}))).await, 400, "invalid_request").await;
    set_rule(s, API, "orders:read orders:write", |r| {
        r.delegation = true;
        r.max_depth = 2;
    })
    .await;
    let r = go(subject(json!({}))).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    let c = claims_of(b["access_token"].as_str().unwrap());
    assert!(c["sub"].as_str().unwrap().ends_with(":alice"));
    assert!(
        c["act"]["sub"].as_str().unwrap().ends_with(":agent-1"),
        "{c}"
    );
    // may_act naming someone else (B22).
    assert_oauth_error(
        go(subject(json!({"may_act": {"sub": "agent-2"}}))).await,
        400,
        "invalid_request",
    )
    .await;
    assert_eq!(
        go(subject(json!({"may_act": {"sub": "agent-1", "iss": IDP}})))
            .await
            .status(),
        200
    );
    // An existing chain nests under the new actor; beyond the depth cap it is refused.
    let r = go(subject(json!({"act": {"sub": "upstream"}}))).await;
    let b: Value = r.json().await.unwrap();
    let c = claims_of(b["access_token"].as_str().unwrap());
    assert_eq!(c["act"]["act"]["sub"], "upstream", "{c}");
    assert_oauth_error(
        go(subject(json!({"act": {"sub": "a", "act": {"sub": "b"}}}))).await,
        400,
        "invalid_request",
    )
    .await;
    // actor_token without its type, and delegation-only without an actor.
    let st = subject(json!({}));
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &st),
                ("subject_token_type", AT),
                ("actor_token", &actor),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;
    set_rule(s, API, "orders:read", |r| {
        r.delegation = true;
        r.delegation_only = true;
    })
    .await;
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &st),
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

pub async fn disabled_rules_stop_exchanges_within_a_second(s: &TestServer) {
    let f = setup(s).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let form = [
        ("subject_token", pt.as_str()),
        ("subject_token_type", AT),
        ("audience", API),
    ];
    exchange_ok(s, &f.client, &form).await;
    s.state
        .store
        .set_trust_rule_enabled(&Actor::new("test"), &f.rule_id, false, now())
        .await
        .unwrap();
    // No manual refresh: the background change feed must carry it (B24).
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_oauth_error(exchange(s, &f.client, &form).await, 400, "invalid_request").await;
}

pub async fn pairwise_subjects_differ_per_audience(s: &TestServer) {
    let f = setup(s).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            OTHER_API,
            &ScopeSet::parse("bill:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    set_rule(s, API, "orders:read", |r| r.pairwise = true).await;
    set_rule(s, OTHER_API, "bill:read", |r| r.pairwise = true).await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "alice@acme.test"}));
    let client = &f.client;
    let sub_for = |aud: &'static str| {
        let pt = pt.clone();
        async move {
            let b = exchange_ok(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("audience", aud),
                ],
            )
            .await;
            claims_of(b["access_token"].as_str().unwrap())["sub"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let a = sub_for(API).await;
    let b = sub_for(OTHER_API).await;
    // Nothing else in the tokens links the two either (the lineage's subject key is per audience).
    let lineage_for = |aud: &'static str| {
        let pt = pt.clone();
        async move {
            let b = exchange_ok(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("audience", aud),
                ],
            )
            .await;
            claims_of(b["access_token"].as_str().unwrap())["lineage"].clone()
        }
    };
    let (la, lb) = (lineage_for(API).await, lineage_for(OTHER_API).await);
    assert!(
        la.as_array()
            .unwrap()
            .iter()
            .all(|k| !lb.as_array().unwrap().contains(k)),
        "{la} {lb}"
    );
    assert_ne!(a, b);
    assert_eq!(a, sub_for(API).await, "stable per audience");
    assert!(!a.contains("alice") && !a.contains(':'));
    // B25: a changed email never changes who the subject is.
    let pt2 = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "new@acme.test"}));
    let c = exchange_for_api(s, &f.client, &pt2).await;
    assert_eq!(
        claims_of(c["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap(),
        a
    );
}

pub async fn jwt_bearer_assertions_are_single_use(s: &TestServer) {
    let f = setup(s).await;
    let n = now();
    let assertion = |extra: Value| {
        let mut c = json!({"iss": IDP, "sub": "alice", "aud": s.base, "iat": n, "exp": n + 120, "jti": uuid()});
        merge(&mut c, extra);
        f.idp.sign(None, c)
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
    let a = assertion(json!({}));
    let r = grant(a.clone()).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert!(b.get("issued_token_type").is_none(), "RFC 6749 response");
    assert!(
        claims_of(b["access_token"].as_str().unwrap())["sub"]
            .as_str()
            .unwrap()
            .ends_with(":alice")
    );
    // B27: replay.
    assert_oauth_error(grant(a).await, 400, "invalid_grant").await;
    for bad in [
        assertion(json!({"aud": [s.base.clone(), "https://foreign.test"]})),
        assertion(json!({"jti": null})),
        assertion(json!({"exp": n + 3600})),
        f.idp.access_token(&s.base, "alice", json!({})),
    ] {
        assert_oauth_error(grant(bad).await, 400, "invalid_grant").await;
    }
    let r = s
        .post_form(
            "/oauth2/token",
            Some(&f.client),
            &[("grant_type", JWT_BEARER), ("resource", API)],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_request").await;
}

async fn refresh(s: &TestServer, c: &Creds, rt: &str) -> reqwest::Response {
    s.post_form(
        "/oauth2/token",
        Some(c),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await
}

pub async fn refresh_tokens_rotate_and_reuse_kills_the_family(s: &TestServer) {
    let f = setup(s).await;
    set_rule(s, API, "orders:read", |r| r.refresh = true).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt1 = b["refresh_token"].as_str().unwrap().to_owned();
    assert!(rt1.starts_with("ent_rt_"));
    let at0 = b["access_token"].as_str().unwrap().to_owned();
    // D36: another client's refresh token.
    let other = federated_client(s, "acme", "orders:read").await;
    s.refresh().await;
    assert_oauth_error(refresh(s, &other, &rt1).await, 400, "invalid_grant").await;
    let r = refresh(s, &f.client, &rt1).await;
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    let rt2 = b["refresh_token"].as_str().unwrap().to_owned();
    let at2 = b["access_token"].as_str().unwrap().to_owned();
    assert_ne!(rt1, rt2);
    assert_eq!(s.introspect(&f.rs, &at2).await["active"], true);
    // D33: reusing RT1 kills RT2 and every access token of the family.
    assert_oauth_error(refresh(s, &f.client, &rt1).await, 400, "invalid_grant").await;
    assert_oauth_error(refresh(s, &f.client, &rt2).await, 400, "invalid_grant").await;
    assert_eq!(s.introspect(&f.rs, &at2).await, json!({"active": false}));
    assert_eq!(s.introspect(&f.rs, &at0).await, json!({"active": false}));
    let events = s.state.store.recent_audit_events(20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "refresh.reuse_detected"));

    // requested_token_type=refresh_token: the refresh token travels in access_token (RFC 8693 §2.2.1).
    let b = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", API),
            (
                "requested_token_type",
                "urn:ietf:params:oauth:token-type:refresh_token",
            ),
        ],
    )
    .await;
    assert_eq!(b["token_type"], "N_A");
    assert_eq!(
        b["issued_token_type"],
        "urn:ietf:params:oauth:token-type:refresh_token"
    );
    assert!(b["access_token"].as_str().unwrap().starts_with("ent_rt_"));

    // D35: the family ends with the subject token's lifetime.
    let short = f
        .idp
        .access_token(&s.base, "alice", json!({"exp": now() + 2}));
    let b = exchange_for_api(s, &f.client, &short).await;
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_oauth_error(
        refresh(s, &f.client, b["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    )
    .await;

    // Revoking a refresh token (RFC 7009) ends its family.
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt = b["refresh_token"].as_str().unwrap();
    let r = s
        .post_form(
            "/oauth2/revoke",
            Some(&f.client),
            &[("token", rt), ("token_type_hint", "refresh_token")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_oauth_error(refresh(s, &f.client, rt).await, 400, "invalid_grant").await;
    assert_eq!(
        s.introspect(&f.rs, b["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

pub async fn fifty_concurrent_refreshes_one_wins(s: &TestServer) {
    let f = setup(s).await;
    set_rule(s, API, "orders:read", |r| r.refresh = true).await;
    let pt = f.idp.access_token(&s.base, "alice", json!({}));
    let b = exchange_for_api(s, &f.client, &pt).await;
    let rt = b["refresh_token"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let http = s.http.clone();
            let url = s.url("/oauth2/token");
            let (id, secret, rt) = (f.client.id.clone(), f.client.secret.clone(), rt.clone());
            tokio::spawn(async move {
                http.post(url)
                    .basic_auth(id, Some(secret))
                    .form(&[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", rt.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            200 => ok += 1,
            400 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(ok, 1, "exactly one concurrent refresh succeeds (D34)");
}

pub async fn revoking_the_root_revokes_every_derived_token(s: &TestServer) {
    let f = setup(s).await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"groups": ["admins"]}));
    let e1 = exchange_for_api(s, &f.client, &pt).await;
    let t1 = e1["access_token"].as_str().unwrap().to_owned();
    // Down-scoping Entente's own token (B21: ∩ the subject token's scope).
    let e2 = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &t1),
            ("subject_token_type", AT),
            ("audience", API),
            ("scope", "orders:read"),
        ],
    )
    .await;
    assert_eq!(e2["scope"], "orders:read");
    let t2 = e2["access_token"].as_str().unwrap().to_owned();
    let e3 = exchange_for_api(s, &f.client, &t2).await;
    assert_eq!(e3["scope"], "orders:read", "never widened back");
    let t3 = e3["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims_of(&t3)["sub"], claims_of(&t1)["sub"]);
    for t in [&t1, &t2, &t3] {
        assert_eq!(s.introspect(&f.rs, t).await["active"], true);
    }
    // Revoke the middle one: its descendant dies, its ancestor lives.
    let r = s
        .post_form("/oauth2/revoke", Some(&f.client), &[("token", &t2)])
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(s.introspect(&f.rs, &t1).await["active"], true);
    assert_eq!(s.introspect(&f.rs, &t3).await["active"], false);
    // Revoke the root: everything is gone at once.
    s.post_form("/oauth2/revoke", Some(&f.client), &[("token", &t1)])
        .await;
    for t in [&t1, &t2, &t3] {
        assert_eq!(s.introspect(&f.rs, t).await, json!({"active": false}));
    }
    // A revoked token cannot be exchanged any more.
    assert_oauth_error(
        exchange(
            s,
            &f.client,
            &[
                ("subject_token", &t1),
                ("subject_token_type", AT),
                ("audience", API),
            ],
        )
        .await,
        400,
        "invalid_request",
    )
    .await;

    // Revoking a partner subject reaches tokens derived from any of its partner tokens,
    // through the change feed (as another replica would see it, D37).
    let pb = f.idp.access_token(&s.base, "bob", json!({}));
    let b1 = exchange_for_api(s, &f.client, &pb).await;
    let bt = b1["access_token"].as_str().unwrap().to_owned();
    let b2 = exchange_for_api(s, &f.client, &bt).await;
    let key = entente_domain::federation::subject::subject_key(IDP, "bob");
    s.state
        .store
        .revoke_mark(&Actor::new("test"), &key, now() + 3600, now())
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(s.introspect(&f.rs, &bt).await["active"], false);
    assert_eq!(
        s.introspect(&f.rs, b2["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
    // Revoking a client reaches what other clients derived from its tokens.
    let pc = f.idp.access_token(&s.base, "carol", json!({}));
    let c1 = exchange_for_api(s, &f.client, &pc).await;
    let other = federated_client(s, "acme", "orders:read").await;
    s.refresh().await;
    let c2 = exchange_for_api(s, &other, c1["access_token"].as_str().unwrap()).await;
    let ck = entente_domain::federation::subject::client_key(&f.client.id);
    s.state
        .store
        .revoke_mark(&Actor::new("test"), &ck, now() + 3600, now())
        .await
        .unwrap();
    s.refresh().await;
    assert_eq!(
        s.introspect(&f.rs, c2["access_token"].as_str().unwrap())
            .await["active"],
        false
    );
}

/// A JWKS endpoint on loopback that counts requests and can be made slow, huge or broken.
pub struct JwksServer {
    pub url: String,
    pub hits: Arc<AtomicUsize>,
    pub mode: Arc<std::sync::Mutex<&'static str>>,
}

pub async fn jwks_server(jwks: String) -> JwksServer {
    let hits = Arc::new(AtomicUsize::new(0));
    let mode = Arc::new(std::sync::Mutex::new("ok"));
    let (h, m) = (hits.clone(), mode.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (h, m, jwks) = (h.clone(), m.clone(), jwks.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                let mode = *m.lock().unwrap();
                match mode {
                    "slow" => {
                        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                        (axum::http::StatusCode::OK, jwks).into_response()
                    }
                    // The issuer's real JWKS padded with whitespace to 1 MB: valid JSON whose
                    // key would verify the token, so only the size cap can refuse it.
                    "huge" => (
                        axum::http::StatusCode::OK,
                        format!("{jwks}{}", " ".repeat(1_000_000)),
                    )
                        .into_response(),
                    "down" => (
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                        "upstream secret detail",
                    )
                        .into_response(),
                    // The same server under another host name: a redirect off the registered host.
                    "redirect" => (
                        axum::http::StatusCode::FOUND,
                        [("location", format!("http://localhost:{port}/jwks"))],
                    )
                        .into_response(),
                    _ => ([("cache-control", "max-age=600")], jwks).into_response(),
                }
            }
        }),
    );
    let url = format!("http://127.0.0.1:{port}/jwks");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    JwksServer { url, hits, mode }
}

use axum::response::IntoResponse;

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

pub mod entra;
pub mod readme;
/// Issue 23: repeated JSON member names, ID tokens as jwt-bearer assertions, issuer settings.
pub mod strict;
pub use readme::readme_token_exchange_patterns_run;

/// A3, A4, A7, A14: one key one algorithm; zero ECDSA signatures; keys per (issuer, kid);
/// duplicate claims.
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

/// Issue 7, defect 2: an Entente token for a partner's user is held to the trust rule it was
/// issued under. Re-targeting it to another audience is refused whether or not a rule exists
/// there (its subject is the first audience's; the partner's token must be exchanged directly,
/// which yields that audience's own pairwise subject); down-scoping within its audience works
/// while the rule is enabled and stops when it is disabled; explain says the same.
pub async fn retargeting_a_user_token_follows_the_trust_rules(s: &TestServer) {
    let f = setup(s).await;
    s.state
        .store
        .set_grant(
            &Actor::new("test"),
            "acme",
            OTHER_API,
            &ScopeSet::parse("bill:read").unwrap(),
            now(),
        )
        .await
        .unwrap();
    s.refresh().await;
    let pt = f
        .idp
        .access_token(&s.base, "alice", json!({"email": "alice@acme.test"}));
    let first = exchange_for_api(s, &f.client, &pt).await;
    let at = first["access_token"].as_str().unwrap().to_owned();
    let first_claims = claims_of(&at);
    assert_eq!(first_claims["trust_rule"], f.rule_id.as_str());
    let client = &f.client;
    let to = |aud: &'static str, scope: Option<&'static str>| {
        let at = at.clone();
        async move {
            let mut form = vec![
                ("subject_token", at.clone()),
                ("subject_token_type", AT.to_owned()),
                ("audience", aud.to_owned()),
            ];
            if let Some(sc) = scope {
                form.push(("scope", sc.to_owned()));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            exchange(s, client, &form).await
        }
    };

    // No rule for the other audience: refused.
    let e = assert_oauth_error(to(OTHER_API, None).await, 400, "invalid_target").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("exchange the partner's token")
    );

    // Explain, over the admin API, gives the same answer and says which step refused.
    let session = crate::console::signed_in(s).await;
    let body = json!({"client_id": f.client.id, "grant_type": TX, "subject_token": at,
                      "subject_token_type": AT, "audience": OTHER_API});
    let v: Value = s
        .http
        .post(s.url("/admin/api/v1/exchange/explain"))
        .header("cookie", &session)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["allowed"], false, "{v}");
    assert_eq!(v["error"], "invalid_target", "{v}");
    assert!(
        v["trace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["step"] == "trust_rule" && t["outcome"] != "pass"),
        "{v}"
    );

    // A pairwise rule for the other audience: the user token is still not re-targeted (its
    // subject would carry the first audience's identity); the partner token gets B's own subject.
    set_rule(s, OTHER_API, "bill:read", |r| r.pairwise = true).await;
    assert_oauth_error(to(OTHER_API, None).await, 400, "invalid_target").await;
    let direct = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", &pt),
            ("subject_token_type", AT),
            ("audience", OTHER_API),
        ],
    )
    .await;
    let b_sub = claims_of(direct["access_token"].as_str().unwrap())["sub"].clone();
    assert_ne!(b_sub, first_claims["sub"]);
    assert!(b_sub.as_str().unwrap().starts_with("pw_"), "{b_sub}");

    // Nor may it act (as actor_token) in another audience's exchange: its subject would be
    // carried into `act` outside any rule. A client's own token may act.
    set_rule(s, OTHER_API, "bill:read", |r| {
        r.pairwise = true;
        r.delegation = true;
    })
    .await;
    let with_actor = |actor: String| {
        let pt = pt.clone();
        async move {
            exchange(
                s,
                client,
                &[
                    ("subject_token", &pt),
                    ("subject_token_type", AT),
                    ("actor_token", &actor),
                    ("actor_token_type", AT),
                    ("audience", OTHER_API),
                ],
            )
            .await
        }
    };
    let e = assert_oauth_error(with_actor(at.clone()).await, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("cannot be the actor"),
        "{e}"
    );
    let own_actor = s
        .token(client, &[("resource", API), ("scope", "orders:read")])
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = with_actor(own_actor).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    // Down-scoping within the audience keeps the subject and the rule, narrowed by today's rule.
    let r = to(API, Some("orders:read")).await;
    assert_eq!(r.status(), 200);
    let down: Value = r.json().await.unwrap();
    let dc = claims_of(down["access_token"].as_str().unwrap());
    assert_eq!(dc["sub"], first_claims["sub"]);
    assert_eq!(dc["trust_rule"], f.rule_id.as_str());
    assert_eq!(dc["email"], "alice@acme.test");

    // The rule is disabled after the first exchange: re-exchange is refused.
    s.state
        .store
        .set_trust_rule_enabled(&Actor::new("test"), &f.rule_id, false, now())
        .await
        .unwrap();
    s.refresh().await;
    let e = assert_oauth_error(to(API, Some("orders:read")).await, 400, "invalid_request").await;
    assert!(
        e["error_description"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{e}"
    );

    // A client's own token (client_credentials) carries no user and no rule: it is exchanged
    // by the grant and the client's allowance alone, the rule's state does not matter.
    let own = s
        .token(&f.client, &[("resource", API), ("scope", "orders:read")])
        .await;
    let own_at = own["access_token"].as_str().unwrap();
    let re = exchange_ok(
        s,
        &f.client,
        &[
            ("subject_token", own_at),
            ("subject_token_type", AT),
            ("audience", API),
        ],
    )
    .await;
    let rc = claims_of(re["access_token"].as_str().unwrap());
    assert_eq!(rc["sub"], f.client.id.as_str());
    assert!(rc.get("trust_rule").is_none(), "{rc}");
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
