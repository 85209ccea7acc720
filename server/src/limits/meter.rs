//! How fast each limited subject is calling, for the console's "current rate" and the API:
//! requests allowed and refused per second, per (policy, subject), in whole-second buckets.
//! One sharded-map lookup and two atomic adds per check; nothing is written anywhere.

use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use entente_domain::rate_limit::{Observed, Policy};

#[derive(Default)]
pub struct Buckets {
    /// Second (since the meter started) the `current` counters belong to.
    second: AtomicU64,
    allowed: AtomicU64,
    refused: AtomicU64,
    /// The second before `second`, complete.
    last_allowed: AtomicU64,
    last_refused: AtomicU64,
}

pub struct Meter {
    started: std::time::Instant,
    /// One map per policy, so that a lookup borrows the key instead of building a tuple.
    clients: DashMap<String, Buckets>,
    partners: DashMap<String, Buckets>,
}

impl Default for Meter {
    fn default() -> Self {
        Self {
            started: std::time::Instant::now(),
            clients: DashMap::new(),
            partners: DashMap::new(),
        }
    }
}

impl Buckets {
    /// Counts one request at second `now`.
    pub fn count(&self, now: u64, allowed: bool) {
        self.roll(now);
        if allowed {
            self.allowed.fetch_add(1, Ordering::Relaxed);
        } else {
            self.refused.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Moves to second `now`: what was counted becomes the last complete second (or zero when
    /// a second or more passed without requests).
    pub(crate) fn roll(&self, now: u64) {
        let at = self.second.load(Ordering::Relaxed);
        if at == now {
            return;
        }
        if self
            .second
            .compare_exchange(at, now, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            let (a, r) = (
                self.allowed.swap(0, Ordering::AcqRel),
                self.refused.swap(0, Ordering::AcqRel),
            );
            let fresh = now == at + 1;
            self.last_allowed
                .store(if fresh { a } else { 0 }, Ordering::Relaxed);
            self.last_refused
                .store(if fresh { r } else { 0 }, Ordering::Relaxed);
        }
    }

    pub(crate) fn observed(&self, now: u64) -> Observed {
        let at = self.second.load(Ordering::Relaxed);
        if at == now {
            Observed {
                allowed: self.last_allowed.load(Ordering::Relaxed),
                refused: self.last_refused.load(Ordering::Relaxed),
            }
        } else if at + 1 == now {
            Observed {
                allowed: self.allowed.load(Ordering::Relaxed),
                refused: self.refused.load(Ordering::Relaxed),
            }
        } else {
            Observed::default()
        }
    }
}

impl Meter {
    fn map(&self, policy: Policy) -> &DashMap<String, Buckets> {
        match policy {
            Policy::Client => &self.clients,
            Policy::Partner => &self.partners,
        }
    }

    pub fn second(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    pub fn record(&self, policy: Policy, key: &str, allowed: bool) {
        let now = self.second();
        let bump = |b: &Buckets| b.count(now, allowed);
        // The common case finds the subject without allocating its key.
        let map = self.map(policy);
        if let Some(b) = map.get(key) {
            bump(&b);
            return;
        }
        let b = map.entry(key.to_owned()).or_insert_with(|| Buckets {
            second: AtomicU64::new(now),
            ..Default::default()
        });
        bump(&b);
    }

    /// The last complete second of one subject.
    pub fn observed(&self, policy: Policy, key: &str) -> Observed {
        let now = self.second();
        self.map(policy)
            .get(key)
            .map(|b| b.observed(now))
            .unwrap_or_default()
    }

    /// Forgets subjects quiet for a minute (maintenance).
    pub fn prune(&self) {
        let now = self.second();
        for map in [&self.clients, &self.partners] {
            map.retain(|_, b| now.saturating_sub(b.second.load(Ordering::Relaxed)) < 60);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_second_reads_zero() {
        let b = Buckets::default();
        for _ in 0..5 {
            b.allowed.fetch_add(1, Ordering::Relaxed);
        }
        b.refused.fetch_add(1, Ordering::Relaxed);
        assert_eq!(
            b.observed(1),
            Observed {
                allowed: 5,
                refused: 1
            }
        );
        b.roll(1);
        assert_eq!(
            b.observed(1),
            Observed {
                allowed: 5,
                refused: 1
            }
        );
        assert_eq!(b.observed(2), Observed::default());
        b.roll(3);
        assert_eq!(b.observed(3), Observed::default());
    }
}
