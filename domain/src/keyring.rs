//! Key rotation as a pure plan: given the keys and `now`, which transitions are due.
//!
//! Life of a key: pending (published in JWKS, not yet signing) → active (signing) → retiring
//! (published, no longer signing, until every token it signed has expired) → retired.
//! A key is only ever used to sign after it has been published for `publish_lead` seconds, so
//! resource servers that cache JWKS never meet an unknown `kid` (security case D39).

use std::str::FromStr;

use crate::UnixTime;
use crate::keys::SigningAlgorithm;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Pending,
    Active,
    Retiring,
    Retired,
    Revoked,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retiring => "retiring",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
        }
    }

    /// Keys resource servers must be able to verify with.
    pub fn is_published(self) -> bool {
        matches!(self, Self::Pending | Self::Active | Self::Retiring)
    }
}

impl FromStr for KeyState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Pending,
            Self::Active,
            Self::Retiring,
            Self::Retired,
            Self::Revoked,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| format!("unknown key state {s:?}"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    pub kid: String,
    pub algorithm: SigningAlgorithm,
    pub state: KeyState,
    pub created_at: UnixTime,
    /// When the key entered its current state.
    pub state_since: UnixTime,
}

#[derive(Debug, Clone, Copy)]
pub struct RotationPolicy {
    pub algorithm: SigningAlgorithm,
    /// An active key older than this gets a successor.
    pub rotation_interval: i64,
    /// How long a successor is published before it signs (longer than any JWKS cache).
    pub publish_lead: i64,
    /// The longest lifetime of any token a key may have signed, plus clock skew.
    pub max_token_lifetime: i64,
}

impl Default for RotationPolicy {
    fn default() -> Self {
        Self {
            algorithm: SigningAlgorithm::Es256,
            rotation_interval: 30 * 24 * 3600,
            publish_lead: 600,
            max_token_lifetime: 24 * 3600 + 60,
        }
    }
}

pub use entente_types::key_policy::{JWKS_MAX_AGE, RETIREMENT_SKEW};

impl RotationPolicy {
    /// An administrator's policy: rotation period, pre-publication window and retirement grace.
    /// The grace must outlast every token a key may have signed (`longest_token_lifetime`), and
    /// the pre-publication window every JWKS cache.
    pub fn checked(
        algorithm: SigningAlgorithm,
        rotation_interval: i64,
        publish_lead: i64,
        retirement_grace: i64,
        longest_token_lifetime: i64,
    ) -> Result<Self, String> {
        entente_types::key_policy::check_policy(
            rotation_interval,
            publish_lead,
            retirement_grace,
            longest_token_lifetime,
        )
        .map_err(|(_, e)| e)?;
        Ok(Self {
            algorithm,
            rotation_interval,
            publish_lead,
            max_token_lifetime: retirement_grace,
        })
    }
}

impl RotationPolicy {
    /// These defaults with an administrator's stored periods (rotation interval,
    /// pre-publication window, retirement grace), when there are any.
    pub fn with_periods(self, stored: Option<(i64, i64, i64)>) -> Self {
        match stored {
            Some((rotation_interval, publish_lead, grace)) => Self {
                rotation_interval,
                publish_lead,
                max_token_lifetime: grace,
                ..self
            },
            None => self,
        }
    }
}

