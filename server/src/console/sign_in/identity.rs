//! Who signed in, by the provider's word: its ID token verified with its own keys and checked,
//! completed from its UserInfo endpoint when the token lacks the e-mail address.

use axum::http::header;
use entente_domain::sso::{self, IdTokenClaims, ProviderEndpoints, ProviderUser};
use entente_store::entities::partner_sign_in;
use oauth2::TokenResponse;

use super::provider::ProviderTokens;
use crate::state::AppState;

/// The user the provider's tokens name, once every check passed.
pub(super) async fn provider_user(
    state: &AppState,
    partner_id: &str,
    s: &partner_sign_in::Model,
    endpoints: &ProviderEndpoints,
    tokens: &ProviderTokens,
    nonce: &str,
    t: i64,
) -> Result<ProviderUser, String> {
    let id_token = tokens
        .extra_fields()
        .id_token
        .clone()
        .ok_or_else(|| "the provider sent no ID token".to_owned())?;
    let mut claims = verify_id_token(state, partner_id, endpoints, &id_token, t).await?;
    sso::check_id_token_identity(&claims, &s.issuer, &s.client_id, nonce, t)?;
    // Claims asked for by scope may be at the UserInfo endpoint only (Core §5.4).
    if claims.email.is_none()
        && let Some(userinfo) = &endpoints.userinfo_endpoint
    {
        let info = fetch_userinfo(state, userinfo, tokens.access_token().secret()).await?;
        sso::merge_userinfo(&mut claims, &info)?;
    }
    sso::check_id_token(&claims, &s.issuer, &s.client_id, nonce, t)
}

/// The ID token's signature, by a key of the provider's JWKS (cached like trusted issuers'
/// keys, refetched on an unknown `kid`) under the key's own algorithm.
async fn verify_id_token(
    state: &AppState,
    partner_id: &str,
    endpoints: &ProviderEndpoints,
    id_token: &str,
    t: i64,
) -> Result<IdTokenClaims, String> {
    use entente_domain::{jwks, jws};
    let header = jws::peek_header(id_token).map_err(|e| format!("the ID token: {e}"))?;
    let kid = header.kid.as_deref();
    if kid.is_some_and(|k| !jws::sane_kid(k)) {
        return Err("the ID token names an odd key".into());
    }
    // Keyed by the JWKS address too: a partner that switches provider drops the old keys.
    let keys = state
        .issuer_keys
        .keys(
            &format!("sso:{partner_id}:{}", endpoints.jwks_uri),
            &endpoints.jwks_uri,
            kid,
            endpoints.rsa_default,
            t,
        )
        .await;
    let key = jwks::select(&keys, kid).ok_or("the ID token's key is not in the provider's JWKS")?;
    jws::verify(id_token, &key.key, key.alg).map_err(|e| format!("the ID token: {e}"))
}

/// The UserInfo response (Core §5.3), with the access token the provider just issued, through
/// the guarded client that follows no redirects; at most 64 KiB.
async fn fetch_userinfo(
    state: &AppState,
    url: &str,
    access_token: &str,
) -> Result<serde_json::Value, String> {
    let url = crate::state::issuer_keys::ssrf::check_url(url, state.issuer_keys.policy())
        .map_err(|e| e.replace("JWKS URL", "UserInfo endpoint"))?;
    let r = state
        .issuer_keys
        .poster()
        .get(url)
        .bearer_auth(access_token)
        .header(header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| {
            format!(
                "the provider's UserInfo endpoint: {}",
                crate::state::issuer_keys::unreachable::cause(&e)
            )
        })?;
    if !r.status().is_success() {
        return Err(format!("the UserInfo endpoint answered {}", r.status()));
    }
    let mut r = r;
    let mut body = Vec::new();
    while let Some(chunk) = r
        .chunk()
        .await
        .map_err(|e| format!("the UserInfo response: {e}"))?
    {
        if body.len() + chunk.len() > 64 * 1024 {
            return Err("the UserInfo response is larger than 64 KiB".into());
        }
        body.extend_from_slice(&chunk);
    }
    // A repeated member (two `email`s) would let one of them win silently (A14).
    entente_domain::json_strict::check(&body).map_err(|e| format!("the UserInfo response: {e}"))?;
    serde_json::from_slice(&body)
        .map_err(|_| "the UserInfo response is not JSON (signed UserInfo is not supported)".into())
}
