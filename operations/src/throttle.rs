//! Attempts anyone can make without an account — password sign-ins, invitations accepted,
//! applications filed — per account and per source address (security case F48).

type KeyedLimiter<K> = governor::DefaultKeyedRateLimiter<K>;

/// Sign-in attempts per account and source address, per account overall and per source address
/// (security case F48). Unknown accounts are throttled like known ones, so the limit reveals
/// nothing about which e-mails exist.
///
/// The tight per-account budget counts per (account, source address), so that someone who
/// guesses from one address locks out only that address, not the account's owner elsewhere
/// (review L-5); a much higher overall ceiling per account still bounds guessing spread over
/// many addresses. An address the account's owner has signed in from before is exempt from that
/// ceiling (review: twenty addresses guessing at five a minute would otherwise fill it and keep
/// the owner out); it keeps its own per-address budgets.
pub struct LoginThrottle {
    /// Per (account, source address): the budget one guesser has for one account.
    per_account_source: KeyedLimiter<(String, Option<std::net::IpAddr>)>,
    /// Per account, from every source together: the ceiling against distributed guessing.
    per_account: KeyedLimiter<String>,
    per_address: KeyedLimiter<std::net::IpAddr>,
    /// Audit events of refused attempts that anyone can cause: one a minute per key.
    noted_rarely: KeyedLimiter<String>,
    /// Audit events of refused attempts that cost the caller more: twenty a minute per key.
    noted: KeyedLimiter<String>,
    /// Per account, the source keys it signed in from successfully, and when.
    known: std::sync::Mutex<Known>,
}

/// Addresses accounts signed in from: a few per account, so that nobody can push other
/// accounts' addresses out by signing in to their own from many places.
#[derive(Default)]
struct Known {
    by_account: std::collections::HashMap<String, Vec<(std::net::IpAddr, std::time::Instant)>>,
    pairs: usize,
}

/// How long a successful sign-in keeps its address exempt from the account's ceiling.
const KNOWN_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 86_400);
/// Addresses remembered per account (its oldest is forgotten first).
const KNOWN_PER_ACCOUNT: usize = 10;
/// Pairs remembered in all; when full, new ones are not remembered until the next prune.
const KNOWN_MAX: usize = 100_000;

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginThrottle")
    }
}

impl Default for LoginThrottle {
    /// 5 attempts a minute per account and source address, 100 a minute per account from all
    /// sources, 20 a minute per source address.
    fn default() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        let hundred = NonZeroU32::new(100).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_minute(five), Quota::per_minute(twenty))
            .with_account_ceiling(Quota::per_minute(hundred))
    }
}

