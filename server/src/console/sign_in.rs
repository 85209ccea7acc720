//! Federated sign-in of partner users through their organisation's OpenID Connect provider:
//! authorization code with PKCE (S256), state and nonce, using the `oauth2` crate over the same
//! SSRF-guarded client that fetches partner keys. The ID token is verified with the provider's
//! keys from the same JWKS cache as trusted issuers, and checked by `entente_domain::sso`.
//!
//! What must survive the trip to the provider (state, nonce, PKCE verifier, partner) travels
//! sealed under the master key in a short-lived `SameSite=Lax` cookie scoped to `/login/sso`:
//! the console's session cookie is `SameSite=Strict`, so a browser coming back from the
//! provider would not send it, and a sealed cookie works on whichever replica answers.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_domain::forwarded::ClientAddr;
use entente_domain::sso::{self, Flow, IdTokenClaims, ProviderEndpoints};
use entente_store::Actor;
use entente_store::entities::partner_sign_in;
use entente_store::enums::PartnerStage;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse,
};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use tower_sessions::cookie::{Cookie, SameSite};

use crate::state::{AppState, now};

const FLOW_COOKIE: &str = "entente_sso";
pub const START_PATH: &str = "/login/sso";
pub const CALLBACK_PATH: &str = "/login/sso/callback";
const FLOW_CONTEXT: &str = "sso-flow";

/// The sealing context of a partner's provider client secret.
pub fn secret_context(partner_id: &str) -> String {
    format!("sso-client-secret:{partner_id}")
}

/// Where a provider's discovery document is (OpenID Connect Discovery 1.0 §4).
pub fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    #[serde(default)]
    id_token: Option<String>,
}

impl ExtraTokenFields for IdTokenField {}

type ProviderTokens = StandardTokenResponse<IdTokenField, BasicTokenType>;
type ProviderClient = oauth2::Client<
    BasicErrorResponse,
    ProviderTokens,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why a sign-in went back to the sign-in page; the page says it in a sentence, the log and
/// the audit trail say what happened.
#[derive(Debug)]
enum Failure {
    /// No such organisation, no provider set up, or it is off.
    Unavailable,
    /// The sealed flow is missing, expired, or its state does not match.
    Expired(String),
    /// The provider refused, or its answer failed a check.
    Refused(String),
    /// Signed in at the provider, but not a member here.
    Denied(String),
    Throttled,
}

impl Failure {
    fn code(&self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Expired(_) => "expired",
            Self::Refused(_) => "refused",
            Self::Denied(_) => "denied",
            Self::Throttled => "throttled",
        }
    }

    fn detail(&self) -> &str {
        match self {
            Self::Expired(d) | Self::Refused(d) | Self::Denied(d) => d,
            Self::Unavailable => "single sign-on is not available",
            Self::Throttled => "too many attempts",
        }
    }
}

fn https(state: &AppState) -> bool {
    state.issuer.starts_with("https://")
}

fn flow_cookie(state: &AppState, value: String, max_age: i64) -> String {
    Cookie::build((FLOW_COOKIE, value))
        .path(START_PATH)
        .http_only(true)
        .secure(https(state))
        .same_site(SameSite::Lax)
        .max_age(tower_sessions::cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

/// Back to the sign-in page with a reason code; the flow cookie is dropped.
fn back(state: &AppState, f: &Failure) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, format!("/login?sso={}", f.code())),
            (header::SET_COOKIE, flow_cookie(state, String::new(), 0)),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
    )
        .into_response()
}

/// How long a provider's checked discovery document is used before it is fetched again.
const DISCOVERY_TTL: std::time::Duration = std::time::Duration::from_secs(300);
/// Providers remembered at once (one per partner with single sign-on; more are fetched anew).
const DISCOVERY_CACHED: usize = 1_000;

