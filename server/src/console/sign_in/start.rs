//! Starting a federated sign-in: from the organisation's slug to its provider's authorization
//! endpoint, with the flow sealed in a cookie for the way back.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::forwarded::ClientAddr;
use entente_domain::sso::{self, Flow};
use entente_store::enums::PartnerStage;
use oauth2::{CsrfToken, PkceCodeChallenge, Scope};
use serde::Deserialize;

use super::flow::{flow_cookie, seal_flow};
use super::provider::provider;
use super::{Failure, back};
use crate::state::{AppState, now};

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
    let sealed = seal_flow(state, &flow).map_err(|e| Failure::Refused(e.to_string()))?;
    Ok((
        url.to_string(),
        flow_cookie(state, sealed, sso::FLOW_LIFETIME),
    ))
}

/// For an attribute value.
fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
