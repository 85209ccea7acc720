//! The memory of verified signatures (`entente_domain::verified`): a bounded concurrent cache
//! (quick_cache's S3-FIFO, so a flood of one-off tokens does not push out the tokens presented
//! again and again). ENTENTE_VERIFIED_TOKENS entries at most; 0 turns it off.

use entente_domain::verified::{KeyPrint, TokenDigest, VerifiedTokens};

pub struct VerifiedTokenCache {
    cache: quick_cache::sync::Cache<TokenDigest, (KeyPrint, i64)>,
}

impl VerifiedTokenCache {
    /// `None` when `capacity` is 0 (every signature is checked).
    pub fn new(capacity: usize) -> Option<Self> {
        (capacity > 0).then(|| Self {
            cache: quick_cache::sync::Cache::new(capacity),
        })
    }

    pub fn len(&self) -> usize {
        self.cache.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }

    pub fn capacity(&self) -> u64 {
        self.cache.capacity()
    }
}

/// The memory as the verifiers take it (`None` when it is off).
pub fn memory(cache: &Option<std::sync::Arc<VerifiedTokenCache>>) -> Option<&dyn VerifiedTokens> {
    cache.as_deref().map(|c| c as &dyn VerifiedTokens)
}

impl VerifiedTokens for VerifiedTokenCache {
    fn recall(&self, digest: &TokenDigest) -> Option<(KeyPrint, i64)> {
        self.cache.get(digest)
    }

    fn remember(&self, digest: TokenDigest, key: KeyPrint, exp: i64) {
        self.cache.insert(digest, (key, exp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_under_a_flood_of_distinct_tokens() {
        let c = VerifiedTokenCache::new(100).expect("on");
        for i in 0..10_000u32 {
            let d = entente_domain::verified::digest(&format!("token-{i}"));
            c.remember(d, [1; 32], 1_000);
        }
        assert!(c.len() <= 100, "{} entries", c.len());
        assert!(!c.is_empty());
        assert!(VerifiedTokenCache::new(0).is_none());
    }
}