type DiscoveryCache = std::collections::HashMap<String, (std::time::Instant, ProviderEndpoints)>;

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
async fn endpoints(state: &AppState, issuer: &str) -> Result<ProviderEndpoints, String> {
    let cached = discovery_cache(state)
        .get(issuer)
        .filter(|(at, _)| at.elapsed() < DISCOVERY_TTL)
        .map(|(_, e)| e.clone());
    match cached {
        Some(e) => Ok(e),
        None => discover(state, issuer).await,
    }
}

/// The provider's endpoints (from its discovery document, cached for five minutes) and a
/// client for them.
async fn provider(
    state: &AppState,
    s: &partner_sign_in::Model,
) -> Result<(ProviderClient, ProviderEndpoints), String> {
    let e = endpoints(state, &s.issuer).await?;
    let secret = state
        .master
        .open(&s.client_secret_sealed, &secret_context(&s.partner_id))
        .map_err(|_| "the provider's client secret cannot be opened with this master key")?;
    let secret =
        String::from_utf8(secret).map_err(|_| "the provider's client secret is not text")?;
    let bad = |what: &str| format!("the provider's {what} is not a URL");
    let client = oauth2::Client::<
        BasicErrorResponse,
        ProviderTokens,
        BasicTokenIntrospectionResponse,
        StandardRevocableToken,
        BasicRevocationErrorResponse,
    >::new(ClientId::new(s.client_id.clone()))
    .set_client_secret(ClientSecret::new(secret))
    .set_auth_uri(
        AuthUrl::new(e.authorization_endpoint.clone())
            .map_err(|_| bad("authorization endpoint"))?,
    )
    .set_token_uri(
        oauth2::TokenUrl::new(e.token_endpoint.clone()).map_err(|_| bad("token endpoint"))?,
    )
    .set_redirect_uri(
        RedirectUrl::new(format!("{}{CALLBACK_PATH}", state.issuer))
            .map_err(|_| "Entente's issuer is not a URL".to_owned())?,
    );
    Ok((client, e))
}

/// Checks a provider before it is saved: its discovery document answers, names the issuer and
/// offers the code flow with S256.
/// The document is always fetched anew here, and replaces the cached one.
pub async fn check_provider(state: &AppState, issuer: &str) -> Result<(), String> {
    discover(state, issuer).await.map(|_| ())
}

#[derive(Debug, Deserialize)]
pub struct Start {
    #[serde(default)]
    organisation: String,
}

/// `GET /login/sso?organisation=<partner slug>`: off to the partner's provider.
pub async fn start(
    State(state): State<AppState>,
    addr: Option<Extension<ClientAddr>>,
    Query(q): Query<Start>,
) -> Response {
    let org = q.organisation.trim().to_ascii_lowercase();
    let addr = addr.map(|Extension(a)| a.0);
    // Per source address only: starting a sign-in proves nothing and guesses nothing, and a
    // whole organisation may sign in at nine o'clock.
    if !state.sso_throttle.allow_address(addr) {
        return back(&state, &Failure::Throttled);
    }
    match begin(&state, &org).await {
        // A page that moves on by itself rather than a redirect: the sign-in form's submission
        // may only lead to this origin (CSP form-action 'self'), and browsers apply that to
        // the redirects that follow it.
        Ok((url, cookie)) => {
            let url = html_escape(&url);
            (
                StatusCode::OK,
                [
                    (header::SET_COOKIE, cookie),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                    (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
                ],
                format!(
                    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                     <meta http-equiv=\"refresh\" content=\"0;url={url}\">\
                     <title>Signing in</title></head><body><p>Continuing to your organisation's \
                     identity provider. <a href=\"{url}\">Continue</a></p></body></html>"
                ),
            )
                .into_response()
        }
        Err(f) => {
            tracing::info!(organisation = %org, reason = f.detail(), "federated sign-in not started");
            back(&state, &f)
        }
    }
}

async fn begin(state: &AppState, org: &str) -> Result<(String, String), Failure> {
    let p = state
        .store
        .partner_by_slug(org)
        .await
        .map_err(|_| Failure::Unavailable)?;
    // The partner holding the admin API's clients has no sign-in: it is the host's.
    if p.stage == PartnerStage::Offboarded || p.host_only {
        return Err(Failure::Unavailable);
    }
    let s = state
        .store
        .partner_sign_in(&p.id)
        .await
        .map_err(|_| Failure::Unavailable)?
        .filter(|s| s.enabled)
        .ok_or(Failure::Unavailable)?;
    let (client, _) = provider(state, &s).await.map_err(Failure::Refused)?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = entente_domain::secret::random_token(32);
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("email".into()))
        .add_extra_param("nonce", nonce.clone())
        .set_pkce_challenge(challenge)
        .url();
    let flow = Flow {
        partner_id: p.id,
        state: csrf.secret().clone(),
        nonce,
        pkce_verifier: verifier.secret().clone(),
        expires_at: now() + sso::FLOW_LIFETIME,
    };
    let plain = serde_json::to_vec(&flow).map_err(|e| Failure::Refused(e.to_string()))?;
    let sealed = URL_SAFE_NO_PAD.encode(state.master.seal(&plain, FLOW_CONTEXT));
    Ok((
        url.to_string(),
        flow_cookie(state, sealed, sso::FLOW_LIFETIME),
    ))
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer that answered, when the provider says.
    iss: Option<String>,
}

