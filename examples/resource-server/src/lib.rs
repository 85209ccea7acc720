//! A resource server that trusts Entente, as a partner-facing API would: it validates the
//! RFC 9068 JWT access tokens Entente issues locally, with Entente's public keys, and never
//! calls Entente per request.
//!
//! - The keys come from the `jwks_uri` of Entente's RFC 8414 metadata and are cached for the
//!   JWKS response's `Cache-Control: max-age` (5 minutes when it gives none).
//! - A token naming a key the cache does not hold (Entente rotated its keys) makes one refetch,
//!   at most once every 30 seconds, so a flood of made-up `kid`s cannot turn into a flood of
//!   requests to Entente.
//! - Each token is checked for its signature under the key's own algorithm (never the header's
//!   choice alone), `typ: at+jwt`, the issuer, this API's audience, its lifetime, and the scope
//!   the route needs; failures answer as RFC 6750 §3 says (401 `invalid_token`, 403
//!   `insufficient_scope`, with `WWW-Authenticate`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::RwLock;

/// At most one refetch for unknown keys in this long.
const REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// How long keys are kept when the JWKS response says nothing.
const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

/// Where RFC 8414 §3.1 puts an issuer's metadata: `/.well-known/oauth-authorization-server`
/// between the host and the issuer's path (`https://h/sandbox` →
/// `https://h/.well-known/oauth-authorization-server/sandbox`).
pub fn metadata_url(issuer: &str) -> String {
    let issuer = issuer.trim_end_matches('/');
    let (scheme, rest) = issuer.split_once("://").unwrap_or(("https", issuer));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    format!("{scheme}://{host}/.well-known/oauth-authorization-server{path}")
}

struct Keys {
    by_kid: HashMap<String, (DecodingKey, Algorithm)>,
    fresh_until: Instant,
    /// The last refetch made for a key the cache did not hold.
    unknown_refetch: Option<Instant>,
}

/// Validates Entente's access tokens for one audience.
pub struct Verifier {
    issuer: String,
    audience: String,
    jwks_uri: String,
    http: reqwest::Client,
    keys: RwLock<Keys>,
    fetches: std::sync::atomic::AtomicU64,
}

/// What a valid token says about its caller.
#[derive(Debug, Clone, Deserialize)]
pub struct Caller {
    pub sub: String,
    pub client_id: String,
    #[serde(default)]
    pub scope: String,
}

impl Caller {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.split(' ').any(|s| s == scope)
    }
}

/// Why a request is refused (RFC 6750 §3.1).
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No bearer token at all: 401 with only the realm.
    Missing,
    /// 401 `invalid_token`.
    Invalid(String),
    /// 403 `insufficient_scope`, naming the scope needed.
    InsufficientScope(&'static str),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, challenge, body) = match &self {
            Self::Missing => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer realm="orders""#.to_owned(),
                "a bearer token is required".to_owned(),
            ),
            Self::Invalid(why) => (
                StatusCode::UNAUTHORIZED,
                format!(
                    r#"Bearer realm="orders", error="invalid_token", error_description="{}""#,
                    why.replace('"', "'")
                ),
                why.clone(),
            ),
            Self::InsufficientScope(scope) => (
                StatusCode::FORBIDDEN,
                format!(r#"Bearer realm="orders", error="insufficient_scope", scope="{scope}""#),
                format!("this needs the scope {scope}"),
            ),
        };
        (
            status,
            [(header::WWW_AUTHENTICATE, challenge)],
            axum::Json(serde_json::json!({ "error": body })),
        )
            .into_response()
    }
}

/// The algorithm a published key is for: its `alg`, else what its curve implies.
fn algorithm_of(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Algorithm> {
    match (jwk.common.key_algorithm, &jwk.algorithm) {
        (Some(KeyAlgorithm::ES256), _) => Some(Algorithm::ES256),
        (Some(KeyAlgorithm::ES384), _) => Some(Algorithm::ES384),
        (Some(KeyAlgorithm::EdDSA), _) => Some(Algorithm::EdDSA),
        (Some(KeyAlgorithm::RS256), _) => Some(Algorithm::RS256),
        (Some(KeyAlgorithm::PS256), _) => Some(Algorithm::PS256),
        (None, AlgorithmParameters::EllipticCurve(p)) if p.curve == EllipticCurve::P256 => {
            Some(Algorithm::ES256)
        }
        _ => None,
    }
}

fn max_age(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.split(',')
                .find_map(|d| d.trim().strip_prefix("max-age="))
                .and_then(|s| s.parse().ok())
        })
        .map_or(DEFAULT_MAX_AGE, Duration::from_secs)
}

impl Verifier {
    /// Reads Entente's metadata for `issuer` (production's, or `{issuer}/sandbox`) and fetches
    /// its keys; `audience` is this API's identifier.
    pub async fn discover(issuer: &str, audience: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        let metadata: serde_json::Value = http
            .get(metadata_url(issuer))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        anyhow::ensure!(
            metadata["issuer"] == issuer,
            "the metadata names another issuer"
        );
        let jwks_uri = metadata["jwks_uri"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("the metadata has no jwks_uri"))?
            .to_owned();
        let v = Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks_uri,
            http,
            keys: RwLock::new(Keys {
                by_kid: HashMap::new(),
                fresh_until: Instant::now(),
                unknown_refetch: None,
            }),
            fetches: std::sync::atomic::AtomicU64::new(0),
        };
        v.fetch(&mut *v.keys.write().await).await?;
        Ok(v)
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> u64 {
        self.fetches.load(std::sync::atomic::Ordering::Relaxed)
    }

