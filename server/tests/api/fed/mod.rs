//! Federation over real HTTP on SQLite and PostgreSQL: trusted issuers, RFC 8693 token exchange,
//! RFC 7523 jwt-bearer, refresh families and lineage revocation (cases A1–A13, B17–B27, D33–D37).
//! This module holds the shared fixtures (a partner IdP, its trust rule, exchange helpers, a JWKS
//! server); the tests are in its submodules.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::response::IntoResponse;
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

pub mod entra;
mod lineage;
pub mod readme;
/// Issue 23: repeated JSON member names, ID tokens as jwt-bearer assertions, issuer settings.
pub mod strict;
mod token_exchange;
mod verification;

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
