//! Rate limits on the token service: per client and per partner on the token endpoint, per
//! resource server on introspection (GCRA; the stricter answers), and failed client
//! authentication per client id and per source address. Limits come from the snapshot (tiers
//! and settings, kept fresh by the change feed); the counters live here.

pub mod auth_failures;
pub mod local;
pub mod meter;
pub mod subject;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use entente_domain::OAuthError;
use entente_domain::rate_limit::{ClientLimit, Observed, PartnerLimits, Policy, Verdict};
use entente_store::Actor;

use crate::cluster::{Checked, FailureMode, Redis};
pub use entente_domain::rate_limit::Check;

pub struct Limits {
    pub local: local::LocalLimiter,
    pub auth_failures: auth_failures::AuthFailures,
    pub meter: meter::Meter,
    /// Each limited subject's own limiter (the fast path of one process).
    pub subjects: std::sync::Arc<subject::Registry>,
    /// Cluster mode: limits shared by every replica through Redis.
    pub redis: Option<std::sync::Arc<Redis>>,
    /// Audit events of blocks written per minute, at most (a flood cannot fill the audit log).
    audited_blocks: governor::DefaultDirectRateLimiter,
}

/// Block audit events written per minute, at most.
const AUDITED_BLOCKS: u32 = 60;

/// Settings of the failed-authentication limiter (per minute).
#[derive(Debug, Clone, Copy)]
pub struct AuthFailureBudget {
    pub per_client: u32,
    pub per_address: u32,
}

impl Default for AuthFailureBudget {
    fn default() -> Self {
        Self {
            per_client: 20,
            per_address: 100,
        }
    }
}

impl Limits {
    pub fn new(budget: AuthFailureBudget, redis: Option<std::sync::Arc<Redis>>) -> Self {
        Self {
            redis,
            local: local::LocalLimiter::default(),
            auth_failures: auth_failures::AuthFailures::new(budget.per_client, budget.per_address),
            meter: meter::Meter::default(),
            subjects: std::sync::Arc::default(),
            // One a second on average, at most ten at once: about 60 a minute at most.
            audited_blocks: governor::RateLimiter::direct(
                governor::Quota::per_minute(
                    std::num::NonZeroU32::new(AUDITED_BLOCKS).unwrap_or(std::num::NonZeroU32::MIN),
                )
                .allow_burst(std::num::NonZeroU32::new(10).unwrap_or(std::num::NonZeroU32::MIN)),
            ),
        }
    }

    /// Whether limits are shared by every replica through Redis (cluster mode).
    pub fn clustered(&self) -> bool {
        self.redis.is_some()
    }

