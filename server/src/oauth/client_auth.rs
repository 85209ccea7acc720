//! Client authentication at the edge: gather what the request presented, then check it against
//! the in-memory snapshot (secrets by keyed hash, assertions by the client's registered keys).

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entente_domain::OAuthError;
use entente_domain::client_auth::{self, AssertionClaims, AssertionRules, AuthInputs, Presented};
use entente_domain::jws;

use super::form::Form;
use crate::state::AppState;
use crate::state::snapshot::{ClientEntry, Snapshot};

/// Decodes `Authorization: Basic` (RFC 6749 §2.3.1: id and secret are form-urlencoded first).
/// A malformed header is a failed authentication (401), not a server error.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, String)>, OAuthError> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().map_err(|_| OAuthError::invalid_client())?;
    let Some((scheme, rest)) = v.split_once(' ') else {
        return Err(OAuthError::invalid_client());
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(OAuthError::invalid_client());
    }
    let raw = STANDARD
        .decode(rest.trim())
        .map_err(|_| OAuthError::invalid_client())?;
    let text = String::from_utf8(raw).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = text
        .split_once(':')
        .ok_or_else(OAuthError::invalid_client)?;
    let dec = |s: &str| {
        form_urlencoded::parse(format!("v={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((dec(id), dec(secret))))
}

/// Authenticates the calling client. Unknown id, wrong secret, wrong method, bad assertion and
/// replayed assertion all yield the same `invalid_client` (security case C32).
pub async fn authenticate<'s>(
    state: &AppState,
    snapshot: &'s Snapshot,
    headers: &HeaderMap,
    form: &Form,
    now: i64,
) -> Result<&'s ClientEntry, OAuthError> {
    let presented = client_auth::presented(AuthInputs {
        basic: basic_credentials(headers)?,
        client_id: form.get("client_id"),
        client_secret: form.get("client_secret"),
        client_assertion_type: form.get("client_assertion_type"),
        client_assertion: form.get("client_assertion"),
    })?;
    match presented {
        Presented::Secret {
            ref client_id,
            ref secret,
            ..
        } => {
            let Some(client) = snapshot.client(client_id) else {
                state.hasher.verify_nothing(secret);
                return Err(OAuthError::invalid_client());
            };
            client_auth::check_method(client.registered, &presented)?;
            // Check every live secret (rotation grace) without short-circuiting on the first match.
            let ok = client
                .secret_hashes
                .iter()
                .fold(false, |acc, h| state.hasher.verify(secret, h) | acc);
            if !ok {
                return Err(OAuthError::invalid_client());
            }
            Ok(client)
        }
        Presented::Assertion {
            ref client_id,
            ref assertion,
        } => {
            let client = assertion_client(snapshot, client_id.as_deref(), assertion)?;
            client_auth::check_method(client.registered, &presented)?;
            let header = jws::peek_header(assertion).map_err(|_| OAuthError::invalid_client())?;
            if !client_auth::assertion_typ_allowed(header.typ.as_deref()) {
                return Err(OAuthError::invalid_client());
            }
            if header.kid.as_deref().is_some_and(|k| !jws::sane_kid(k)) {
                return Err(OAuthError::invalid_client());
            }
            let key = entente_domain::jwks::select(&client.keys, header.kid.as_deref())
                .ok_or_else(OAuthError::invalid_client)?;
            let claims: AssertionClaims = jws::verify(assertion, &key.key, key.alg)
                .map_err(|_| OAuthError::invalid_client())?;
            let (jti, exp) = client_auth::check_assertion(
                &claims,
                &client.client_id,
                &state.issuer,
                AssertionRules::default(),
                now,
            )?;
            match state
                .store
                .remember_assertion(&client.client_id, &jti, exp)
                .await
            {
                Ok(true) => Ok(client),
                Ok(false) => Err(OAuthError::invalid_client()),
                Err(e) => {
                    tracing::error!(error = %e, "replay cache unavailable; refusing the assertion");
                    Err(OAuthError::unavailable())
                }
            }
        }
    }
}

/// The client an assertion is for: `client_id` if sent, else the (unverified) `iss`, which
/// the verified claims must then repeat.
fn assertion_client<'s>(
    snapshot: &'s Snapshot,
    client_id: Option<&str>,
    assertion: &str,
) -> Result<&'s ClientEntry, OAuthError> {
    if assertion.len() > jws::MAX_TOKEN_LEN {
        return Err(OAuthError::invalid_client());
    }
    let id = match client_id {
        Some(id) => id.to_owned(),
        None => jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(assertion)
            .ok()
            .and_then(|c| c.get("iss").and_then(|v| v.as_str()).map(str::to_owned))
            .ok_or_else(OAuthError::invalid_client)?,
    };
    snapshot.client(&id).ok_or_else(OAuthError::invalid_client)
}
