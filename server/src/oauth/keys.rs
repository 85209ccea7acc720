//! Verification material for a federation decision, gathered before it (the domain does no
//! I/O): the presented tokens' issuers' keys, Entente's own keys and revocations.

use std::collections::HashMap;
use std::sync::Arc;

use entente_domain::environment::Environment;
use entente_domain::federation::{Keys, validate};
use entente_domain::ids::{IssuerId, PartnerId};
use entente_domain::jwks::VerifyingKey;
use entente_domain::jws;
use entente_domain::token::AccessTokenClaims;
use entente_domain::verified::{KeyRef, VerifiedTokens};

use crate::state::AppState;
use crate::state::federation_snapshot::KeySource;
use crate::state::issuer_keys::IssuerKeys;
use crate::state::signing_keys::KeySet;
use crate::state::snapshot::Snapshot;
use crate::state::verified_tokens::VerifiedTokenCache;

/// Verification material for one decision, gathered before it (the domain does no I/O).
/// `revoked` answers for Entente's own tokens (the live map when serving, a loaded copy in the CLI).
pub struct KeyView<R> {
    pub issuers: HashMap<IssuerId, Arc<Vec<VerifyingKey>>>,
    pub own: Arc<KeySet>,
    pub revoked: R,
    /// Signatures verified before (`None` in the CLI's explain: it checks every one).
    pub verified: Option<Arc<VerifiedTokenCache>>,
}

impl<R: Fn(&AccessTokenClaims) -> bool> Keys for KeyView<R> {
    fn issuer_keys(&self, issuer_id: &IssuerId) -> &[VerifyingKey] {
        self.issuers.get(issuer_id).map_or(&[], |k| k.as_slice())
    }
    fn own_key(&self, kid: &str) -> Option<KeyRef<'_>> {
        self.own.verifier(kid)
    }
    fn own_token_revoked(&self, claims: &AccessTokenClaims) -> bool {
        (self.revoked)(claims)
    }
    fn verified(&self) -> Option<&dyn VerifiedTokens> {
        crate::state::verified_tokens::memory(&self.verified)
    }
}

pub async fn gather_keys<'a>(
    state: &'a AppState,
    snapshot: &Snapshot,
    partner_id: &PartnerId,
    environment: Environment,
    tokens: &[Option<&str>],
    now: i64,
) -> KeyView<impl Fn(&AccessTokenClaims) -> bool + 'a> {
    KeyView {
        issuers: gather_issuer_keys(&state.issuer_keys, snapshot, partner_id, tokens, now).await,
        // Entente's own tokens re-exchanged: only the environment's own keys verify them.
        own: state.keys_of(environment),
        revoked: move |c: &AccessTokenClaims| state.is_revoked(c),
        verified: state.verified.clone(),
    }
}

/// Loads the keys of the partner issuers that the presented tokens claim to come from. Only the
/// requesting partner's issuers are considered (keys are per (issuer, kid), case A7); header
/// `jku`/`x5u`/`jwk` are never read (case A5).
pub async fn gather_issuer_keys(
    fetcher: &IssuerKeys,
    snapshot: &Snapshot,
    partner_id: &PartnerId,
    tokens: &[Option<&str>],
    now: i64,
) -> HashMap<IssuerId, Arc<Vec<VerifyingKey>>> {
    let mut issuers = HashMap::new();
    for token in tokens.iter().flatten() {
        let Some(iss) = validate::peek_issuer(token) else {
            continue;
        };
        let Some(issuer) = snapshot.federation.issuer(partner_id, &iss) else {
            continue;
        };
        let kid = jws::peek_header(token)
            .ok()
            .and_then(|h| h.kid)
            .filter(|k| jws::sane_kid(k));
        let keys = match snapshot.federation.source(&issuer.id) {
            Some(KeySource::Static(k)) => k.clone(),
            Some(KeySource::Uri(u)) => {
                fetcher
                    .keys(
                        issuer.id.as_str(),
                        u,
                        kid.as_deref(),
                        entente_domain::jwks::sole_rsa(&issuer.algorithms),
                        now,
                    )
                    .await
            }
            None => continue,
        };
        issuers.insert(issuer.id.clone(), keys);
    }
    issuers
}
