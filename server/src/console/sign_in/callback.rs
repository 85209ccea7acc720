//! The provider's answer coming back: throttled, finished into a console session, and a failure
//! sent back to the sign-in page with an audit event the partner can see.

use axum::Extension;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use entente_domain::forwarded::ClientAddr;
use entente_store::Actor;
use tower_sessions::Session;

use super::finish::{Stage, finish};
use super::flow::flow_cookie;
use super::{Callback, Failure, back};
use crate::state::{AppState, now};

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
