//! Finishing a federated sign-in from the provider's answer: the flow checked, the code
//! exchanged once, the user identified and let in. Failures say whether they came before the
//! code exchange, which anyone can cause at will, so the caller budgets their audit events.

use axum::http::HeaderMap;
use entente_domain::sso::{Flow, ProviderUser};
use entente_store::Actor;
use entente_store::entities::{partner, partner_sign_in};
use entente_store::enums::PartnerStage;
use oauth2::{AuthorizationCode, PkceCodeVerifier};
use tower_sessions::Session;

use super::Callback;
use super::Failure;
use super::flow::read_flow;
use super::identity::provider_user;
use super::provider::{ProviderClient, ProviderTokens, provider};
use super::single_use::{first_use, release};
use crate::state::{AppState, now};

/// Whether a failure came before the provider's token endpoint accepted a code (anyone can
/// cause those at will), or after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    BeforeExchange,
    AfterExchange,
}

/// A failure, the slug of the partner it concerns once known, and when it came.
pub(super) type Refusal = (Failure, Option<String>, Stage);

pub(super) type Finish = Result<(), Refusal>;

pub(super) async fn finish(
    state: &AppState,
    session: &Session,
    source: Option<String>,
    headers: &HeaderMap,
    q: Callback,
) -> Finish {
    let t = now();
    let early = |f: Failure| -> Refusal { (f, None, Stage::BeforeExchange) };
    let flow = current_flow(state, headers, q.state.as_deref(), t).map_err(early)?;
    let p = state
        .store
        .partner_by_id(&flow.partner_id)
        .await
        .map_err(|_| early(Failure::Unavailable))?;
    let slug = Some(p.slug.clone());
    let before = |f: Failure| (f, slug.clone(), Stage::BeforeExchange);
    let fail = |f: Failure| (f, slug.clone(), Stage::AfterExchange);
    let (s, code) = provider_answer(state, &p, q).await.map_err(before)?;
    let (client, endpoints) = provider(state, &s)
        .await
        .map_err(|e| before(Failure::Refused(e)))?;
    let tokens = exchange(state, &client, &flow, &p.id, code, t)
        .await
        .map_err(before)?;
    // The provider's code is spent: whatever is refused from here on cannot be replayed, so
    // the state is given back rather than held for the flow's ten minutes (review L-1: a
    // stranger refused by the partner's rules must not use up the partner's budget).
    let admitted = match provider_user(state, &p.id, &s, &endpoints, &tokens, &flow.nonce, t).await
    {
        Ok(user) => admit(state, session, source, &p, &s, &user, t).await,
        Err(e) => Err(Failure::Refused(e)),
    };
    let finished = admitted.map_err(fail);
    if finished.is_err() {
        release(state, &p.id, &flow.state);
    }
    finished
}

/// The flow this browser brought back, while it lasts and only with the state the provider
/// returned.
fn current_flow(
    state: &AppState,
    headers: &HeaderMap,
    returned_state: Option<&str>,
    t: i64,
) -> Result<Flow, Failure> {
    let flow = read_flow(state, headers)
        .ok_or_else(|| Failure::Expired("no sign-in in progress in this browser".into()))?;
    if flow.expires_at < t {
        return Err(Failure::Expired("the sign-in took too long".into()));
    }
    if !returned_state.is_some_and(|s| same(s, &flow.state)) {
        return Err(Failure::Expired("the state does not match".into()));
    }
    Ok(flow)
}

fn same(a: &str, b: &str) -> bool {
    #[allow(deprecated)]
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

/// The partner's provider and the code it sent, when its answer passes the checks that cost
/// the provider no request.
async fn provider_answer(
    state: &AppState,
    p: &partner::Model,
    q: Callback,
) -> Result<(partner_sign_in::Model, String), Failure> {
    if let Some(e) = q.error {
        let e: String = e
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(Failure::Refused(format!("the provider answered {e}")));
    }
    // The partner holding the admin API's clients has no sign-in: it is the host's.
    if p.stage == PartnerStage::Offboarded || p.host_only {
        return Err(Failure::Unavailable);
    }
    let s = state
        .store
        .partner_sign_in(&p.id)
        .await
        .ok()
        .flatten()
        .filter(|s| s.enabled)
        .ok_or(Failure::Unavailable)?;
    let code = q
        .code
        .ok_or_else(|| Failure::Refused("the provider sent no code".into()))?;
    // RFC 9207 §2.4: an answer naming another issuer is a mix-up; refuse it.
    if q.iss.as_deref().is_some_and(|iss| iss != s.issuer) {
        return Err(Failure::Refused(
            "the answer names another issuer (RFC 9207)".into(),
        ));
    }
    Ok((s, code))
}

/// The provider's tokens for `code`, once the flow is marked used; a code the provider refuses
/// gives the flow's state back.
async fn exchange(
    state: &AppState,
    client: &ProviderClient,
    flow: &Flow,
    partner_id: &str,
    code: String,
    t: i64,
) -> Result<ProviderTokens, Failure> {
    // A flow is used once: a copied cookie cannot be played again on this replica. Recorded
    // only now, with the cookie and state verified and a code to exchange.
    if !first_use(state, partner_id, &flow.state, flow.expires_at, t) {
        return Err(Failure::Expired(
            "this sign-in was already completed or is busy".into(),
        ));
    }
    client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
        .request_async(state.issuer_keys.poster())
        .await
        .map_err(|e| {
            release(state, partner_id, &flow.state);
            Failure::Refused(token_failure(&e))
        })
}

/// Lets the provider's user in: the arrival operation decides membership, then the console
/// session and the sign-in's audit event.
async fn admit(
    state: &AppState,
    session: &Session,
    source: Option<String>,
    p: &partner::Model,
    s: &partner_sign_in::Model,
    user: &ProviderUser,
    t: i64,
) -> Result<(), Failure> {
    let actor = Actor::new(format!("portal:{}", user.email)).with_source(source);
    let u = state
        .ops()
        .arrive(
            &entente_operations::Actor::anonymous(actor.clone()),
            p,
            s,
            user,
            t,
        )
        .await
        .map_err(|e| match e {
            entente_operations::OpError::Forbidden(why) => Failure::Denied(why),
            e => Failure::Refused(e.to_string()),
        })?;
    app::ssr::session::begin_session(session, &u.id, u.role)
        .await
        .map_err(|e| Failure::Refused(e.to_string()))?;
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

/// Why the provider's token endpoint gave no tokens, in words a partner admin can act on: the
/// provider's own refusal, or why it could not be reached.
fn token_failure<T: oauth2::ErrorResponse + 'static>(
    e: &oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, T>,
) -> String {
    match e {
        oauth2::RequestTokenError::ServerResponse(r) => {
            format!("the provider refused the sign-in code: {r}")
        }
        oauth2::RequestTokenError::Request(oauth2::HttpClientError::Reqwest(re)) => format!(
            "the provider's token endpoint: {}",
            crate::state::issuer_keys::unreachable::cause(re)
        ),
        oauth2::RequestTokenError::Parse(_, _) => {
            "the provider's token endpoint answered something that is not a token response".into()
        }
        _ => "the provider's token endpoint could not be asked (check its address)".into(),
    }
}
