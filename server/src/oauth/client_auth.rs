//! Client authentication at the edge: gather what the request presented, then check it against
//! the in-memory snapshot (secrets by keyed hash, assertions by the client's registered keys).

use std::net::IpAddr;

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use entente_domain::OAuthError;
use entente_domain::client_auth::{self, AssertionClaims, AssertionRules, AuthInputs, Presented};
use entente_domain::environment::Environment;
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

/// A client whose credentials checked out. An assertion's `jti` is not yet remembered: `confirm`
/// does that after the rate limits, so that a refused request does not use the assertion up;
/// only `confirm` hands out the client to act for.
#[must_use = "pass it to `confirm`: an assertion's jti is remembered there"]
pub struct Authenticated<'s> {
    client: &'s ClientEntry,
    replay: Option<(String, i64)>,
    address: Option<IpAddr>,
}

/// Authenticates the calling client. Unknown id, wrong secret, wrong method, bad assertion and
/// replayed assertion all yield the same `invalid_client` (security case C32). Failures count
/// per presented client id and per source address. An address over its budget is refused (429)
/// before anything is checked; over a client id's budget, failures are answered 429 while
/// correct credentials still pass, so nobody can lock a partner's client out by guessing at its
/// id. Known and unknown ids are treated alike throughout.
#[tracing::instrument(level = "debug", name = "client_authentication", skip_all)]
pub async fn authenticate<'s>(
    state: &AppState,
    snapshot: &'s Snapshot,
    env: Environment,
    headers: &HeaderMap,
    form: &Form,
    address: Option<IpAddr>,
    now: i64,
) -> Result<Authenticated<'s>, OAuthError> {
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
        && let Some(secs) = limiter.blocked_for(None, address)
    {
        metrics::counter!("entente_rate_limited_total", "policy" => "client_auth_failures")
            .increment(1);
        return Err(OAuthError::slow_down(secs));
    }
    let result = match &presented {
        Ok(p) => verify(state, snapshot, env, p, now).await,
        Err(e) => Err(e.clone()),
    };
    match result {
        // Right credentials at the other environment's endpoint: said plainly (not a failure).
        Ok((client, _)) if client.environment != env => {
            Err(OAuthError::unauthorized_client(format!(
                "this client belongs to {}: call {}/oauth2/token (and that environment's other endpoints)",
                client.environment,
                state.issuer_of(client.environment)
            )))
        }
        Ok((client, replay)) => Ok(Authenticated {
            client,
            replay,
            address,
        }),
        Err(e) if e.code == entente_domain::OAuthErrorCode::InvalidClient => Err(failed(
            state,
            claimed_id(&presented, form).as_deref(),
            address,
            now,
            e,
        )),
        Err(e) => Err(e),
    }
}

impl<'s> Authenticated<'s> {
    /// The client, for choosing its rate limits (not yet for acting on its behalf).
    pub fn rate_subject(&self) -> &'s ClientEntry {
        self.client
    }
}

/// After the rate limits: remembers the assertion's `jti`; a replay fails like any bad
/// credential (and counts as a failure).
pub async fn confirm<'s>(
    state: &AppState,
    auth: Authenticated<'s>,
    now: i64,
) -> Result<&'s ClientEntry, OAuthError> {
    if let Some((jti, exp)) = &auth.replay
        && !state
            .remember_jti(&auth.client.client_id, jti, *exp)
            .await?
    {
        return Err(failed(
            state,
            Some(&auth.client.client_id),
            auth.address,
            now,
            OAuthError::invalid_client(),
        ));
    }
    Ok(auth.client)
}

/// Counts a failed authentication; the answer is 429 once the id or address is over budget.
fn failed(
    state: &AppState,
    claimed: Option<&str>,
    address: Option<IpAddr>,
    now: i64,
    e: OAuthError,
) -> OAuthError {
    let limiter = &state.limits.auth_failures;
    for trip in limiter.failed(claimed, address) {
        state.limits.record_trip(&state.store, trip, now);
    }
    match limiter.blocked_for(claimed, address) {
        Some(secs) => {
            metrics::counter!("entente_rate_limited_total", "policy" => "client_auth_failures")
                .increment(1);
            OAuthError::slow_down(secs)
        }
        None => e,
    }
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

/// Checks the credentials; for an assertion, also its `jti` and `exp` (remembered by `confirm`).
async fn verify<'s>(
    state: &AppState,
    snapshot: &'s Snapshot,
    env: Environment,
    presented: &Presented,
    now: i64,
) -> Result<(&'s ClientEntry, Option<(String, i64)>), OAuthError> {
    match presented {
        Presented::Secret {
            client_id, secret, ..
        } => {
            let Some(client) = snapshot.client(client_id) else {
                state.hasher.verify_nothing(secret);
                return Err(OAuthError::invalid_client());
            };
            client_auth::check_method(client.registered, presented)?;
            // Check every secret (rotation overlap) without short-circuiting on the first match;
            // one whose overlap has ended counts for nothing even before the catalog reloads.
            let ok = client.secret_hashes.iter().fold(false, |acc, (h, until)| {
                (state.hasher.verify(secret, h) && until.is_none_or(|t| t > now)) | acc
            });
            if !ok {
                return Err(OAuthError::invalid_client());
            }
            Ok((client, None))
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
            let fetched;
            let keys: &[entente_domain::jwks::VerifyingKey] = match &client.keys_uri {
                Some((cache_key, uri)) => {
                    fetched = state
                        .issuer_keys
                        .keys(cache_key, uri, header.kid.as_deref(), None, now)
                        .await;
                    &fetched
                }
                None => client.keys.as_slice(),
            };
            let key = entente_domain::jwks::select(keys, header.kid.as_deref())
                .ok_or_else(OAuthError::invalid_client)?;
            let claims: AssertionClaims = jws::verify(assertion, &key.key, key.alg)
                .map_err(|_| OAuthError::invalid_client())?;
            let (jti, exp) = client_auth::check_assertion(
                &claims,
                &client.client_id,
                state.issuer_of(env),
                AssertionRules::default(),
                now,
            )?;
            Ok((client, Some((jti, exp))))
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
