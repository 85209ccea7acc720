//! The in-process limiter: governor's GCRA, one keyed limiter per (policy, rate). A governor
//! limiter holds one quota, so subjects that share a rate share a limiter (one table per tier,
//! in effect) and a subject whose rate changes starts afresh in the limiter of its new rate.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use entente_domain::rate_limit::{Check, Policy, PolicyState, Rate};
use governor::RateLimiter;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;

type Keyed =
    RateLimiter<String, DefaultKeyedStateStore<String>, DefaultClock, StateInformationMiddleware>;

/// Either a state (allowed) or the wait until the policy allows again (refused).
pub type Outcome = Result<PolicyState, (PolicyState, u64)>;

#[derive(Default)]
pub struct LocalLimiter {
    limiters: RwLock<HashMap<(Policy, Rate), Arc<Keyed>>>,
}

impl LocalLimiter {
    fn limiter(&self, policy: Policy, rate: Rate) -> Arc<Keyed> {
        let found = match self.limiters.read() {
            Ok(g) => g.get(&(policy, rate)).cloned(),
            Err(p) => p.into_inner().get(&(policy, rate)).cloned(),
        };
        if let Some(l) = found {
            return l;
        }
        let mut g = match self.limiters.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.entry((policy, rate))
            .or_insert_with(|| {
                Arc::new(
                    RateLimiter::keyed(super::subject::quota(rate))
                        .with_middleware::<StateInformationMiddleware>(),
                )
            })
            .clone()
    }

    /// Takes one request from `check`'s budget if there is one.
    pub fn check(&self, check: Check<'_>) -> Outcome {
        let limiter = self.limiter(check.policy, check.rate);
        super::subject::outcome(
            check.policy,
            check.rate,
            limiter.check_key(check.key),
            limiter.clock().now(),
        )
    }

    /// Forgets subjects whose budget is whole again and limiters nobody uses (maintenance).
    pub fn prune(&self) {
        let mut g = match self.limiters.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.retain(|_, l| {
            l.retain_recent();
            l.shrink_to_fit();
            !l.is_empty()
        });
    }
}
