//! The sealed flow cookie: what must survive the trip to the provider, sealed under the master
//! key so that only Entente can read it and any replica can.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entente_domain::sso::Flow;
use tower_sessions::cookie::{Cookie, SameSite};

use super::START_PATH;
use crate::state::AppState;

const FLOW_COOKIE: &str = "entente_sso";
const FLOW_CONTEXT: &str = "sso-flow";

fn https(state: &AppState) -> bool {
    state.issuer.starts_with("https://")
}

pub(super) fn flow_cookie(state: &AppState, value: String, max_age: i64) -> String {
    Cookie::build((FLOW_COOKIE, value))
        .path(START_PATH)
        .http_only(true)
        .secure(https(state))
        .same_site(SameSite::Lax)
        .max_age(tower_sessions::cookie::time::Duration::seconds(max_age))
        .build()
        .to_string()
}

/// The flow sealed as a cookie value.
pub(super) fn seal_flow(state: &AppState, flow: &Flow) -> Result<String, serde_json::Error> {
    let plain = serde_json::to_vec(flow)?;
    Ok(URL_SAFE_NO_PAD.encode(state.master.seal(&plain, FLOW_CONTEXT)))
}

pub(super) fn read_flow(state: &AppState, headers: &HeaderMap) -> Option<Flow> {
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