/// `GET /login/sso/callback`: the provider sends the browser back with a code.
pub async fn callback(
    State(state): State<AppState>,
    session: Session,
    addr: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Query(q): Query<Callback>,
) -> Response {
    let address = addr.map(|Extension(a)| a.0);
    let source = address.map(|a| a.to_string());
    // Each callback costs requests to the provider and an audit row: per source address, as
    // sign-ins are.
    if !state.sso_throttle.allow_address(address) {
        return back(&state, &Failure::Throttled);
    }
    match finish(&state, &session, source.clone(), &headers, q).await {
        // A page that moves on by itself: a redirect would keep the navigation cross-site
        // (it started at the provider), and the browser would not send the new Strict cookie.
        Ok(()) => (
            StatusCode::OK,
            [
                (header::SET_COOKIE, flow_cookie(&state, String::new(), 0)),
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned()),
            ],
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta http-equiv=\"refresh\" content=\"0;url=/portal\"><title>Signed in</title></head>\
             <body><p>Signed in. <a href=\"/portal\">Continue to the portal</a>.</p></body></html>",
        )
            .into_response(),
        Err((f, partner, stage)) => {
            tracing::warn!(reason = f.detail(), "federated sign-in failed");
            // At most one event a minute per source address and partner for refusals anyone
            // can cause (no code from the provider yet), twenty for later ones: a flood of
            // made-up callbacks cannot push the partner's real events out of its activity.
            let noted = partner.filter(|slug| {
                let key = format!(
                    "sso-failed {slug} {}",
                    address.map_or_else(String::new, |a| {
                        entente_domain::forwarded::throttle_key(a).to_string()
                    })
                );
                let rare = stage == Stage::BeforeExchange;
                let note = state.sso_throttle.note(&key, rare);
                if !note {
                    tracing::info!(partner = %slug, "sign-in failure not audited: too many from this address");
                }
                note
            });
            if let Some(slug) = noted {
                let actor = Actor::new("sso").with_source(source);
                if let Err(e) = state
                    .store
                    .record_event(
                        &actor,
                        entente_domain::audit::AuditAction::SessionSignInFailed,
                        &format!("partner:{slug}"),
                        serde_json::json!({"method": "federated", "reason": f.detail()}),
                        now(),
                    )
                    .await
                {
                    tracing::error!(error = %e, "writing a sign-in audit event failed");
                }
            }
            back(&state, &f)
        }
    }
}

