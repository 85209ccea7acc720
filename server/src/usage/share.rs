//! Cluster mode: every replica shares each second of its usage through Redis just after the
//! second ends (one `HSET` a second, and only for seconds with traffic), so that the live view
//! and its stream show the sum of all replicas, as the rollups do. Nothing here runs per
//! request. Without Redis, or while it is down, the live view shows this replica alone.

use std::collections::HashMap;
use std::time::Duration;

use entente_domain::usage::{BUCKETS, Cell, Kind, Latency, known_result};
use serde::{Deserialize, Serialize};

use crate::state::usage::recorder::{ClientSecond, Second};
use crate::state::{AppState, now};

/// One client's groups of one second, as shared.
#[derive(Debug, Serialize, Deserialize)]
struct Shared {
    c: String,
    p: String,
    s: String,
    /// (kind, audience, result, count, latency buckets)
    g: Vec<(String, String, String, u64, [u64; BUCKETS])>,
}

pub fn encode(second: &Second) -> String {
    let all: Vec<Shared> = second
        .iter()
        .map(|(client_id, c)| Shared {
            c: client_id.clone(),
            p: c.partner_id.clone(),
            s: c.partner_slug.clone(),
            g: c.cells
                .iter()
                .map(|(kind, audience, result, cell)| {
                    (
                        kind.as_str().to_owned(),
                        audience.clone(),
                        (*result).to_owned(),
                        cell.count,
                        cell.latency.0,
                    )
                })
                .collect(),
        })
        .collect();
    serde_json::to_string(&all).unwrap_or_default()
}

/// Adds a shared payload to a second (replicas' counts of the same group add up).
pub fn merge(into: &mut Second, payload: &str) {
    let Ok(all) = serde_json::from_str::<Vec<Shared>>(payload) else {
        return;
    };
    for shared in all {
        let client = into.entry(shared.c).or_insert_with(|| ClientSecond {
            partner_id: shared.p,
            partner_slug: shared.s,
            cells: Vec::new(),
        });
        for (kind, audience, result, count, latency) in shared.g {
            let Some(kind) = Kind::parse(&kind) else {
                continue;
            };
            let result = known_result(&result);
            let cell = Cell {
                count,
                latency: Latency(latency),
            };
            match client
                .cells
                .iter_mut()
                .find(|(k, a, r, _)| *k == kind && *r == result && *a == audience)
            {
                Some((_, _, _, c)) => c.merge(&cell),
                None => client.cells.push((kind, audience, result, cell)),
            }
        }
    }
}

/// Every replica's seconds in `[from, to)` from Redis, or `None` outside cluster mode or while
/// Redis cannot answer.
pub async fn seconds(s: &AppState, from: i64, to: i64) -> Option<Vec<(i64, Second)>> {
    let redis = s.limits.redis.as_ref()?;
    let shared = redis.usage_seconds(from, to).await?;
    Some(
        shared
            .into_iter()
            .map(|(t, payloads)| {
                let mut second = HashMap::new();
                for p in &payloads {
                    merge(&mut second, p);
                }
                (t, second)
            })
            .collect(),
    )
}

/// Shares each second just after it ends (cluster mode only).
pub async fn run(s: AppState) {
    let Some(redis) = s.limits.redis.clone() else {
        return std::future::pending().await;
    };
    if !s.usage.config.enabled {
        return std::future::pending().await;
    }
    let mut tick = tokio::time::interval_at(
        super::after_second(Duration::from_millis(30)),
        Duration::from_secs(1),
    );
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tick.tick().await;
        let t = now() - 1;
        let payload = s
            .usage
            .recorder
            .with_seconds(t, t + 1, |it| it.next().map(|(_, second)| encode(second)));
        if let Some(payload) = payload
            && redis
                .share_usage_second(&s.replica, t, &payload)
                .await
                .is_none()
        {
            metrics::counter!("entente_usage_share_failures_total").increment(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_seconds_add_up() {
        let mut cell = Cell::default();
        cell.record(150);
        let mut a: Second = HashMap::new();
        a.insert(
            "cl_1".into(),
            ClientSecond {
                partner_id: "p1".into(),
                partner_slug: "acme".into(),
                cells: vec![(Kind::ClientCredentials, "https://api".into(), "ok", cell)],
            },
        );
        let payload = encode(&a);
        let mut sum: Second = HashMap::new();
        merge(&mut sum, &payload);
        merge(&mut sum, &payload);
        merge(&mut sum, "not json");
        let c = &sum["cl_1"];
        assert_eq!(c.partner_slug, "acme");
        assert_eq!(c.cells.len(), 1);
        assert_eq!(c.cells[0].3.count, 2);
        assert_eq!(c.cells[0].3.latency.0[1], 2);
        assert_eq!(c.cells[0].2, "ok");
    }
}
