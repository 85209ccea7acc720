//! The usage pipeline: outcomes counted in memory per second (the recorder `AppState` holds,
//! `state::usage`), folded into per-minute rollups written by a worker every few seconds
//! (`flush`), shared between replicas (`share`), judged for anomalies (`alerts`), and read back
//! live from memory (`live`) or over any range from the rollups (the store's `usage_report`).

pub mod alerts;
pub mod flush;
pub mod live;
pub mod share;

use std::time::Duration;

use entente_domain::OAuthErrorCode;
use entente_domain::usage::{Kind, result_of};

pub use crate::state::usage::{Outcome, Recorder, Usage, UsageConfig};

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
