//! The fast path of one process: each limited partner and client has its own governor limiter
//! (a direct one: one quota, one atomic state) and its own live-rate counters, both held by the
//! catalog snapshot's entry, so a check is a compare-and-swap with no lookup. A governor limiter
//! holds one quota; the registry here hands a rebuilt snapshot the same limiter while the rate is
//! unchanged, and a fresh one when it changes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use entente_domain::rate_limit::{Policy, PolicyState, Rate};
use governor::NotUntil;
use governor::clock::{Clock, DefaultClock};
use governor::middleware::{StateInformationMiddleware, StateSnapshot};
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

use super::meter::{Buckets, Meter};

type Direct = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

pub struct SubjectLimiter {
    pub policy: Policy,
    pub key: String,
    pub rate: Rate,
    gcra: Direct,
    /// Requests counted against this subject, for its live rate.
    pub seen: Buckets,
}

pub fn quota(rate: Rate) -> Quota {
    let per = std::num::NonZeroU32::new(rate.per_second).unwrap_or(std::num::NonZeroU32::MIN);
    let burst = std::num::NonZeroU32::new(rate.burst).unwrap_or(std::num::NonZeroU32::MIN);
    Quota::per_second(per).allow_burst(burst)
}

impl SubjectLimiter {
    fn new(policy: Policy, key: String, rate: Rate) -> Self {
        Self {
            policy,
            key,
            rate,
            gcra: RateLimiter::direct(quota(rate)).with_middleware::<StateInformationMiddleware>(),
            seen: Buckets::default(),
        }
    }

    /// Takes one request from the budget if there is one; `Err` carries the wait (ns).
    pub fn check(&self) -> Result<PolicyState, (PolicyState, u64)> {
        outcome(
            self.policy,
            self.rate,
            self.gcra.check(),
            self.gcra.clock().now(),
        )
    }
}

/// A governor answer as the state of one policy: what is left, or how long to wait (ns).
pub fn outcome(
    policy: Policy,
    rate: Rate,
    answer: Result<StateSnapshot, NotUntil<<DefaultClock as Clock>::Instant>>,
    now: <DefaultClock as Clock>::Instant,
) -> Result<PolicyState, (PolicyState, u64)> {
    match answer {
        Ok(snapshot) => {
            let remaining = snapshot.remaining_burst_capacity();
            Ok(PolicyState {
                policy,
                rate,
                remaining,
                wait_ns: if remaining > 0 { 0 } else { rate.interval_ns() },
            })
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(now);
            let wait = u64::try_from(wait.as_nanos()).unwrap_or(u64::MAX).max(1);
            Err((
                PolicyState {
                    policy,
                    rate,
                    remaining: 0,
                    wait_ns: wait,
                },
                wait,
            ))
        }
    }
}

/// Every subject's limiter, by (policy, key): consulted when a snapshot is built, never per
/// request.
#[derive(Default)]
pub struct Registry {
    subjects: Mutex<HashMap<(Policy, String), Arc<SubjectLimiter>>>,
}

impl Registry {
    /// The limiter of a subject at `rate`: the one it had if the rate is the same (its state
    /// carries over a catalog reload), else a new one.
    pub fn subject(&self, policy: Policy, key: &str, rate: Rate) -> Arc<SubjectLimiter> {
        let mut g = match self.subjects.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let k = (policy, key.to_owned());
        match g.get(&k) {
            Some(l) if l.rate == rate => l.clone(),
            _ => {
                let l = Arc::new(SubjectLimiter::new(policy, key.to_owned(), rate));
                g.insert(k, l.clone());
                l
            }
        }
    }

    /// Forgets subjects the new snapshot no longer limits.
    pub fn retain(&self, live: &std::collections::HashSet<(Policy, String)>) {
        let mut g = match self.subjects.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.retain(|k, _| live.contains(k));
    }

    /// The live rate of a subject in the last complete second, if it is limited here.
    pub fn observed(
        &self,
        meter: &Meter,
        policy: Policy,
        key: &str,
    ) -> Option<entente_domain::rate_limit::Observed> {
        let g = match self.subjects.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.get(&(policy, key.to_owned()))
            .map(|l| l.seen.observed(meter.second()))
    }
}
