//! The usage pipeline: outcomes counted in memory per second (`recorder`), folded into
//! per-minute rollups written by a worker every few seconds (`flush`), and read back live from
//! memory (`live`) or over any range from the rollups (the store's `usage_report`).

pub mod alerts;
pub mod flush;
pub mod live;
pub mod recorder;
pub mod share;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use entente_domain::OAuthErrorCode;
use entente_domain::usage::{Kind, result_of};

pub use recorder::{Outcome, Recorder};

/// How the pipeline runs (`ENTENTE_USAGE*`).
#[derive(Debug, Clone, Copy)]
pub struct UsageConfig {
    /// Off: nothing is counted (for measuring what the pipeline costs).
    pub enabled: bool,
    pub flush_every: Duration,
    pub retention_days: u32,
    /// The window anomaly alerts judge (at most the five minutes kept in memory).
    pub alert_window: Duration,
    pub sensitivity: entente_domain::anomaly::Sensitivity,
    /// How often a live usage stream checks again that its caller may still read it.
    pub live_recheck: Duration,
    /// Live usage streams one caller may hold open at once.
    pub live_streams_per_caller: usize,
}

impl Default for UsageConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            flush_every: Duration::from_secs(5),
            retention_days: 30,
            alert_window: Duration::from_secs(60),
            sensitivity: entente_domain::anomaly::Sensitivity::default(),
            live_recheck: Duration::from_secs(30),
            live_streams_per_caller: 5,
        }
    }
}

pub struct Usage {
    pub config: UsageConfig,
    pub recorder: Recorder,
    /// Minutes before this one are written for good.
    pub(crate) written_through: Mutex<Option<i64>>,
    /// One flush at a time.
    pub(crate) flushing: tokio::sync::Mutex<()>,
    /// Live streams open per caller (`live::StreamSlot`).
    pub(crate) streams: Mutex<std::collections::HashMap<String, usize>>,
}

impl Usage {
    pub fn new(config: UsageConfig) -> Self {
        Self {
            config,
            recorder: Recorder::default(),
            written_through: Mutex::new(None),
            flushing: tokio::sync::Mutex::new(()),
            streams: Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn record(&self, now: i64, outcome: &Outcome<'_>, started: Instant) {
        if self.config.enabled {
            let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
            self.recorder.record(now, outcome, micros);
        }
    }
}

/// The instant `offset` after the current wall-clock second ends: workers that read the second
/// just completed tick then.
pub fn after_second(offset: Duration) -> tokio::time::Instant {
    let into = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(Duration::ZERO, |d| {
            Duration::from_nanos(u64::from(d.subsec_nanos()))
        });
    tokio::time::Instant::now() + (Duration::from_secs(1) - into) + offset
}

/// What an endpoint knows about a request by the time it answers, filled in as it goes.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tag<'s> {
    pub partner_id: &'s str,
    pub partner_slug: &'s str,
    pub client_id: &'s str,
}

impl<'s> Tag<'s> {
    /// The authenticated client (before its rate limits are checked: refusals count too).
    pub fn of(client: &'s crate::state::snapshot::ClientEntry) -> Self {
        use crate::state::snapshot::ClientRole;
        match &client.role {
            ClientRole::Partner {
                partner_id,
                partner_slug,
            } => Tag {
                partner_id: partner_id.as_str(),
                partner_slug,
                client_id: &client.client_id,
            },
            ClientRole::ResourceServer { .. } => Tag {
                client_id: &client.client_id,
                ..Tag::default()
            },
        }
    }

    pub fn outcome(
        &self,
        kind: Kind,
        audience: &'s str,
        error: Option<OAuthErrorCode>,
    ) -> Outcome<'s> {
        Outcome {
            kind,
            partner_id: self.partner_id,
            partner_slug: self.partner_slug,
            client_id: self.client_id,
            audience,
            result: result_of(error),
        }
    }
}

/// The audience a token was issued for, carried on the response from the grant to the usage
/// record.
#[derive(Debug, Clone)]
pub struct IssuedFor(pub String);