    /// Checks every policy that applies. In cluster mode one Redis script decides for all of
    /// them at once; while Redis is unreachable the failure mode decides: each replica's share
    /// of the limit (`local`), no limit (`fail_open`) or 503 (`fail_closed`).
    pub async fn check(&self, checks: &[Check<'_>]) -> Result<Verdict, OAuthError> {
        let Some(redis) = &self.redis else {
            return Ok(self.check_here(checks, 1));
        };
        if let Checked::Verdict(v) = redis.check(checks).await {
            return Ok(v);
        }
        metrics::counter!("entente_rate_limit_fallbacks_total", "mode" => redis.failure_mode.as_str())
            .increment(1);
        match redis.failure_mode {
            FailureMode::Local => Ok(self.check_here(checks, redis.replicas())),
            FailureMode::FailOpen => Ok(Verdict::default()),
            FailureMode::FailClosed => Err(OAuthError::unavailable()),
        }
    }

    /// Checks the policies in this process, each at its share among `replicas`, in order; stops
    /// at the first refusal, so a later policy is not charged for a request an earlier one
    /// refused (a client over its own limit does not use up its partner's budget for the
    /// partner's other clients).
    fn check_here(&self, checks: &[Check<'_>], replicas: u32) -> Verdict {
        let mut v = Verdict::default();
        for c in checks {
            let c = &Check {
                rate: c.rate.share(replicas),
                ..*c
            };
            match self.local.check(*c) {
                Ok(state) => v.states.push(state),
                Err((state, wait)) => {
                    v.states.push(state);
                    v.refused_for_ns = Some(wait);
                    metrics::counter!("entente_rate_limited_total", "policy" => c.policy.name())
                        .increment(1);
                    break;
                }
            }
        }
        // Every subject the request counted against sees its outcome (a partner's refusals
        // include those its clients' own limits made), as the Redis script counts them.
        for c in checks {
            self.meter.record(c.policy, c.key, v.allowed());
        }
        v
    }

    /// Requests allowed and refused in the last second for each subject: over every replica in
    /// cluster mode (counted by the Redis script, read in one round trip), else as this process
    /// saw them.
    pub async fn observed(&self, subjects: &[(Policy, &str)]) -> Vec<Observed> {
        if let Some(redis) = &self.redis
            && let Some(counts) = redis.observed(subjects).await
        {
            return counts
                .into_iter()
                .map(|(allowed, refused)| Observed { allowed, refused })
                .collect();
        }
        // In cluster mode with Redis down, the fallback counts in `meter` (the subjects' own
        // counters are the one-process fast path's).
        subjects
            .iter()
            .map(|(p, k)| match &self.redis {
                Some(_) => self.meter.observed(*p, k),
                None => self
                    .subjects
                    .observed(&self.meter, *p, k)
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Adds the rates seen in the last second to a partner's limits and its clients'.
    pub async fn observe_partner(&self, v: &mut PartnerLimits) {
        let sandbox = entente_domain::rate_limit::partner_limit_key(
            &v.partner,
            entente_domain::environment::Environment::Sandbox,
        );
        let mut subjects = vec![
            (Policy::Partner, v.partner.as_str()),
            (Policy::Partner, sandbox.as_str()),
        ];
        subjects.extend(
            v.clients
                .iter()
                .map(|c| (Policy::Client, c.client_id.as_str())),
        );
        let seen = self.observed(&subjects).await;
        let mut seen = seen.into_iter();
        v.limit.current = seen.next();
        v.limit.current_sandbox = seen.next();
        for c in &mut v.clients {
            c.limit.current = seen.next();
        }
    }

    pub async fn observe_client(&self, c: &mut ClientLimit) {
        c.limit.current = self
            .observed(&[(Policy::Client, c.client_id.as_str())])
            .await
            .into_iter()
            .next();
    }

    /// Maintenance: forget what is whole again.
    pub fn prune(&self) {
        self.local.prune();
        self.auth_failures.prune();
        self.meter.prune();
    }
}

static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");

/// Adds `RateLimit-Policy` and `RateLimit` to a response (draft-ietf-httpapi-ratelimit-headers-10).
/// `policy`: the field rendered with the catalog snapshot, if there is one (the policies do not
/// change from one request to the next; only what is left does).
pub fn add_fields(v: &Verdict, policy: Option<&HeaderValue>, headers: &mut HeaderMap) {
    // Room for these two and the request id the middleware adds, in one growth.
    headers.reserve(3);
    let policy = match policy {
        Some(p) => Some(p.clone()),
        None => v
            .policy_field()
            .and_then(|p| HeaderValue::from_str(&p).ok()),
    };
    if let Some(p) = policy {
        headers.insert(RATELIMIT_POLICY.clone(), p);
    }
    if let Some(l) = v.limit_field().and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert(RATELIMIT.clone(), l);
    }
}

impl Limits {
    /// Writes the security audit event of a block that has just begun, in the background (the
    /// refusal does not wait on the database). A block begins at most once a minute per id or
    /// address, and at most `AUDITED_BLOCKS` a minute are written in all: beyond that (a flood
    /// from many addresses) they are counted in `entente_client_auth_blocks_unaudited_total`.
    pub fn record_trip(&self, store: &entente_store::Store, trip: auth_failures::Trip, now: i64) {
        let target = match &trip.blocked {
            auth_failures::Blocked::Client(id) => format!("client:{id}"),
            auth_failures::Blocked::Address(a) => format!("address:{a}"),
        };
        metrics::counter!("entente_client_auth_blocks_total").increment(1);
        if self.audited_blocks.check().is_err() {
            metrics::counter!("entente_client_auth_blocks_unaudited_total").increment(1);
            return;
        }
        // Debug formatting: an attacker-chosen id cannot forge log lines.
        tracing::warn!(target = ?target, seconds = trip.for_secs, "too many failed client authentications: blocking");
        let store = store.clone();
        tokio::spawn(async move {
            let actor = Actor::new("system:rate-limiter");
            if let Err(e) = store
                .record_event(
                    &actor,
                    entente_domain::audit::AuditAction::SecurityClientAuthBlocked,
                    &target,
                    serde_json::json!({ "seconds": trip.for_secs }),
                    now,
                )
                .await
            {
                tracing::warn!(error = %e, "recording a client-authentication block failed");
            }
        });
    }
}
