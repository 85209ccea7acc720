//! Flow states in use on this replica, so that a copied flow cookie cannot be played again,
//! bounded per partner and overall.

use crate::state::AppState;

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
pub(super) fn first_use(
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
pub(super) fn release(state: &AppState, partner_id: &str, flow_state: &str) {
    remembered(state).remove(&used_key(partner_id, flow_state));
}
