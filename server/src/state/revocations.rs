//! Revocation by lineage: a token is revoked when any key it carries was revoked after it was
//! issued. The live map is in `Inner::revoked`; these are the pure checks and the loader.

use std::collections::HashMap;

use entente_domain::federation::subject;
use entente_domain::token::AccessTokenClaims;
use entente_store::Store;

/// A token is revoked if any key it carries — its own id, its client, its partner, or anything
/// in its lineage — was revoked at or after the token was issued.
pub fn revoked_in(map: &HashMap<String, i64>, claims: &AccessTokenClaims) -> bool {
    if map.is_empty() {
        return false;
    }
    let own = [
        Some(subject::token_key(&claims.jti)),
        Some(subject::client_key(&claims.client_id)),
        claims.partner.as_deref().map(subject::partner_key),
    ];
    any_revoked(
        map,
        own.iter().flatten().chain(claims.lineage.iter()),
        claims.iat,
    )
}

/// True if any of `keys` was revoked at or after `since`.
pub fn any_revoked<'k>(
    map: &HashMap<String, i64>,
    mut keys: impl Iterator<Item = &'k String>,
    since: i64,
) -> bool {
    keys.any(|k| map.get(k).is_some_and(|at| *at >= since))
}

/// Every live revocation: revoked token ids and revoked lineage keys → when revoked.
pub async fn load_revocations(
    store: &Store,
    now: i64,
) -> entente_store::Result<HashMap<String, i64>> {
    let rows = store.live_revocations(now).await?;
    let marks = store.live_marks(now).await?;
    Ok(rows
        .into_iter()
        .map(|r| (subject::token_key(&r.jti), r.revoked_at))
        .chain(marks.into_iter().map(|m| (m.target, m.revoked_at)))
        .collect())
}
