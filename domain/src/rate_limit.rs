//! Rate limits: tiers, per-partner and per-client settings, which limit applies to a request, and
//! the `RateLimit-Policy` / `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers-10) that
//! describe a decision. Pure: the limiter's state and clock live in the server.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use entente_types::names::{MAX_BURST, MAX_PER_SECOND, check_tier_name};

/// A GCRA quota: `per_second` sustained, up to `burst` at once after a quiet period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub per_second: u32,
    pub burst: u32,
}

impl Rate {
    /// A rate from user input; one sentence naming the bad field otherwise.
    pub fn new(per_second: i64, burst: i64) -> Result<Self, String> {
        if !(1..=MAX_PER_SECOND).contains(&per_second) {
            return Err(format!(
                "per-second rate must be between 1 and {MAX_PER_SECOND}"
            ));
        }
        if !(1..=MAX_BURST).contains(&burst) {
            return Err(format!("burst must be between 1 and {MAX_BURST}"));
        }
        Ok(Self {
            per_second: u32::try_from(per_second).map_err(|_| "per-second rate is too large")?,
            burst: u32::try_from(burst).map_err(|_| "burst is too large")?,
        })
    }

    /// This rate shared by `replicas` processes that cannot coordinate (Redis unreachable in
    /// `local` mode): each enforces its share, rounded up so that no share is zero.
    pub fn share(self, replicas: u32) -> Self {
        let n = replicas.max(1);
        Self {
            per_second: self.per_second.div_ceil(n).max(1),
            burst: self.burst.div_ceil(n).max(1),
        }
    }

    /// Nanoseconds between two requests at the sustained rate (GCRA's emission interval).
    pub fn interval_ns(self) -> u64 {
        1_000_000_000 / u64::from(self.per_second.max(1))
    }
}

/// What a partner or client has: a named tier or its own numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Setting {
    Tier(String),
    Custom(Rate),
}

impl Setting {
    /// A setting from form or command-line parts: a tier, or a rate with its burst.
    pub fn from_parts(
        tier: Option<&str>,
        per_second: Option<i64>,
        burst: Option<i64>,
    ) -> Result<Self, String> {
        match (
            tier.map(str::trim).filter(|t| !t.is_empty()),
            per_second,
            burst,
        ) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err("give either a tier or a per-second rate with a burst, not both".into())
            }
            (Some(t), None, None) => {
                check_tier_name(t)?;
                Ok(Self::Tier(t.to_owned()))
            }
            (None, Some(p), Some(b)) => Rate::new(p, b).map(Self::Custom),
            (None, Some(_), None) => Err("a per-second rate needs a burst too".into()),
            (None, None, Some(_)) => Err("a burst needs a per-second rate too".into()),
            (None, None, None) => Err("give a tier or a per-second rate with a burst".into()),
        }
    }
}

/// Where an effective limit comes from, for the console and `limit show`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "tier", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Source {
    /// The default tier (the partner or client sets nothing).
    Default(String),
    /// A tier chosen for this partner or client.
    Tier(String),
    /// Numbers set for this partner or client.
    Custom,
    /// A client without a setting of its own follows its partner's limit.
    Partner,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Effective {
    pub rate: Rate,
    pub source: Source,
}

/// The tiers in force, for resolving settings.
#[derive(Debug, Clone, Default)]
pub struct Tiers {
    rates: HashMap<String, Rate>,
    default: Option<String>,
}

impl Tiers {
    pub fn new(tiers: impl IntoIterator<Item = (String, Rate, bool)>) -> Self {
        let mut t = Self::default();
        for (name, rate, is_default) in tiers {
            if is_default {
                t.default = Some(name.clone());
            }
            t.rates.insert(name, rate);
        }
        t
    }

    pub fn rate(&self, name: &str) -> Option<Rate> {
        self.rates.get(name).copied()
    }

    fn default_limit(&self) -> Option<Effective> {
        let name = self.default.as_ref()?;
        Some(Effective {
            rate: self.rate(name)?,
            source: Source::Default(name.clone()),
        })
    }