    async fn fetch(&self, keys: &mut Keys) -> anyhow::Result<()> {
        self.fetches
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let resp = self
            .http
            .get(&self.jwks_uri)
            .send()
            .await?
            .error_for_status()?;
        let ttl = max_age(resp.headers());
        let set: JwkSet = resp.json().await?;
        keys.by_kid = set
            .keys
            .iter()
            .filter_map(|k| {
                let kid = k.common.key_id.clone()?;
                let alg = algorithm_of(k)?;
                Some((kid, (DecodingKey::from_jwk(k).ok()?, alg)))
            })
            .collect();
        keys.fresh_until = Instant::now() + ttl;
        Ok(())
    }

    async fn key(&self, kid: &str) -> Option<(DecodingKey, Algorithm)> {
        {
            let keys = self.keys.read().await;
            if keys.fresh_until > Instant::now()
                && let Some(k) = keys.by_kid.get(kid)
            {
                return Some(k.clone());
            }
        }
        let mut keys = self.keys.write().await;
        let stale = keys.fresh_until <= Instant::now();
        let known = keys.by_kid.contains_key(kid);
        // Stale keys are refetched; a key we have not seen (a rotation) makes one refetch,
        // then no other for the cooldown (someone may be sending made-up kids).
        let refetch = if stale {
            true
        } else if !known
            && keys
                .unknown_refetch
                .is_none_or(|t| t.elapsed() >= REFETCH_COOLDOWN)
        {
            keys.unknown_refetch = Some(Instant::now());
            true
        } else {
            false
        };
        if refetch && let Err(e) = self.fetch(&mut keys).await {
            // Keep serving the keys we have, and try again after the cooldown, not on every
            // request while Entente is unreachable.
            eprintln!("fetching Entente's JWKS failed: {e}");
            keys.fresh_until = Instant::now() + REFETCH_COOLDOWN;
        }
        keys.by_kid.get(kid).cloned()
    }

    /// The caller of a request bearing `token`, if Entente issued it for this API.
    pub async fn verify(&self, token: &str) -> Result<Caller, Refusal> {
        let invalid = |why: &str| Refusal::Invalid(why.to_owned());
        let head = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed token"))?;
        if head.typ.as_deref() != Some("at+jwt") {
            return Err(invalid("not an access token (typ at+jwt)"));
        }
        let kid = head.kid.ok_or_else(|| invalid("the token names no key"))?;
        let (key, alg) = self
            .key(&kid)
            .await
            .ok_or_else(|| invalid("signed by a key Entente does not publish"))?;
        if head.alg != alg {
            return Err(invalid("wrong algorithm for its key"));
        }
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = 30;
        jsonwebtoken::decode::<Caller>(token, &key, &v)
            .map(|d| d.claims)
            .map_err(|e| Refusal::Invalid(format!("the token is not valid here: {e}")))
    }

    /// The caller of a request, or why it is refused (the scope `needs` checked too).
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        needs: &'static str,
    ) -> Result<Caller, Refusal> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(Refusal::Missing)?;
        let caller = self.verify(token.trim()).await?;
        if caller.has_scope(needs) {
            Ok(caller)
        } else {
            Err(Refusal::InsufficientScope(needs))
        }
    }
}

async fn list_orders(
    State(v): State<Arc<Verifier>>,
    headers: HeaderMap,
) -> Result<axum::Json<serde_json::Value>, Refusal> {
    let caller = v.authorize(&headers, "orders:read").await?;
    Ok(axum::Json(serde_json::json!({
        "caller": caller.sub,
        "client_id": caller.client_id,
        "orders": [{"id": "o-1001", "status": "shipped"}],
    })))
}

async fn create_order(
    State(v): State<Arc<Verifier>>,
    headers: HeaderMap,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), Refusal> {
    let caller = v.authorize(&headers, "orders:write").await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(serde_json::json!({"id": "o-1002", "created_by": caller.sub})),
    ))
}

/// `GET /orders` needs `orders:read`; `POST /orders` needs `orders:write`.
pub fn router(v: Arc<Verifier>) -> Router {
    Router::new()
        .route("/orders", get(list_orders).post(create_order))
        .with_state(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_sits_where_rfc_8414_puts_it() {
        assert_eq!(
            metadata_url("https://id.example"),
            "https://id.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            metadata_url("https://id.example/sandbox"),
            "https://id.example/.well-known/oauth-authorization-server/sandbox"
        );
        assert_eq!(
            metadata_url("http://127.0.0.1:3000/"),
            "http://127.0.0.1:3000/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn scopes_are_whole_words() {
        let c = Caller {
            sub: "s".into(),
            client_id: "c".into(),
            scope: "orders:read orders:readall".into(),
        };
        assert!(c.has_scope("orders:read"));
        assert!(!c.has_scope("orders:write"));
        assert!(!c.has_scope("orders"));
    }
}
