//! Where a partner's provider is: its discovery document, fetched through the SSRF guard,
//! checked, and remembered for a few minutes.

use entente_domain::sso::{self, ProviderEndpoints};

use crate::state::AppState;

/// How long a provider's checked discovery document is used before it is fetched again.
const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// Providers remembered at once (one per partner with single sign-on; more are fetched anew).
const DISCOVERY_CACHED: usize = 1_000;

type DiscoveryCache = std::collections::HashMap<String, (std::time::Instant, ProviderEndpoints)>;

/// Where a provider's discovery document is (OpenID Connect Discovery 1.0 §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

fn discovery_cache(state: &AppState) -> std::sync::MutexGuard<'_, DiscoveryCache> {
    match state.sso_discovery.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Fetches and checks a provider's discovery document now, and remembers the endpoints.
async fn discover(state: &AppState, issuer: &str) -> Result<ProviderEndpoints, String> {
    let doc = state
        .issuer_keys
        .fetch_json(&discovery_url(issuer))
        .await
        .map_err(|e| format!("the provider's discovery document: {e}"))?;
    let e = sso::check_discovery(&doc, issuer, state.issuer_keys.policy().allow_insecure)?;
    // The token endpoint receives our client secret: the same SSRF rules as partner keys.
    for url in [&e.authorization_endpoint, &e.token_endpoint] {
        crate::state::issuer_keys::ssrf::check_url(url, state.issuer_keys.policy())
            .map_err(|why| why.replace("JWKS URL", "provider's endpoint"))?;
    }
    let mut cache = discovery_cache(state);
    let fetched = std::time::Instant::now();
    if cache.len() >= DISCOVERY_CACHED {
        cache.retain(|_, (at, _)| at.elapsed() < DISCOVERY_TTL);
    }
    if cache.len() < DISCOVERY_CACHED {
        cache.insert(issuer.to_owned(), (fetched, e.clone()));
    }
    Ok(e)
}

/// The provider's endpoints: from its discovery document fetched in the last five minutes, or
/// fetched now. Starting a sign-in costs no request to the provider each time (review L-1).
pub(super) async fn endpoints(state: &AppState, issuer: &str) -> Result<ProviderEndpoints, String> {
    let cached = discovery_cache(state)
        .get(issuer)
        .filter(|(at, _)| at.elapsed() < DISCOVERY_TTL)
        .map(|(_, e)| e.clone());
    match cached {
        Some(e) => Ok(e),
        None => discover(state, issuer).await,
    }
}

/// Checks a provider before it is saved: its discovery document answers, names the issuer and
/// offers the code flow with S256.
/// The document is always fetched anew here, and replaces the cached one.
pub async fn check_provider(state: &AppState, issuer: &str) -> Result<(), String> {
    discover(state, issuer).await.map(|_| ())
}