    fn own(&self, setting: &Setting) -> Option<Effective> {
        match setting {
            Setting::Tier(name) => Some(Effective {
                rate: self.rate(name)?,
                source: Source::Tier(name.clone()),
            }),
            Setting::Custom(rate) => Some(Effective {
                rate: *rate,
                source: Source::Custom,
            }),
        }
    }

    /// A partner's limit: its own setting, else the default tier, else none (unlimited).
    pub fn partner(&self, setting: Option<&Setting>) -> Option<Effective> {
        setting
            .and_then(|s| self.own(s))
            .or_else(|| self.default_limit())
    }

    /// A partner client's own limit: its setting, else its partner's rate (each client gets
    /// the partner's rate for itself; the partner's limit also holds for all its clients).
    pub fn partner_client(
        &self,
        setting: Option<&Setting>,
        partner: Option<&Effective>,
    ) -> Option<Effective> {
        setting.and_then(|s| self.own(s)).or_else(|| {
            partner.map(|p| Effective {
                rate: p.rate,
                source: Source::Partner,
            })
        })
    }

    /// A resource server's limit on introspection: its setting, else the default tier.
    pub fn resource_server(&self, setting: Option<&Setting>) -> Option<Effective> {
        self.partner(setting)
    }
}

/// A tier as the console, the CLI and the API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TierView {
    pub name: String,
    pub per_second: u32,
    pub burst: u32,
    pub default: bool,
    /// Partner and client settings that name this tier.
    pub used_by: u64,
}

/// Requests per second a subject made in the last complete second, as a running server saw them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Observed {
    pub allowed: u64,
    pub refused: u64,
}

/// A partner's or client's setting and the limit that follows from it (`None`: unlimited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectLimit {
    pub setting: Option<Setting>,
    pub effective: Option<Effective>,
    /// Filled in by a running server (absent from the command line, which has no traffic).
    /// For a partner: its production budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<Observed>,
    /// For a partner: its sandbox budget, which has the same rate and counts apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_sandbox: Option<Observed>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientLimit {
    pub client_id: String,
    pub name: String,
    pub limit: SubjectLimit,
}

/// A partner's limit over all its clients, and each client's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerLimits {
    pub partner: String,
    pub name: String,
    pub limit: SubjectLimit,
    pub clients: Vec<ClientLimit>,
}

impl Tiers {
    /// The views of a partner's setting and its clients' settings.
    pub fn partner_view(
        &self,
        partner: Option<&Setting>,
        clients: impl IntoIterator<Item = (String, String, Option<Setting>)>,
    ) -> (SubjectLimit, Vec<ClientLimit>) {
        let effective = self.partner(partner);
        let clients = clients
            .into_iter()
            .map(|(client_id, name, setting)| ClientLimit {
                limit: SubjectLimit {
                    effective: self.partner_client(setting.as_ref(), effective.as_ref()),
                    setting,
                    current: None,
                    current_sandbox: None,
                },
                client_id,
                name,
            })
            .collect();
        (
            SubjectLimit {
                setting: partner.cloned(),
                effective,
                current: None,
                current_sandbox: None,
            },
            clients,
        )
    }
}

/// One limit to check: a policy, the subject's key and its rate.
#[derive(Debug, Clone, Copy)]
pub struct Check<'a> {
    pub policy: Policy,
    pub key: &'a String,
    pub rate: Rate,
}

/// The rate-limit subject of a partner's budget in `env`: its slug in production,
/// `<slug>/sandbox` in the sandbox (a slash never appears in a slug).
pub fn partner_limit_key(slug: &str, env: crate::environment::Environment) -> String {
    match env {
        crate::environment::Environment::Production => slug.to_owned(),
        crate::environment::Environment::Sandbox => format!("{slug}/sandbox"),
    }
}

/// Which policy a check was against; the name is the policy's identifier in the header fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Policy {
    Client,
    Partner,
}

