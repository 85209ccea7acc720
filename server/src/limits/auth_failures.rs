//! Failed client authentication, limited per presented client id and per source address: after
//! too many failures every attempt for that id or from that address is refused for a while,
//! whether the id exists or not, so the refusal reveals nothing (security cases C32, F48).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use governor::{DefaultKeyedRateLimiter, Quota};

/// What is blocked: a presented client id or a source address (IPv6 per /64).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Blocked {
    Client(String),
    Address(IpAddr),
}

/// A block that has just begun (the caller writes the security audit event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trip {
    pub blocked: Blocked,
    pub for_secs: u64,
}

pub struct AuthFailures {
    per_client: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    blocked: RwLock<HashMap<Blocked, Instant>>,
    /// `blocked.len()`, read without the lock on every request.
    count: AtomicUsize,
    /// When the last early prune ran (seconds since `started`): at most one a second.
    pruned_at: std::sync::atomic::AtomicU64,
    started: Instant,
}

/// Longest client id kept as a key: longer ones are cut (they cannot exist anyway).
const MAX_KEY: usize = 128;
/// How long a block lasts: the whole budget's window, so that a guesser gets one budget a
/// minute (and one audit event a minute per id or address), not one per refill.
pub const BLOCK: Duration = Duration::from_secs(60);
/// Keys tracked per table before an early prune (a flood of made-up ids cannot grow memory
/// without bound between the minutely prunes).
const MAX_TRACKED: usize = 100_000;

impl AuthFailures {
    /// `per_client` and `per_address`: failures allowed per minute (and as a burst).
    pub fn new(per_client: u32, per_address: u32) -> Self {
        let q = |n: u32| {
            let n = std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN);
            Quota::per_minute(n)
        };
        Self {
            per_client: governor::RateLimiter::keyed(q(per_client)),
            per_address: governor::RateLimiter::keyed(q(per_address)),
            blocked: RwLock::new(HashMap::new()),
            count: AtomicUsize::new(0),
            pruned_at: std::sync::atomic::AtomicU64::new(0),
            started: Instant::now(),
        }
    }

    /// True while some id or address is blocked (one atomic read: the common case costs nothing).
    pub fn any_blocked(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Seconds left of a block on this id or address, if any.
    pub fn blocked_for(&self, client_id: Option<&str>, address: Option<IpAddr>) -> Option<u64> {
        if self.count.load(Ordering::Relaxed) == 0 {
            return None;
        }
        let now = Instant::now();
        let g = match self.blocked.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let mut left = None::<Duration>;
        let mut see = |k: &Blocked| {
            if let Some(until) = g.get(k)
                && *until > now
            {
                let d = *until - now;
                left = Some(left.map_or(d, |l| l.max(d)));
            }
        };
        if let Some(a) = address {
            see(&Blocked::Address(entente_domain::forwarded::throttle_key(
                a,
            )));
        }
        if let Some(id) = client_id {
            see(&Blocked::Client(client_key(id)));
        }
        left.map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0))
    }

    /// Counts one failed authentication; returns the blocks it begins.
    pub fn failed(&self, client_id: Option<&str>, address: Option<IpAddr>) -> Vec<Trip> {
        let mut trips = Vec::new();
        if self.per_address.len() > MAX_TRACKED || self.per_client.len() > MAX_TRACKED {
            // At most once a second: a flood that keeps the tables full must not make every
            // failure pay for a full prune.
            let now = self.started.elapsed().as_secs();
            let last = self.pruned_at.load(Ordering::Relaxed);
            if now > last
                && self
                    .pruned_at
                    .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                    .is_ok()
            {
                self.prune();
            }
        }
        if let Some(a) = address {
            let a = entente_domain::forwarded::throttle_key(a);
            if self.per_address.check_key(&a).is_err() {
                trips.extend(self.block(Blocked::Address(a)));
            }
        }
        if let Some(id) = client_id {
            let id = client_key(id);
            if self.per_client.check_key(&id).is_err() {
                trips.extend(self.block(Blocked::Client(id)));
            }
        }
        trips
    }

    /// Starts a block (a failure while blocked does not extend it: the block ends on time).
    fn block(&self, key: Blocked) -> Option<Trip> {
        let now = Instant::now();
        let mut g = match self.blocked.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if g.get(&key).is_some_and(|until| *until > now) {
            return None;
        }
        if g.len() >= MAX_TRACKED {
            g.retain(|_, until| *until > now);
        }
        g.insert(key.clone(), now + BLOCK);
        self.count.store(g.len(), Ordering::Relaxed);
        Some(Trip {
            blocked: key,
            for_secs: BLOCK.as_secs(),
        })
    }

    /// Drops ended blocks and counters that are whole again (maintenance, every minute).
    pub fn prune(&self) {
        let now = Instant::now();
        let mut g = match self.blocked.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        g.retain(|_, until| *until > now);
        self.count.store(g.len(), Ordering::Relaxed);
        drop(g);
        self.per_client.retain_recent();
        self.per_client.shrink_to_fit();
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }
}

fn client_key(id: &str) -> String {
    let mut end = id.len().min(MAX_KEY);
    while !id.is_char_boundary(end) {
        end -= 1;
    }
    id[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_budget_for_known_and_unknown_ids_alike() {
        let f = AuthFailures::new(3, 100);
        let addr: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(f.blocked_for(Some("cl_x"), Some(addr)), None);
        for _ in 0..3 {
            assert!(f.failed(Some("cl_x"), Some(addr)).is_empty());
        }
        let trips = f.failed(Some("cl_x"), Some(addr));
        assert_eq!(trips.len(), 1);
        assert_eq!(trips[0].blocked, Blocked::Client("cl_x".into()));
        assert!(f.blocked_for(Some("cl_x"), None).is_some_and(|s| s >= 1));
        // Another id from the same address is not blocked by this id's failures.
        assert_eq!(f.blocked_for(Some("cl_y"), Some(addr)), None);
        // A failure while blocked is not a new trip, and the block lasts the whole minute.
        assert!(f.failed(Some("cl_x"), Some(addr)).is_empty());
        assert!(f.blocked_for(Some("cl_x"), None).is_some_and(|s| s > 50));
    }

    #[test]
    fn an_address_is_blocked_across_ids_and_ipv6_counts_per_64() {
        let f = AuthFailures::new(100, 2);
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2::ffff".parse().unwrap();
        f.failed(Some("one"), Some(a));
        f.failed(Some("two"), Some(b));
        let trips = f.failed(Some("three"), Some(a));
        assert_eq!(trips.len(), 1);
        assert!(f.blocked_for(Some("anyone"), Some(b)).is_some());
        assert!(
            f.blocked_for(None, Some("2001:db8:1:3::1".parse().unwrap()))
                .is_none()
        );
        f.prune();
        assert!(f.blocked_for(Some("anyone"), Some(b)).is_some());
    }
}
