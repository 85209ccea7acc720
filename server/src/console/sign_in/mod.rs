//! Federated sign-in of partner users through their organisation's OpenID Connect provider:
//! authorization code with PKCE (S256), state and nonce, using the `oauth2` crate over the same
//! SSRF-guarded client that fetches partner keys. The ID token is verified with the provider's
//! keys from the same JWKS cache as trusted issuers, and checked by `entente_domain::sso`.
//!
//! What must survive the trip to the provider (state, nonce, PKCE verifier, partner) travels
//! sealed under the master key in a short-lived `SameSite=Lax` cookie scoped to `/login/sso`:
//! the console's session cookie is `SameSite=Strict`, so a browser coming back from the
//! provider would not send it, and a sealed cookie works on whichever replica answers.

mod callback;
mod discovery;
mod finish;
mod flow;
mod identity;
mod provider;
mod single_use;
mod start;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::AppState;
use flow::flow_cookie;

pub use callback::callback;
pub use discovery::{check_provider, discovery_url};
pub use start::{Start, start};

pub const START_PATH: &str = "/login/sso";
pub const CALLBACK_PATH: &str = "/login/sso/callback";

/// What the provider sends the browser back with.
#[derive(Debug, serde::Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// RFC 9207: the issuer that answered, when the provider says.
    iss: Option<String>,
}

/// The sealing context of a partner's provider client secret.
pub fn secret_context(partner_id: &str) -> String {
    format!("sso-client-secret:{partner_id}")
}

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
