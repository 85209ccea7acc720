//! Cluster mode's heartbeat: every 2 s (every 0.5 s while Redis is down) this replica pings
//! Redis, records itself in the replica set and reads how many replicas are alive (the divisor
//! of the `local` failure mode). A successful heartbeat is also how recovery is noticed.

use std::time::Duration;

use crate::state::AppState;

pub async fn run(s: AppState) {
    let Some(redis) = s.limits.redis.clone() else {
        return std::future::pending().await;
    };
    let mut left = false;
    loop {
        if s.shutting_down.load(std::sync::atomic::Ordering::Relaxed) {
            // The others' share grows at once rather than after the heartbeat expires.
            if !left {
                redis.leave(&s.replica).await;
                left = true;
            }
        } else {
            redis.check_health(&s.replica).await;
        }
        let pause = if redis.is_up() { 2000 } else { 500 };
        // A call that finds Redis gone wakes the check at once: recovery is looked for every
        // half second from the moment of the loss.
        tokio::select! {
            () = tokio::time::sleep(Duration::from_millis(pause)) => {}
            () = redis.went_down() => {}
        }
    }
}
