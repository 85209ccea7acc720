//! The playground's two services: a token request through the sandbox's real token endpoint
//! handler, and the checks a sandbox resource server would make of the token it returned.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use base64::Engine;
use entente_domain::environment::Environment;
use entente_domain::forwarded::ClientAddr;
use entente_domain::grant::Catalog;
use entente_domain::jws::OneOrMany;

use crate::state::{AppState, now};

/// The response headers a client reads (the rest are the console's own).
const SHOWN: [&str; 6] = [
    "content-type",
    "cache-control",
    "pragma",
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
];

/// A token response is a few kilobytes; anything longer is cut for display.
const MAX_BODY: usize = 64 * 1024;

pub async fn token_request(
    state: AppState,
    client_id: String,
    client_secret: String,
    form: Vec<(String, String)>,
    address: Option<std::net::IpAddr>,
) -> app::ssr::TrialResponse {
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        enc(&client_id),
        enc(&client_secret)
    ));
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("Basic {basic}")) {
        headers.insert(header::AUTHORIZATION, v);
    }
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    // The endpoint's own staleness guard, as the route applies it.
    let res = if state.stale() {
        use axum::response::IntoResponse;
        crate::http::errors::ErrorResponse(entente_domain::OAuthError::new(
            entente_domain::OAuthErrorCode::TemporarilyUnavailable,
            "this replica cannot reach its database; try again shortly",
        ))
        .into_response()
    } else {
        crate::oauth::token::token(
            State(state),
            Some(Extension(Environment::Sandbox)),
            address.map(|a| Extension(ClientAddr(a))),
            headers,
            Body::from(body),
        )
        .await
    };
    let status = res.status().as_u16();
    let headers = SHOWN
        .iter()
        .filter_map(|name| {
            res.headers()
                .get(*name)
                .and_then(|v| v.to_str().ok())
                .map(|v| ((*name).to_owned(), v.to_owned()))
        })
        .collect();
    let bytes = axum::body::to_bytes(res.into_body(), MAX_BODY)
        .await
        .unwrap_or_default();
    app::ssr::TrialResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// Signature by a published sandbox key, issuer, lifetime, audience and revocation, in order;
/// the later checks need the claims the signature vouches for.
pub fn inspect(state: &AppState, token: &str) -> Vec<(String, bool, String)> {
    let mut checks = vec![];
    let Some(claims) =
        crate::oauth::issue::verify_access_token(state, Environment::Sandbox, token, now())
    else {
        checks.push((
            "signature".into(),
            false,
            "not an access token (typ at+jwt) signed by a published sandbox key".into(),
        ));
        return checks;
    };
    checks.push((
        "signature".into(),
        true,
        "signed by a key in the sandbox JWKS; typ at+jwt".into(),
    ));
    let issuer = state.issuer_of(Environment::Sandbox);
    checks.push((
        "issuer".into(),
        claims.iss == issuer,
        format!("iss is {} (the sandbox's is {issuer})", claims.iss),
    ));
    let t = now();
    checks.push((
        "lifetime".into(),
        claims.exp > t,
        if claims.exp > t {
            format!("expires in {} s", claims.exp - t)
        } else {
            format!("expired {} s ago", t - claims.exp)
        },
    ));
    let snapshot = state.snapshot();
    let auds: Vec<&String> = match &claims.aud {
        OneOrMany::One(a) => vec![a],
        OneOrMany::Many(all) => all.iter().collect(),
    };
    let sandbox = auds.iter().all(|a| {
        snapshot
            .audience_by_identifier(a)
            .is_some_and(|v| v.environment == Environment::Sandbox)
    });
    checks.push((
        "audience".into(),
        sandbox,
        format!(
            "aud {} {}",
            auds.iter()
                .map(|a| a.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            if sandbox {
                "is a sandbox audience"
            } else {
                "is not a sandbox audience"
            }
        ),
    ));
    let revoked = state.is_revoked_in(&snapshot, &claims);
    checks.push((
        "revocation".into(),
        !revoked,
        if revoked {
            "revoked".into()
        } else {
            "not revoked".into()
        },
    ));
    checks
}
