//! The usage counters `AppState` holds: outcomes counted in memory per second (`recorder`). The
//! pipeline that reads them (flush, share, alerts, live) is `crate::usage`.

pub mod recorder;

use std::sync::Mutex;
use std::time::{Duration, Instant};

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