/// Whether an administrator may revoke a key in `state` (an emergency: it leaves the JWKS at
/// once and what it signed stops verifying).
pub fn check_revoke(state: KeyState) -> Result<(), String> {
    match state {
        KeyState::Pending | KeyState::Active | KeyState::Retiring => Ok(()),
        KeyState::Retired => Err("the key is retired: it is no longer published".into()),
        KeyState::Revoked => Err("the key is already revoked".into()),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// Generate a key in the given state (Active only when there is no key at all).
    Create {
        algorithm: SigningAlgorithm,
        state: KeyState,
    },
    Move {
        kid: String,
        to: KeyState,
    },
}

/// Transitions due at `now`. Applying them and planning again yields nothing new.
pub fn plan(keys: &[KeyRecord], policy: &RotationPolicy, now: UnixTime) -> Vec<Transition> {
    let mut out = Vec::new();
    let active = signing_key(keys);
    let pending = keys
        .iter()
        .filter(|k| k.state == KeyState::Pending)
        .max_by_key(|k| k.created_at);

    match (active, pending) {
        (None, None) => out.push(Transition::Create {
            algorithm: policy.algorithm,
            state: KeyState::Active,
        }),
        (None, Some(p)) => out.push(Transition::Move {
            kid: p.kid.clone(),
            to: KeyState::Active,
        }),
        (Some(a), None)
            if now - a.state_since >= policy.rotation_interval
                || a.algorithm != policy.algorithm =>
        {
            out.push(Transition::Create {
                algorithm: policy.algorithm,
                state: KeyState::Pending,
            })
        }
        (Some(a), Some(p)) if now - p.state_since >= policy.publish_lead => {
            out.push(Transition::Move {
                kid: p.kid.clone(),
                to: KeyState::Active,
            });
            out.push(Transition::Move {
                kid: a.kid.clone(),
                to: KeyState::Retiring,
            });
        }
        _ => {}
    }
    // Extra active keys (two replicas activated at once) step down, newest wins.
    for k in keys.iter().filter(|k| k.state == KeyState::Active) {
        if active.is_some_and(|a| a.kid != k.kid) {
            out.push(Transition::Move {
                kid: k.kid.clone(),
                to: KeyState::Retiring,
            });
        }
    }
    for k in keys.iter().filter(|k| k.state == KeyState::Retiring) {
        if now - k.state_since >= policy.max_token_lifetime {
            out.push(Transition::Move {
                kid: k.kid.clone(),
                to: KeyState::Retired,
            });
        }
    }
    out
}

/// The key that signs now: the most recently activated active key.
pub fn signing_key(keys: &[KeyRecord]) -> Option<&KeyRecord> {
    keys.iter()
        .filter(|k| k.state == KeyState::Active)
        .max_by_key(|k| (k.state_since, k.created_at))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, state: KeyState, since: i64) -> KeyRecord {
        KeyRecord {
            kid: kid.into(),
            algorithm: SigningAlgorithm::Es256,
            state,
            created_at: since,
            state_since: since,
        }
    }

    fn policy() -> RotationPolicy {
        RotationPolicy {
            rotation_interval: 1000,
            publish_lead: 100,
            max_token_lifetime: 300,
            ..Default::default()
        }
    }

    #[test]
    fn policies_outlast_caches_and_tokens() {
        let alg = SigningAlgorithm::Es256;
        assert!(RotationPolicy::checked(alg, 86_400, 600, 3700, 3600).is_ok());
        assert!(
            RotationPolicy::checked(alg, 86_400, 60, 3700, 3600).is_err(),
            "shorter than the JWKS cache"
        );
        assert!(
            RotationPolicy::checked(alg, 600, 600, 3700, 3600).is_err(),
            "period within the window"
        );
        let err = RotationPolicy::checked(alg, 86_400, 600, 3600, 3600).unwrap_err();
        assert!(err.contains("at least 3660"), "{err}");
        assert!(check_revoke(KeyState::Active).is_ok());
        assert!(check_revoke(KeyState::Retired).is_err());
        assert!(check_revoke(KeyState::Revoked).is_err());
    }

    #[test]
    fn bootstraps_an_active_key() {
        assert_eq!(
            plan(&[], &policy(), 0),
            vec![Transition::Create {
                algorithm: SigningAlgorithm::Es256,
                state: KeyState::Active
            }]
        );
    }

    #[test]
    fn successor_is_published_before_it_signs() {
        let keys = [key("a", KeyState::Active, 0)];
        assert!(plan(&keys, &policy(), 999).is_empty());
        assert_eq!(
            plan(&keys, &policy(), 1000),
            vec![Transition::Create {
                algorithm: SigningAlgorithm::Es256,
                state: KeyState::Pending
            }]
        );
        let keys = [
            key("a", KeyState::Active, 0),
            key("b", KeyState::Pending, 1000),
        ];
        assert!(
            plan(&keys, &policy(), 1099).is_empty(),
            "pending key must wait for the publish lead"
        );
        assert_eq!(
            plan(&keys, &policy(), 1100),
            vec![
                Transition::Move {
                    kid: "b".into(),
                    to: KeyState::Active
                },
                Transition::Move {
                    kid: "a".into(),
                    to: KeyState::Retiring
                }
            ]
        );
    }

    #[test]
    fn retiring_key_stays_published_until_its_tokens_expire() {
        let keys = [
            key("b", KeyState::Active, 1100),
            key("a", KeyState::Retiring, 1100),
        ];
        assert!(plan(&keys, &policy(), 1399).is_empty());
        assert_eq!(
            plan(&keys, &policy(), 1400),
            vec![Transition::Move {
                kid: "a".into(),
                to: KeyState::Retired
            }]
        );
    }

    #[test]
    fn changing_the_algorithm_rotates() {
        let keys = [key("a", KeyState::Active, 0)];
        let p = RotationPolicy {
            algorithm: SigningAlgorithm::EdDsa,
            ..policy()
        };
        assert_eq!(
            plan(&keys, &p, 1),
            vec![Transition::Create {
                algorithm: SigningAlgorithm::EdDsa,
                state: KeyState::Pending
            }]
        );
    }

    #[test]
    fn two_active_keys_resolve_to_the_newest() {
        let keys = [key("a", KeyState::Active, 5), key("b", KeyState::Active, 7)];
        assert_eq!(signing_key(&keys).unwrap().kid, "b");
        assert_eq!(
            plan(&keys, &policy(), 8),
            vec![Transition::Move {
                kid: "a".into(),
                to: KeyState::Retiring
            }]
        );
    }
}