/// For an attribute value.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn read_flow(state: &AppState, headers: &HeaderMap) -> Option<Flow> {
    let raw = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()))
        .filter_map(Result::ok)
        .find(|c| c.name() == FLOW_COOKIE)?;
    let sealed = URL_SAFE_NO_PAD.decode(raw.value()).ok()?;
    let plain = state.master.open(&sealed, FLOW_CONTEXT).ok()?;
    serde_json::from_slice(&plain).ok()
}

/// Flow states remembered for one partner at once (sign-ins whose code exchange is under way
/// or done, until their flow expires).
const REMEMBERED_PER_PARTNER: usize = 2_000;
/// And for every partner together, bounding memory.
const REMEMBERED: usize = 100_000;

fn remembered(
    state: &AppState,
) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, i64>> {
    match state.sso_used.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// The key a flow state is remembered under: per partner, so that a partner's budget can be
/// counted (states are random: no partner can guess another's).
fn used_key(partner_id: &str, flow_state: &str) -> String {
    format!("{partner_id}/{flow_state}")
}

/// Records `flow_state` of `partner_id` as used, just before its code is exchanged; false when
/// it was (or when too many of this partner's flows are in flight to remember another: then
/// that partner's people wait a moment rather than replays being possible). Only flows whose
/// sealed cookie and state verified reach here, so nobody fills a partner's budget with
/// made-up states, nor another partner's at all (review L-1).
fn first_use(
    state: &AppState,
    partner_id: &str,
    flow_state: &str,
    expires_at: i64,
    now: i64,
) -> bool {
    let key = used_key(partner_id, flow_state);
    let prefix = format!("{partner_id}/");
    let mut used = remembered(state);
    used.retain(|_, exp| *exp >= now);
    if used.contains_key(&key)
        || used.len() >= REMEMBERED
        || used.keys().filter(|k| k.starts_with(&prefix)).count() >= REMEMBERED_PER_PARTNER
    {
        return false;
    }
    used.insert(key, expires_at);
    true
}

/// Forgets a flow whose code the provider refused: nothing was signed in, so the state need
/// not be kept (a made-up code spends none of the partner's budget), and the flow's own code,
/// bound to its PKCE verifier, may still arrive.
fn release(state: &AppState, partner_id: &str, flow_state: &str) {
    remembered(state).remove(&used_key(partner_id, flow_state));
}

fn same(a: &str, b: &str) -> bool {
    #[allow(deprecated)]
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// Whether a failure came before the provider's token endpoint accepted a code (anyone can
/// cause those at will), or after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    BeforeExchange,
    AfterExchange,
}

type Finish = Result<(), (Failure, Option<String>, Stage)>;

async fn finish(
    state: &AppState,
    session: &Session,
    source: Option<String>,
    headers: &HeaderMap,
    q: Callback,
) -> Finish {
    let t = now();
    let early = |f: Failure| (f, None, Stage::BeforeExchange);
    let flow = read_flow(state, headers).ok_or_else(|| {
        early(Failure::Expired(
            "no sign-in in progress in this browser".into(),
        ))
    })?;
    if flow.expires_at < t {
        return Err(early(Failure::Expired("the sign-in took too long".into())));
    }
    if !q.state.as_deref().is_some_and(|s| same(s, &flow.state)) {
        return Err(early(Failure::Expired("the state does not match".into())));
    }
    let p = state
        .store
        .partner_by_id(&flow.partner_id)
        .await
        .map_err(|_| early(Failure::Unavailable))?;
    let slug = Some(p.slug.clone());
    let before = |f: Failure| (f, slug.clone(), Stage::BeforeExchange);
    let fail = |f: Failure| (f, slug.clone(), Stage::AfterExchange);
    if let Some(e) = q.error {
        let e: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(before(Failure::Refused(format!(
            "the provider answered {e}"
        ))));
    }
    // The partner holding the admin API's clients has no sign-in: it is the host's.
    if p.stage == PartnerStage::Offboarded || p.host_only {
        return Err(before(Failure::Unavailable));
    }
    let s = state
        .store
        .partner_sign_in(&p.id)
        .await
        .ok()
        .flatten()
        .filter(|s| s.enabled)
        .ok_or_else(|| before(Failure::Unavailable))?;
    let code = q
        .code
        .ok_or_else(|| before(Failure::Refused("the provider sent no code".into())))?;
    // RFC 9207 §2.4: an answer naming another issuer is a mix-up; refuse it.
    if q.iss.as_deref().is_some_and(|iss| iss != s.issuer) {
        return Err(before(Failure::Refused(
            "the answer names another issuer (RFC 9207)".into(),
        )));
    }
    let (client, endpoints) = provider(state, &s)
        .await
        .map_err(|e| before(Failure::Refused(e)))?;
    // A flow is used once: a copied cookie cannot be played again on this replica. Recorded
    // only now, with the cookie and state verified and a code to exchange.
    if !first_use(state, &p.id, &flow.state, flow.expires_at, t) {
        return Err(before(Failure::Expired(
            "this sign-in was already completed or is busy".into(),
        )));
    }
    let tokens = match client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(state.issuer_keys.poster())
        .await
    {
        Ok(t) => t,
        Err(e) => {
            release(state, &p.id, &flow.state);
            return Err(before(Failure::Refused(format!(
                "the token request failed: {e}"
            ))));
        }
    };
    // The provider's code is spent: whatever is refused from here on cannot be replayed, so
    // the state is given back rather than held for the flow's ten minutes (review L-1: a
    // stranger refused by the partner's rules must not use up the partner's budget).
    let finished = async {
        let id_token = tokens
            .extra_fields()
            .id_token
            .clone()
            .ok_or_else(|| fail(Failure::Refused("the provider sent no ID token".into())))?;
        let mut claims = verify_id_token(state, &p.id, &endpoints, &id_token, t)
            .await
            .map_err(|e| fail(Failure::Refused(e)))?;
        sso::check_id_token_identity(&claims, &s.issuer, &s.client_id, &flow.nonce, t)
            .map_err(|e| fail(Failure::Refused(e)))?;
        // Claims asked for by scope may be at the UserInfo endpoint only (Core §5.4).
        if claims.email.is_none()
            && let Some(userinfo) = &endpoints.userinfo_endpoint
        {
            use oauth2::TokenResponse;
            let info = fetch_userinfo(state, userinfo, tokens.access_token().secret())
                .await
                .map_err(|e| fail(Failure::Refused(e)))?;
            sso::merge_userinfo(&mut claims, &info).map_err(|e| fail(Failure::Refused(e)))?;
        }
        let user = sso::check_id_token(&claims, &s.issuer, &s.client_id, &flow.nonce, t)
            .map_err(|e| fail(Failure::Refused(e)))?;
        let actor = Actor::new(format!("portal:{}", user.email)).with_source(source);
        let u = state
            .ops()
            .arrive(
                &entente_operations::Actor::anonymous(actor.clone()),
                &p,
                &s,
                &user,
                t,
            )
            .await
            .map_err(|e| match e {
                entente_operations::OpError::Forbidden(why) => fail(Failure::Denied(why)),
                e => fail(Failure::Refused(e.to_string())),
            })?;
        app::ssr::session::begin_session(session, &u.id, u.role)
            .await
            .map_err(|e| fail(Failure::Refused(e.to_string())))?;
        if let Err(e) = state
            .store
            .record_event(
                &actor,
                entente_domain::audit::AuditAction::SessionSignIn,
                &format!("admin:{}", u.email),
                serde_json::json!({"method": "federated", "issuer": s.issuer}),
                t,
            )
            .await
        {
            tracing::error!(error = %e, "writing a sign-in audit event failed");
        }
        Ok(())
    }
    .await;
    if finished.is_err() {
        release(state, &p.id, &flow.state);
    }
    finished
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
        .map_err(|e| format!("the UserInfo request failed: {e}"))?;
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