impl LoginThrottle {
    /// For federated sign-in (starts and callbacks, which name no account): 60 a minute per
    /// source address, apart from password sign-ins' budget.
    pub fn for_federated_sign_in() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let sixty = NonZeroU32::new(60).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_minute(sixty), Quota::per_minute(sixty))
    }

    /// For the public application form: 3 an hour per e-mail address (from all sources
    /// together), 10 per source address.
    pub fn for_applications() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let three = NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN);
        let ten = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_hour(three), Quota::per_hour(ten))
    }

    /// `per_account` per account and source address, and (until `with_account_ceiling` says
    /// otherwise) per account from all sources too; `per_address` per source address.
    pub fn with_quotas(per_account: governor::Quota, per_address: governor::Quota) -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self {
            per_account_source: governor::RateLimiter::keyed(per_account),
            per_account: governor::RateLimiter::keyed(per_account),
            per_address: governor::RateLimiter::keyed(per_address),
            noted_rarely: governor::RateLimiter::keyed(Quota::per_minute(NonZeroU32::MIN)),
            noted: governor::RateLimiter::keyed(Quota::per_minute(twenty)),
            known: std::sync::Mutex::new(Known::default()),
        }
    }

    /// The overall budget of one account, from all sources together.
    pub fn with_account_ceiling(mut self, ceiling: governor::Quota) -> Self {
        self.per_account = governor::RateLimiter::keyed(ceiling);
        self
    }

    /// Forgets keys whose budget is full again, so the tables do not grow without bound
    /// (called every minute by the server's maintenance worker).
    pub fn prune(&self) {
        self.per_account_source.retain_recent();
        self.per_account_source.shrink_to_fit();
        self.per_account.retain_recent();
        self.per_account.shrink_to_fit();
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
        self.noted_rarely.retain_recent();
        self.noted_rarely.shrink_to_fit();
        self.noted.retain_recent();
        self.noted.shrink_to_fit();
        let mut known = self.known();
        known.by_account.retain(|_, sources| {
            sources.retain(|(_, at)| at.elapsed() < KNOWN_FOR);
            !sources.is_empty()
        });
        known.pairs = known.by_account.values().map(Vec::len).sum();
    }

    fn known(&self) -> std::sync::MutexGuard<'_, Known> {
        match self.known.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Remembers that `email` signed in from `address`: that address is exempt from the
    /// account's overall ceiling from now on (for `KNOWN_FOR`).
    pub fn signed_in(&self, email: &str, address: Option<std::net::IpAddr>) {
        let Some(source) = address.map(entente_domain::forwarded::throttle_key) else {
            return;
        };
        let now = std::time::Instant::now();
        let mut known = self.known();
        let full = known.pairs >= KNOWN_MAX;
        let sources = known.by_account.entry(account_key(email)).or_default();
        let added = if let Some(entry) = sources.iter_mut().find(|(s, _)| *s == source) {
            entry.1 = now;
            false
        } else if sources.len() >= KNOWN_PER_ACCOUNT {
            if let Some(oldest) = sources.iter_mut().min_by_key(|(_, at)| *at) {
                *oldest = (source, now);
            }
            false
        } else if full {
            tracing::warn!("known sign-in addresses are full until the next prune");
            false
        } else {
            sources.push((source, now));
            true
        };
        if added {
            known.pairs += 1;
        }
    }

    fn is_known(&self, account: &str, source: Option<&std::net::IpAddr>) -> bool {
        source.is_some_and(|s| {
            self.known().by_account.get(account).is_some_and(|sources| {
                sources
                    .iter()
                    .any(|(k, at)| k == s && at.elapsed() < KNOWN_FOR)
            })
        })
    }

    /// Accounts and addresses currently held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.per_account.len() + self.per_address.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keys currently held in every table (accounts per source, audit notes and known
    /// addresses too).
    pub fn keys_held(&self) -> usize {
        self.len()
            + self.per_account_source.len()
            + self.noted_rarely.len()
            + self.noted.len()
            + self.known().pairs
    }

    /// True when an audit event about a refused attempt under `key` should be written now:
    /// at most one a minute per key when `rare` (refusals anyone can cause at will), twenty a
    /// minute otherwise. The rest are only logged, so a flood cannot push real events out of
    /// the trail.
    pub fn note(&self, key: &str, rare: bool) -> bool {
        let mut key = key.to_owned();
        truncate(&mut key, 512);
        if rare {
            self.noted_rarely.check_key(&key).is_ok()
        } else {
            self.noted.check_key(&key).is_ok()
        }
    }

    /// True when an attempt that names no account (a federated sign-in starting) is within the
    /// source address's budget.
    pub fn allow_address(&self, address: Option<std::net::IpAddr>) -> bool {
        address.is_none_or(|a| {
            self.per_address
                .check_key(&entente_domain::forwarded::throttle_key(a))
                .is_ok()
        })
    }

    /// True when this attempt is within every budget: the source address's, the account's from
    /// this address, and the account's overall ceiling. The address is checked first, so an
    /// address over its budget cannot fill the per-account tables with made-up e-mails; e-mail
    /// keys are at most 254 bytes (RFC 5321's limit); IPv6 clients count per /64, the block one
    /// subscriber gets.
    pub fn allow(&self, email: &str, address: Option<std::net::IpAddr>) -> bool {
        let source = address.map(entente_domain::forwarded::throttle_key);
        if let Some(a) = source
            && self.per_address.check_key(&a).is_err()
        {
            return false;
        }
        let account = account_key(email);
        // This source's budget for the account first: a guesser over it spends nothing of the
        // account's overall ceiling, which the owner elsewhere still needs.
        if self
            .per_account_source
            .check_key(&(account.clone(), source))
            .is_err()
        {
            return false;
        }
        // Where the owner signed in before, strangers' guesses elsewhere do not lock them out.
        self.is_known(&account, source.as_ref()) || self.per_account.check_key(&account).is_ok()
    }
}

/// An account as the budgets key it: trimmed, lower-cased, at most 254 bytes (RFC 5321).
fn account_key(email: &str) -> String {
    let mut account = email.trim().to_ascii_lowercase();
    truncate(&mut account, 254);
    account
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
}
