//! `POST /oauth2/introspect` (RFC 7662). Only resource-server clients may call it, and a token is
//! active only for the audience it was issued for.

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use entente_domain::OAuthError;
use entente_domain::environment::Environment;
use entente_domain::forwarded::ClientAddr;
use entente_domain::introspection::{self, Context, Introspection};

use super::issue::verify_access_token;
use super::{client_auth, form};
use crate::http::errors::{ErrorResponse, no_store};
use crate::state::snapshot::ClientRole;
use crate::state::{AppState, now};
use crate::usage::Tag;
use entente_domain::usage::Kind;
use std::time::Instant;

pub async fn introspect(
    State(state): State<AppState>,
    env: Option<Extension<Environment>>,
    address: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let address = address.map(|a| a.0.0);
    let env = super::environment_of(env);
    let mut verdict = None;
    let snapshot = state.snapshot();
    let mut tag = Tag::default();
    let mut tag_audience = "";
    let run = async {
        let form = form::read(&headers, body).await?;
        let now = now();
        let auth = client_auth::authenticate(&state, &snapshot, env, &headers, &form, address, now)
            .await?;
        let caller = auth.rate_subject();
        tag = Tag::of(caller);
        let ClientRole::ResourceServer { audience } = &caller.role else {
            // Partners' clients are not resource servers: they may not introspect.
            return Err(OAuthError::invalid_client());
        };
        tag_audience = audience;
        if let Some(v) = snapshot.check_limits(&state.limits, caller, false).await? {
            let v = verdict.insert((v, caller.limiters.policy_field.clone()));
            if let Some(secs) = v.0.retry_after_secs() {
                return Err(OAuthError::slow_down(secs));
            }
        }
        client_auth::confirm(&state, auth, now).await?;
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let answer = match verify_access_token(&state, env, token, now) {
            Some(claims) => {
                let revoked = state.is_revoked_in(&snapshot, &claims);
                introspection::decide(
                    claims,
                    &Context {
                        issuer: state.issuer_of(env),
                        caller_audience: audience,
                        revoked,
                        skew: 30,
                    },
                    now,
                )
            }
            None => Introspection::inactive(),
        };
        Ok::<_, OAuthError>((no_store(), axum::Json(answer)).into_response())
    };
    let (mut res, error) = match run.await {
        Ok(r) => (r, None),
        Err(e) => {
            let code = e.code;
            (ErrorResponse(e).into_response(), Some(code))
        }
    };
    state.usage.record(
        now(),
        &tag.outcome(Kind::Introspection, tag_audience, error),
        started,
    );
    if let Some((v, policy)) = &verdict {
        crate::limits::add_fields(v, policy.as_ref(), res.headers_mut());
    }
    res
}
