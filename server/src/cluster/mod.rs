//! Cluster mode: state that several replicas share through Redis (`ENTENTE_REDIS_URL`). Rate-limit
//! counters (one GCRA script per check, one round trip) and the replay caches of client
//! assertions and jwt-bearer grants live there. When Redis cannot be reached the rate limiter
//! follows the configured failure mode and the replay caches refuse (security case H54); a
//! background check notices when Redis is back, and everything recovers without a restart.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use entente_domain::rate_limit::{Policy, PolicyState, Verdict};
use redis::aio::ConnectionManager;

use entente_domain::rate_limit::Check;

/// What the rate limiter does while Redis cannot be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// Each replica enforces its share of every limit (limit ÷ replicas last seen) by itself.
    Local,
    /// No limits until Redis is back.
    FailOpen,
    /// Limited requests are refused (503) until Redis is back.
    FailClosed,
}

impl FailureMode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "local" => Ok(Self::Local),
            "fail_open" => Ok(Self::FailOpen),
            "fail_closed" => Ok(Self::FailClosed),
            other => Err(format!(
                "must be local, fail_open or fail_closed, got {other:?}"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }
}

/// Settings of cluster mode.
#[derive(Debug, Clone)]
pub struct RedisConfig {
    pub url: String,
    pub failure_mode: FailureMode,
    /// Longest wait for one Redis answer before the request falls back.
    pub timeout: Duration,
}

/// Every key Entente writes starts with this, so one Redis can serve other things too.
const PREFIX: &str = "entente:";
/// How long a replica counts as alive after its last heartbeat (milliseconds).
const REPLICA_TTL_MS: u64 = 10_000;
/// How long a shared second of usage stays (the live view shows five minutes).
const USAGE_TTL_SECS: u64 = 330;

pub struct Redis {
    client: redis::Client,
    conn: RwLock<Option<ConnectionManager>>,
    gcra: redis::Script,
    up: AtomicBool,
    /// Replicas seen alive at the last heartbeat (at least 1): the divisor of `local` mode.
    replicas: AtomicU32,
    pub failure_mode: FailureMode,
    timeout: Duration,
    down: tokio::sync::Notify,
    seen: redis::Script,
}

/// The outcome of one rate-limit check through Redis.
pub enum Checked {
    Verdict(Verdict),
    /// Redis did not answer: the caller applies the failure mode.
    Unreachable,
}

