//! Client secrets: 256-bit random, shown once, stored as HMAC-SHA256 under a server pepper.
//!
//! A slow KDF buys nothing for 256-bit random secrets (NIST SP 800-63B §5.1.2.2) and would cap
//! token throughput, so the stored form is a keyed hash compared in constant time.

use aws_lc_rs::{hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Prefix that makes leaked secrets easy to find with secret scanners.
pub const SECRET_PREFIX: &str = "ent_sec_";

/// Returns a new random secret (prefix + 43 base64url characters).
pub fn generate_secret() -> String {
    format!("{SECRET_PREFIX}{}", random_token(32))
}

/// `n` random bytes, base64url without padding.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    // The system RNG failing is not recoverable; aws-lc aborts rather than return weak bytes.
    #[allow(clippy::expect_used)]
    rand::fill(&mut buf).expect("system random generator failed");
    URL_SAFE_NO_PAD.encode(buf)
}

/// Keyed hash of a secret with the deployment's pepper.
#[derive(Clone)]
pub struct SecretHasher {
    key: hmac::Key,
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(..)")
    }
}

impl SecretHasher {
    pub fn new(pepper: &[u8]) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, pepper),
        }
    }

    pub fn hash(&self, secret: &str) -> Vec<u8> {
        hmac::sign(&self.key, secret.as_bytes()).as_ref().to_vec()
    }

    /// Constant-time check of `secret` against a stored hash.
    pub fn verify(&self, secret: &str, stored: &[u8]) -> bool {
        hmac::verify(&self.key, secret.as_bytes(), stored).is_ok()
    }

    /// Same work as `verify` for an unknown client id, so that a wrong id and a wrong secret
    /// cost the same (security case C32).
    pub fn verify_nothing(&self, secret: &str) {
        let _ = hmac::verify(&self.key, secret.as_bytes(), &[0u8; 32]);
    }
}

/// A new client identifier: `cl_` + 128 random bits. Not a secret, but unguessable.
pub fn new_client_id() -> String {
    format!("cl_{}", random_token(16))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_long_and_distinct() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
    }

    #[test]
    fn verify_accepts_only_the_right_secret_and_pepper() {
        let h = SecretHasher::new(b"pepper");
        let s = generate_secret();
        let stored = h.hash(&s);
        assert!(h.verify(&s, &stored));
        assert!(!h.verify("ent_sec_wrong", &stored));
        assert!(!SecretHasher::new(b"other").verify(&s, &stored));
    }
}
