//! Anomaly alerts on a client's usage: an exponentially weighted baseline of how many tokens it
//! gets per window and of the share of its requests that are refused; a window that departs from
//! the baseline by more than `threshold` standard deviations, above a minimum volume, is an
//! anomaly. The standard deviation has a floor (Poisson's √mean for counts, a fixed share for
//! error rates) so that perfectly steady traffic does not make every wobble an alert.

use serde::{Deserialize, Serialize};

/// How sensitive detection is (ENTENTE_ALERT_*).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sensitivity {
    /// Standard deviations from the baseline that make an anomaly.
    pub threshold: f64,
    /// Fewest requests (spike: tokens; surge: refusals) in a window that can raise an alert.
    pub min_volume: u64,
    /// Weight of the newest window in the baseline (0–1).
    pub alpha: f64,
    /// Windows observed before anything is judged.
    pub warmup: u32,
}

impl Default for Sensitivity {
    fn default() -> Self {
        Self {
            threshold: 4.0,
            min_volume: 20,
            alpha: 0.2,
            warmup: 5,
        }
    }
}

/// What departed from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// Many more tokens than usual.
    IssuanceSpike,
    /// A much larger share of refused requests than usual.
    ErrorSurge,
}

impl AlertKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::IssuanceSpike => "issuance_spike",
            AlertKind::ErrorSurge => "error_surge",
        }
    }
}

/// One window of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Window {
    pub requests: u64,
    pub tokens: u64,
    pub refused: u64,
}

/// An exponentially weighted mean and variance.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Ewma {
    pub mean: f64,
    pub variance: f64,
}

impl Ewma {
    fn update(&mut self, x: f64, alpha: f64, first: bool) {
        if first {
            self.mean = x;
            self.variance = 0.0;
            return;
        }
        let diff = x - self.mean;
        let step = alpha * diff;
        self.mean += step;
        self.variance = (1.0 - alpha) * (self.variance + diff * step);
    }

    fn deviation(&self, floor: f64) -> f64 {
        self.variance.sqrt().max(floor)
    }
}

/// A client's baseline.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub tokens: Ewma,
    pub error_rate: Ewma,
    pub windows: u32,
}

/// An anomaly: what, how much was seen and what was expected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    pub kind: AlertKind,
    pub observed: f64,
    pub expected: f64,
    /// Standard deviations above the baseline.
    pub score: f64,
}

/// Judges a window against the baseline, then folds it in (a window that raised an alert is
/// folded in too, but only after judging, so a sustained change becomes the new normal).
pub fn observe(b: &mut Baseline, w: Window, s: &Sensitivity) -> Vec<Anomaly> {
    let mut out = vec![];
    let rate = if w.requests == 0 {
        0.0
    } else {
        w.refused as f64 / w.requests as f64
    };
    if b.windows >= s.warmup {
        let sd = b.tokens.deviation(b.tokens.mean.sqrt().max(1.0));
        let score = (w.tokens as f64 - b.tokens.mean) / sd;
        if w.tokens >= s.min_volume && score > s.threshold {
            out.push(Anomaly {
                kind: AlertKind::IssuanceSpike,
                observed: w.tokens as f64,
                expected: b.tokens.mean,
                score,
            });
        }
        let sd = b.error_rate.deviation(0.05);
        let score = (rate - b.error_rate.mean) / sd;
        if w.refused >= s.min_volume && score > s.threshold {
            out.push(Anomaly {
                kind: AlertKind::ErrorSurge,
                observed: rate,
                expected: b.error_rate.mean,
                score,
            });
        }
    }
    let first = b.windows == 0;
    b.tokens.update(w.tokens as f64, s.alpha, first);
    b.error_rate.update(rate, s.alpha, first);
    b.windows = b.windows.saturating_add(1);
    out
}

/// A stored alert as people and scripts read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertView {
    pub id: i64,
    /// When it was raised (Unix seconds).
    pub at: i64,
    /// The partner's slug.
    pub partner: String,
    pub client_id: String,
    /// `issuance_spike` (tokens per window) or `error_surge` (share of refused requests).
    pub kind: String,
    pub observed: f64,
    pub expected: f64,
    /// Standard deviations above the baseline.
    pub score: f64,
    pub window_start: i64,
    pub window_secs: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steady(b: &mut Baseline, s: &Sensitivity, windows: usize) -> usize {
        let mut alerts = 0;
        for i in 0..windows {
            // Wobbling around 30 tokens and 1 refusal a window.
            let tokens = 30 + (i as u64 * 7) % 9;
            let w = Window {
                requests: tokens + 1,
                tokens,
                refused: 1,
            };
            alerts += observe(b, w, s).len();
        }
        alerts
    }

    #[test]
    fn steady_traffic_raises_nothing() {
        let s = Sensitivity::default();
        let mut b = Baseline::default();
        assert_eq!(steady(&mut b, &s, 500), 0);
        assert!((b.tokens.mean - 34.0).abs() < 3.0, "{b:?}");
    }

    #[test]
    fn a_spike_and_a_surge_are_seen() {
        let s = Sensitivity::default();
        let mut b = Baseline::default();
        steady(&mut b, &s, 20);
        let spike = observe(
            &mut b,
            Window {
                requests: 301,
                tokens: 300,
                refused: 1,
            },
            &s,
        );
        assert_eq!(spike.len(), 1);
        assert_eq!(spike[0].kind, AlertKind::IssuanceSpike);
        assert!(spike[0].expected < 40.0);
        let mut b = Baseline::default();
        steady(&mut b, &s, 20);
        let surge = observe(
            &mut b,
            Window {
                requests: 60,
                tokens: 30,
                refused: 30,
            },
            &s,
        );
        assert_eq!(surge.len(), 1);
        assert_eq!(surge[0].kind, AlertKind::ErrorSurge);
        assert!((surge[0].observed - 0.5).abs() < 1e-9);
    }

    #[test]
    fn small_volumes_and_warm_up_raise_nothing() {
        let s = Sensitivity::default();
        let mut b = Baseline::default();
        // From nothing to 19 tokens: a huge departure, below the minimum volume.
        steady_zero(&mut b, &s, 10);
        assert!(
            observe(
                &mut b,
                Window {
                    requests: 19,
                    tokens: 19,
                    refused: 0
                },
                &s
            )
            .is_empty()
        );
        // A new client's first windows are not judged.
        let mut fresh = Baseline::default();
        let w = Window {
            requests: 500,
            tokens: 500,
            refused: 0,
        };
        for _ in 0..s.warmup {
            assert!(observe(&mut fresh, w, &s).is_empty());
        }
    }

    fn steady_zero(b: &mut Baseline, s: &Sensitivity, n: usize) {
        for _ in 0..n {
            observe(b, Window::default(), s);
        }
    }
}