impl Redis {
    /// Prepares the client; the connection is made by `check_health` (at start-up and every
    /// half second while down), so a replica starts even while Redis is unreachable.
    pub fn new(config: &RedisConfig) -> anyhow::Result<Self> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| anyhow::anyhow!("ENTENTE_REDIS_URL: {e}"))?;
        Ok(Self {
            client,
            conn: RwLock::new(None),
            gcra: redis::Script::new(include_str!("gcra.lua")),
            up: AtomicBool::new(false),
            replicas: AtomicU32::new(1),
            failure_mode: config.failure_mode,
            timeout: config.timeout,
            down: tokio::sync::Notify::new(),
            seen: redis::Script::new(include_str!("seen.lua")),
        })
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    pub fn replicas(&self) -> u32 {
        self.replicas.load(Ordering::Relaxed).max(1)
    }

    fn connection(&self) -> Option<ConnectionManager> {
        match self.conn.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn mark(&self, up: bool) {
        let was = self.up.swap(up, Ordering::Relaxed);
        if was != up {
            if up {
                tracing::info!("Redis is reachable: shared rate limits and replay caches resume");
            } else {
                tracing::warn!(
                    failure_mode = self.failure_mode.as_str(),
                    "Redis is unreachable: rate limits follow the failure mode, assertions are refused"
                );
            }
            metrics::gauge!("entente_redis_up").set(if up { 1.0 } else { 0.0 });
            if !up {
                self.down.notify_one();
            }
        }
    }

    /// Runs one Redis call with the configured timeout. A timeout or a lost connection marks
    /// Redis down for every request (they fall back at once instead of each waiting) and wakes
    /// the heartbeat, which brings it back; any other error fails this call only.
    async fn call<T>(
        &self,
        f: impl AsyncFnOnce(ConnectionManager) -> redis::RedisResult<T>,
    ) -> Option<T> {
        if !self.is_up() {
            return None;
        }
        let conn = self.connection()?;
        match tokio::time::timeout(self.timeout, f(conn)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) if connection_lost(&e) => {
                tracing::warn!(error = %e, "Redis connection lost");
                self.mark(false);
                None
            }
            Ok(Err(e)) => {
                tracing::error!(error = %e, "a Redis call failed");
                None
            }
            Err(_) => {
                tracing::warn!("a Redis call timed out");
                self.mark(false);
                None
            }
        }
    }

    /// Resolves when a call has just marked Redis down (the heartbeat then checks at once).
    pub async fn went_down(&self) {
        self.down.notified().await;
    }

    /// One atomic GCRA check of every policy (all or nothing).
    pub async fn check(&self, checks: &[Check<'_>]) -> Checked {
        let seen = format!("{PREFIX}seen:");
        let result: Option<Vec<i64>> = self
            .call(async |mut conn| {
                let mut inv = self.gcra.prepare_invoke();
                for c in checks {
                    inv.key(limit_key(c.policy, c.key));
                }
                for c in checks {
                    // Microseconds with a fraction: whole microseconds would round 150,000/s up
                    // to 166,667/s.
                    let interval_us = 1e6 / f64::from(c.rate.per_second.max(1));
                    inv.arg(format!("{interval_us:.4}")).arg(c.rate.burst);
                }
                inv.arg(&seen);
                for c in checks {
                    inv.arg(format!("{}:{}", c.policy.name(), c.key));
                }
                inv.invoke_async(&mut conn).await
            })
            .await;
        let Some(out) = result else {
            return Checked::Unreachable;
        };
        let allowed = out.first().copied() == Some(1);
        let refused_at = usize::try_from(out.get(1).copied().unwrap_or(0)).unwrap_or(0);
        let wait_ns = u64::try_from(out.get(2).copied().unwrap_or(0))
            .unwrap_or(0)
            .saturating_mul(1000);
        let mut v = Verdict::default();
        for (i, c) in checks.iter().enumerate() {
            let remaining = u32::try_from(out.get(3 + i).copied().unwrap_or(0)).unwrap_or(0);
            let refused_here = !allowed && refused_at == i + 1;
            v.states.push(PolicyState {
                policy: c.policy,
                rate: c.rate,
                remaining,
                wait_ns: if refused_here {
                    wait_ns.max(1)
                } else if remaining > 0 {
                    0
                } else {
                    c.rate.interval_ns()
                },
            });
            if refused_here {
                metrics::counter!("entente_rate_limited_total", "policy" => c.policy.name())
                    .increment(1);
            }
        }
        if !allowed {
            v.refused_for_ns = Some(wait_ns.max(1));
        }
        Checked::Verdict(v)
    }

    /// Requests allowed and refused in the last complete second (by Redis's clock, the one the
    /// counters are written by), over every replica, for each `(policy, key)`: one round trip.
    pub async fn observed(&self, subjects: &[(Policy, &str)]) -> Option<Vec<(u64, u64)>> {
        let counts: Vec<Option<u64>> = self
            .call(async |mut conn| {
                let mut inv = self.seen.prepare_invoke();
                inv.arg(format!("{PREFIX}seen:"));
                for (policy, key) in subjects {
                    inv.arg(format!("{}:{key}:a", policy.name()))
                        .arg(format!("{}:{key}:r", policy.name()));
                }
                inv.invoke_async(&mut conn).await
            })
            .await?;
        Some(
            counts
                .chunks(2)
                .map(|c| {
                    (
                        c.first().copied().flatten().unwrap_or(0),
                        c.get(1).copied().flatten().unwrap_or(0),
                    )
                })
                .collect(),
        )
    }

    /// Remembers a one-time value (`jti`) until `exp` (seconds); `Some(false)` if it was seen
    /// before, `None` if Redis cannot say (the caller refuses: a replay cache fails closed).
    pub async fn remember(&self, scope: &str, jti: &str, exp: i64) -> Option<bool> {
        let key = format!("{PREFIX}jti:{scope}:{jti}");
        let at_ms = u64::try_from(exp.max(0)).unwrap_or(0).saturating_mul(1000) + 1000;
        let set: Option<Option<String>> = self
            .call(async |mut conn| {
                redis::cmd("SET")
                    .arg(&key)
                    .arg(1)
                    .arg("NX")
                    .arg("PXAT")
                    .arg(at_ms)
                    .query_async(&mut conn)
                    .await
            })
            .await;
        set.map(|r| r.is_some())
    }

    /// Connects if needed, pings, and records this replica's heartbeat; marks Redis up or down.
    pub async fn check_health(&self, replica: &str) {
        if self.connection().is_none() {
            let config = redis::aio::ConnectionManagerConfig::new()
                .set_connection_timeout(Some(self.timeout.max(Duration::from_millis(500))))
                .set_response_timeout(Some(self.timeout))
                .set_number_of_retries(1);
            match tokio::time::timeout(
                Duration::from_secs(2),
                self.client.get_connection_manager_with_config(config),
            )
            .await
            {
                Ok(Ok(c)) => match self.conn.write() {
                    Ok(mut g) => *g = Some(c),
                    Err(p) => *p.into_inner() = Some(c),
                },
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "Redis connection failed");
                    self.mark(false);
                    return;
                }
                Err(_) => {
                    self.mark(false);
                    return;
                }
            }
        }
        let Some(mut conn) = self.connection() else {
            return;
        };
        let key = format!("{PREFIX}replicas");
        let beat = async {
            let now_ms: u64 = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis() as u64);
            let (_, _, n): ((), (), u32) = redis::pipe()
                .atomic()
                .cmd("ZADD")
                .arg(&key)
                .arg(now_ms)
                .arg(replica)
                .cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg("-inf")
                .arg(now_ms.saturating_sub(REPLICA_TTL_MS))
                .cmd("ZCARD")
                .arg(&key)
                .query_async(&mut conn)
                .await?;
            redis::RedisResult::Ok(n)
        };
        match tokio::time::timeout(self.timeout.max(Duration::from_millis(500)), beat).await {
            Ok(Ok(n)) => {
                self.replicas.store(n.max(1), Ordering::Relaxed);
                metrics::gauge!("entente_replicas_seen").set(f64::from(n));
                self.mark(true);
            }
            _ => {
                self.mark(false);
                // Connect afresh next time (the address may now lead to another server).
                match self.conn.write() {
                    Ok(mut g) => *g = None,
                    Err(p) => *p.into_inner() = None,
                }
            }
        }
    }

    /// Shares one second of this replica's usage (`usage::share`'s JSON) with every replica's
    /// live view; kept a little longer than the live view's five minutes.
    pub async fn share_usage_second(&self, replica: &str, t: i64, payload: &str) -> Option<()> {
        let key = format!("{PREFIX}usage:{t}");
        self.call(async |mut conn| {
            redis::pipe()
                .cmd("HSET")
                .arg(&key)
                .arg(replica)
                .arg(payload)
                .ignore()
                .cmd("EXPIRE")
                .arg(&key)
                .arg(USAGE_TTL_SECS)
                .ignore()
                .query_async(&mut conn)
                .await
        })
        .await
    }

    /// Every replica's shared usage of the seconds `[from, to)` (one round trip): per second,
    /// the payloads of the replicas that had traffic.
    pub async fn usage_seconds(&self, from: i64, to: i64) -> Option<Vec<(i64, Vec<String>)>> {
        let mut pipe = redis::pipe();
        for t in from..to {
            pipe.cmd("HVALS").arg(format!("{PREFIX}usage:{t}"));
        }
        let vals: Vec<Vec<String>> = self
            .call(async |mut conn| pipe.query_async(&mut conn).await)
            .await?;
        Some((from..to).zip(vals).collect())
    }

    /// Leaves the replica set at shutdown, so the others' share grows at once.
    pub async fn leave(&self, replica: &str) {
        let key = format!("{PREFIX}replicas");
        let _: Option<()> = self
            .call(async |mut conn| {
                redis::cmd("ZREM")
                    .arg(&key)
                    .arg(replica)
                    .query_async(&mut conn)
                    .await
            })
            .await;
    }
}

/// A timeout, refusal or dropped connection: Redis is not there (as opposed to an error in a
/// command, which says nothing about the others).
fn connection_lost(e: &redis::RedisError) -> bool {
    e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || e.is_io_error()
        // A primary demoted by a failover keeps the connection but can no longer write.
        || matches!(
            e.kind(),
            redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
        )
}

fn limit_key(policy: Policy, key: &str) -> String {
    format!("{PREFIX}limit:{}:{key}", policy.name())
}
