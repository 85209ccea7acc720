//! Which limits a request counts against — the client's own and, on the token endpoint, its
//! partner's — read from the catalog snapshot, and checked by the limiters.

use entente_domain::OAuthError;
use entente_domain::rate_limit::{Check, Policy, Verdict};

use super::snapshot::{ClientEntry, ClientRole, Snapshot};
use crate::limits::Limits;

impl Snapshot {
    /// Checks the limits of a request by `client` (and, on the token endpoint, its partner's):
    /// `None` when nothing limits it. In one process this is the fast path (the snapshot entry's
    /// own limiters: no lookup); in cluster mode it goes through `check`.
    pub async fn check_limits(
        &self,
        limits: &Limits,
        client: &ClientEntry,
        with_partner: bool,
    ) -> Result<Option<Verdict>, OAuthError> {
        if limits.clustered() {
            let mut checks = self.token_checks(client);
            if !with_partner {
                checks.retain(|c| c.policy == Policy::Client);
            }
            if checks.is_empty() {
                return Ok(None);
            }
            return limits.check(&checks).await.map(Some);
        }
        let l = &client.limiters;
        let partner = l.partner.as_ref().filter(|_| with_partner);
        if l.client.is_none() && partner.is_none() {
            return Ok(None);
        }
        let mut v = Verdict {
            states: Vec::with_capacity(2),
            refused_for_ns: None,
        };
        for s in l.client.iter().chain(partner) {
            match s.check() {
                Ok(state) => v.states.push(state),
                Err((state, wait)) => {
                    v.states.push(state);
                    v.refused_for_ns = Some(wait);
                    metrics::counter!("entente_rate_limited_total", "policy" => s.policy.name())
                        .increment(1);
                    break;
                }
            }
        }
        let now = limits.meter.second();
        for s in l.client.iter().chain(partner) {
            s.seen.count(now, v.allowed());
        }
        Ok(Some(v))
    }

    /// The checks of a token request by this client: its own limit, then its partner's.
    pub fn token_checks<'s>(&'s self, client: &'s ClientEntry) -> Vec<Check<'s>> {
        let mut checks = Vec::with_capacity(2);
        if let Some(rate) = client.limit {
            checks.push(Check {
                policy: Policy::Client,
                key: &client.client_id,
                rate,
            });
        }
        if let ClientRole::Partner { partner_slug, .. } = &client.role
            && let Some(rate) = self.partner_limit(partner_slug)
            && let Some(budget) = &client.partner_budget
        {
            checks.push(Check {
                policy: Policy::Partner,
                key: budget,
                rate,
            });
        }
        checks
    }
}