impl Policy {
    pub fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Partner => "partner",
        }
    }
}

/// The state of one policy after a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyState {
    pub policy: Policy,
    pub rate: Rate,
    /// Requests that could be made now.
    pub remaining: u32,
    /// Nanoseconds until one more request would be allowed (0 while `remaining` > 0).
    pub wait_ns: u64,
}

/// The outcome of checking every policy that applies to one request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Verdict {
    pub states: Vec<PolicyState>,
    /// `Some(wait)` when refused: nanoseconds until a request would be allowed.
    pub refused_for_ns: Option<u64>,
}

/// Vendor parameter of `RateLimit-Policy` carrying the burst (the draft's §5 asks for a prefix).
pub const BURST_PARAMETER: &str = "entente-burst";

impl Verdict {
    pub fn allowed(&self) -> bool {
        self.refused_for_ns.is_none()
    }

    /// The policy that answers: the one with the fewest requests left.
    pub fn strictest(&self) -> Option<&PolicyState> {
        self.states
            .iter()
            .min_by_key(|s| (s.remaining, std::cmp::Reverse(s.wait_ns)))
    }

    /// `RateLimit-Policy`: every policy that applied, as a Structured Field List. The quota
    /// is the sustained rate per one-second window (`"partner";q=100;w=1`); GCRA also allows a
    /// burst after a quiet period, stated in a vendor parameter (`entente-burst=200`), so `r`
    /// may exceed `q` (the draft mandates no relation between them).
    pub fn policy_field(&self) -> Option<String> {
        if self.states.is_empty() {
            return None;
        }
        let items: Vec<String> = self
            .states
            .iter()
            .map(|s| {
                format!(
                    "\"{}\";q={};w=1;{BURST_PARAMETER}={}",
                    s.policy.name(),
                    s.rate.per_second,
                    s.rate.burst
                )
            })
            .collect();
        Some(items.join(", "))
    }

    /// `RateLimit`: the policy that answers, with what is left (`r`) and the seconds until more
    /// is available (`t`: 0 while something is left, else the wait rounded up, the same as
    /// `Retry-After` on a refusal, which the draft says must not be earlier).
    pub fn limit_field(&self) -> Option<String> {
        let s = self.strictest()?;
        Some(format!(
            "\"{}\";r={};t={}",
            s.policy.name(),
            s.remaining,
            secs_up(s.wait_ns)
        ))
    }

    /// `Retry-After` of a refusal: whole seconds, at least 1 (0 would invite an instant retry).
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.refused_for_ns.map(|ns| secs_up(ns).max(1))
    }
}

