//! Sign-in attempts per account and per source address (security case F48).

type KeyedLimiter<K> = governor::DefaultKeyedRateLimiter<K>;

/// Sign-in attempts per account and per source address (security case F48). Unknown accounts
/// are throttled like known ones, so the limit reveals nothing about which e-mails exist.
pub struct LoginThrottle {
    per_account: KeyedLimiter<String>,
    per_address: KeyedLimiter<std::net::IpAddr>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginThrottle")
    }
}

impl Default for LoginThrottle {
    /// 5 attempts a minute per account, 20 per source address.
    fn default() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let five = NonZeroU32::new(5).unwrap_or(NonZeroU32::MIN);
        let twenty = NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_minute(five), Quota::per_minute(twenty))
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

    /// For the public application form: 3 an hour per e-mail address, 10 per source address.
    pub fn for_applications() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let three = NonZeroU32::new(3).unwrap_or(NonZeroU32::MIN);
        let ten = NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN);
        Self::with_quotas(Quota::per_hour(three), Quota::per_hour(ten))
    }

    pub fn with_quotas(per_account: governor::Quota, per_address: governor::Quota) -> Self {
        Self {
            per_account: governor::RateLimiter::keyed(per_account),
            per_address: governor::RateLimiter::keyed(per_address),
        }
    }

    /// Forgets keys whose budget is full again, so the tables do not grow without bound
    /// (called every minute by the server's maintenance worker).
    pub fn prune(&self) {
        self.per_account.retain_recent();
        self.per_account.shrink_to_fit();
        self.per_address.retain_recent();
        self.per_address.shrink_to_fit();
    }

    /// Keys currently held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.per_account.len() + self.per_address.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// True when this attempt is within both budgets. The address is checked first, so an
    /// address over its budget cannot fill the per-account table with made-up e-mails; e-mail
    /// keys are at most 254 bytes (RFC 5321's limit); IPv6 clients count per /64, the block one
    /// subscriber gets.
    pub fn allow(&self, email: &str, address: Option<std::net::IpAddr>) -> bool {
        if let Some(a) = address
            && self
                .per_address
                .check_key(&entente_domain::forwarded::throttle_key(a))
                .is_err()
        {
            return false;
        }
        let mut account = email.trim().to_ascii_lowercase();
        if account.len() > 254 {
            let mut end = 254;
            while !account.is_char_boundary(end) {
                end -= 1;
            }
            account.truncate(end);
        }
        self.per_account.check_key(&account).is_ok()
    }
}
