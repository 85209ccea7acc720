//! Client authentication at the edge: gather what the request presented, then check it against
//! the in-memory snapshot (secrets by keyed hash, assertions by the client's registered keys).

use std::net::IpAddr;

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
/// replayed assertion all yield the same `invalid_client` (security case C32). Failures count
/// per presented client id and per source address; past the budget every attempt for that id
/// or from that address gets 429 until the block ends, whether the id exists or not.
pub async fn authenticate<'s>(
    state: &AppState,
    snapshot: &'s Snapshot,
    headers: &HeaderMap,
    form: &Form,
    address: Option<IpAddr>,
    now: i64,
) -> Result<&'s ClientEntry, OAuthError> {
    let presented = basic_credentials(headers).and_then(|basic| {
        client_auth::presented(AuthInputs {
            basic,
            client_id: form.get("client_id"),
            client_secret: form.get("client_secret"),
            client_assertion_type: form.get("client_assertion_type"),
            client_assertion: form.get("client_assertion"),
        })
    });
    let limiter = &state.limits.auth_failures;
    if limiter.any_blocked()
        && let Some(secs) = limiter.blocked_for(claimed_id(&presented, form).as_deref(), address)
    {
        metrics::counter!("entente_rate_limited_total", "policy" => "client_auth_failures")
            .increment(1);
        return Err(OAuthError::slow_down(secs));
    }
    let result = match &presented {
        Ok(p) => verify(state, snapshot, p, now).await,
        Err(e) => Err(e.clone()),
    };
    if let Err(e) = &result
        && e.code == entente_domain::OAuthErrorCode::InvalidClient
    {
        let claimed = claimed_id(&presented, form);
        for trip in limiter.failed(claimed.as_deref(), address) {
            crate::limits::record_trip(state, trip, now);
        }
        // The failure that goes over the budget is already answered as a block.
        if let Some(secs) = limiter.blocked_for(claimed.as_deref(), address) {
            return Err(OAuthError::slow_down(secs));
        }
    }
    result
}

/// The client id a request names (unverified): the key its failures count against.
fn claimed_id(presented: &Result<Presented, OAuthError>, form: &Form) -> Option<String> {
    match presented {
        Ok(Presented::Secret { client_id, .. }) => Some(client_id.clone()),
        Ok(Presented::Assertion {
            client_id: Some(id),
            ..
        }) => Some(id.clone()),
        Ok(Presented::Assertion { assertion, .. }) => unverified_issuer(assertion),
        Err(_) => form.get("client_id").map(str::to_owned),
    }
}

async fn verify<'s>(
    state: &AppState,
    snapshot: &'s Snapshot,
    presented: &Presented,
    now: i64,
) -> Result<&'s ClientEntry, OAuthError> {
    match presented {
        Presented::Secret {
            client_id, secret, ..
        } => {
            let Some(client) = snapshot.client(client_id) else {
                state.hasher.verify_nothing(secret);
                return Err(OAuthError::invalid_client());
            };
            client_auth::check_method(client.registered, presented)?;
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
            client_id,
            assertion,
        } => {
            let client = assertion_client(snapshot, client_id.as_deref(), assertion)?;
            client_auth::check_method(client.registered, presented)?;
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
            if state.remember_jti(&client.client_id, &jti, exp).await? {
                Ok(client)
            } else {
                Err(OAuthError::invalid_client())
            }
        }
    }
}

/// The `iss` of an assertion, unverified: only a key for counting failures.
fn unverified_issuer(assertion: &str) -> Option<String> {
    if assertion.len() > jws::MAX_TOKEN_LEN {
        return None;
    }
    jsonwebtoken::dangerous::insecure_decode_claims::<serde_json::Value>(assertion)
        .ok()
        .and_then(|c| c.get("iss").and_then(|v| v.as_str()).map(str::to_owned))
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