fn secs_up(ns: u64) -> u64 {
    ns.div_ceil(1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(p: u32, b: u32) -> Rate {
        Rate {
            per_second: p,
            burst: b,
        }
    }

    #[test]
    fn input_is_bounded() {
        assert!(Rate::new(0, 1).is_err());
        assert!(Rate::new(1, 0).is_err());
        assert!(Rate::new(MAX_PER_SECOND + 1, 1).is_err());
        assert!(Rate::new(1, MAX_BURST + 1).is_err());
        assert!(Rate::new(-5, 10).is_err());
        assert_eq!(Rate::new(100, 200), Ok(rate(100, 200)));
    }

    #[test]
    fn a_setting_is_a_tier_or_a_rate() {
        assert_eq!(
            Setting::from_parts(Some("gold"), None, None),
            Ok(Setting::Tier("gold".into()))
        );
        assert_eq!(
            Setting::from_parts(Some(" "), Some(5), Some(10)),
            Ok(Setting::Custom(rate(5, 10)))
        );
        assert!(Setting::from_parts(Some("gold"), Some(5), Some(10)).is_err());
        assert!(Setting::from_parts(None, Some(5), None).is_err());
        assert!(Setting::from_parts(None, None, Some(5)).is_err());
        assert!(Setting::from_parts(None, None, None).is_err());
        assert!(Setting::from_parts(Some("Gold!"), None, None).is_err());
        assert!(Setting::from_parts(None, Some(0), Some(1)).is_err());
    }

    #[test]
    fn tier_names_are_slugs() {
        assert!(check_tier_name("gold").is_ok());
        assert!(check_tier_name("tier-2").is_ok());
        for bad in ["", "g", "Gold", "2fast", "a b", &"x".repeat(41)] {
            assert!(check_tier_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_resolve_partner_then_default() {
        let tiers = Tiers::new([
            ("standard".to_owned(), rate(10, 20), true),
            ("gold".to_owned(), rate(100, 200), false),
        ]);
        let none = tiers.partner(None);
        assert_eq!(
            none,
            Some(Effective {
                rate: rate(10, 20),
                source: Source::Default("standard".into())
            })
        );
        let gold = tiers.partner(Some(&Setting::Tier("gold".into())));
        assert_eq!(gold.as_ref().map(|e| e.rate), Some(rate(100, 200)));
        // A client without a setting gets its partner's rate; with one, its own.
        let c = tiers.partner_client(None, gold.as_ref());
        assert_eq!(c.as_ref().map(|e| &e.source), Some(&Source::Partner));
        assert_eq!(c.map(|e| e.rate), Some(rate(100, 200)));
        let own = tiers.partner_client(Some(&Setting::Custom(rate(5, 5))), gold.as_ref());
        assert_eq!(own.map(|e| e.rate), Some(rate(5, 5)));
        // A setting naming a tier that is gone falls back to the default, never to unlimited.
        let gone = tiers.partner(Some(&Setting::Tier("platinum".into())));
        assert_eq!(gone.map(|e| e.rate), Some(rate(10, 20)));
    }

    #[test]
    fn without_a_default_tier_nothing_is_limited() {
        let tiers = Tiers::new([("gold".to_owned(), rate(100, 200), false)]);
        assert_eq!(tiers.partner(None), None);
        assert_eq!(tiers.partner_client(None, None), None);
        assert_eq!(tiers.resource_server(None), None);
    }

    #[test]
    fn a_share_never_rounds_to_zero() {
        assert_eq!(rate(100, 200).share(3), rate(34, 67));
        assert_eq!(rate(1, 1).share(3), rate(1, 1));
        assert_eq!(rate(10, 10).share(0), rate(10, 10));
    }

    #[test]
    fn fields_follow_the_draft_syntax() {
        let v = Verdict {
            states: vec![
                PolicyState {
                    policy: Policy::Client,
                    rate: rate(100, 100),
                    remaining: 99,
                    wait_ns: 0,
                },
                PolicyState {
                    policy: Policy::Partner,
                    rate: rate(100, 250),
                    remaining: 42,
                    wait_ns: 0,
                },
            ],
            refused_for_ns: None,
        };
        assert_eq!(
            v.policy_field().as_deref(),
            Some("\"client\";q=100;w=1;entente-burst=100, \"partner\";q=100;w=1;entente-burst=250")
        );
        assert_eq!(v.limit_field().as_deref(), Some("\"partner\";r=42;t=0"));
        assert_eq!(v.retry_after_secs(), None);
        assert_eq!(Verdict::default().policy_field(), None);
        assert_eq!(Verdict::default().limit_field(), None);
    }

    #[test]
    fn a_refusal_waits_at_least_a_second_and_says_so_twice() {
        let v = Verdict {
            states: vec![PolicyState {
                policy: Policy::Partner,
                rate: rate(2, 2),
                remaining: 0,
                wait_ns: 1_200_000_000,
            }],
            refused_for_ns: Some(1_200_000_000),
        };
        assert!(!v.allowed());
        assert_eq!(v.retry_after_secs(), Some(2));
        assert_eq!(v.limit_field().as_deref(), Some("\"partner\";r=0;t=2"));
        let soon = Verdict {
            refused_for_ns: Some(3),
            ..v
        };
        assert_eq!(soon.retry_after_secs(), Some(1));
    }
}
