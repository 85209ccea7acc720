//! Usage read from memory: the last five minutes per second, for the live charts and their
//! stream. In cluster mode every replica's seconds come through Redis (`share`), so the view is
//! the sum of all replicas; otherwise, or while Redis is down, this replica's own counts.

use std::collections::HashMap;

use entente_domain::usage::{self, PointBuilder, Report, Top};

use crate::state::usage::Usage;
use crate::state::usage::recorder::{ClientSecond, KEEP_SECONDS, Second};
use crate::state::{AppState, now};

/// Whose usage to show: a partner (by slug), a client, or everyone.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub partner: Option<String>,
    pub client: Option<String>,
}

impl View {
    fn holds(&self, client_id: &str, c: &ClientSecond) -> bool {
        self.partner.as_deref().is_none_or(|p| p == c.partner_slug)
            && self.client.as_deref().is_none_or(|x| x == client_id)
    }
}

/// A live stream's place among its caller's: at most `live_streams_per_caller` at once (review
/// L-6); the place is given back when the stream ends (the slot is dropped with it).
pub struct StreamSlot {
    state: AppState,
    caller: String,
}

impl StreamSlot {
    /// A place for one more stream of `caller`, if it has fewer than its allowance open.
    pub fn take(state: &AppState, caller: &str) -> Option<Self> {
        let mut open = lock(&state.usage.streams);
        let n = open.entry(caller.to_owned()).or_insert(0);
        if *n >= state.usage.config.live_streams_per_caller {
            return None;
        }
        *n += 1;
        Some(Self {
            state: state.clone(),
            caller: caller.to_owned(),
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = lock(&self.state.usage.streams);
        if let Some(n) = open.get_mut(&self.caller) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.caller);
            }
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

/// Tops and totals of the last this many seconds accompany every live point.
pub const SUMMARY_SECONDS: i64 = 60;

/// Per-second points of `[to - seconds, to)` of every replica (cluster mode, Redis up) or of
/// this one, with totals and tops over the last minute of it. A `to` past now includes the
/// second still running (this replica's part of it).
pub async fn current(s: &AppState, view: &View, to: i64, seconds: i64) -> Report {
    let mut report = unlabelled(s, view, to, seconds).await;
    let catalog = s.snapshot();
    usage::label(&mut report.top_clients, |id| {
        catalog.client(id).map(|c| c.name.clone())
    });
    report
}

async fn unlabelled(s: &AppState, view: &View, to: i64, seconds: i64) -> Report {
    let seconds = seconds.clamp(1, KEEP_SECONDS);
    let now = now();
    if let Some(mut all) = super::share::seconds(s, to - seconds, to.min(now)).await {
        if to > now {
            let running: Vec<(i64, Second)> = s
                .usage
                .recorder
                .with_seconds(now, to, |it| it.map(|(t, sec)| (t, sec.clone())).collect());
            all.extend(running);
        }
        return aggregate(view, to, seconds, &mut all.iter().map(|(t, sec)| (*t, sec)));
    }
    report(&s.usage, view, to, seconds)
}

/// This replica's per-second points of `[to - seconds, to)`.
pub fn report(usage: &Usage, view: &View, to: i64, seconds: i64) -> Report {
    let seconds = seconds.clamp(1, KEEP_SECONDS);
    usage
        .recorder
        .with_seconds(to - seconds, to, |it| aggregate(view, to, seconds, it))
}

fn aggregate(
    view: &View,
    to: i64,
    seconds: i64,
    it: &mut dyn Iterator<Item = (i64, &Second)>,
) -> Report {
    let from = to - seconds;
    let summary_from = to - SUMMARY_SECONDS.min(seconds);
    let (points, total, partners, clients) = {
        let mut points = vec![];
        let mut total = PointBuilder::default();
        let mut partners: HashMap<String, Top> = HashMap::new();
        let mut clients: HashMap<String, Top> = HashMap::new();
        for (t, second) in it {
            let mut point = PointBuilder::default();
            for (client_id, c) in second.iter().filter(|(id, c)| view.holds(id, c)) {
                let mut one = PointBuilder::default();
                for (kind, _, result, cell) in &c.cells {
                    point.add(*kind, result, cell);
                    one.add(*kind, result, cell);
                }
                if t < summary_from {
                    continue;
                }
                for (kind, _, result, cell) in &c.cells {
                    total.add(*kind, result, cell);
                }
                let p = one.build(t);
                let tally = |map: &mut HashMap<String, Top>, name: &str| {
                    let top = map.entry(name.to_owned()).or_insert(Top {
                        name: name.to_owned(),
                        ..Top::default()
                    });
                    top.requests += p.requests;
                    top.tokens += p.tokens_issued();
                    top.refused += p.refused();
                };
                if !c.partner_slug.is_empty() {
                    tally(&mut partners, &c.partner_slug);
                }
                if !client_id.is_empty() {
                    tally(&mut clients, client_id);
                }
            }
            points.push(point.build(t));
        }
        (points, total, partners, clients)
    };
    Report {
        from,
        to,
        step: 1,
        points: usage::dense(from, to, 1, points),
        total: total.build(summary_from),
        active_partners: partners.len() as u64,
        top_partners: usage::top(partners.into_values().collect()),
        top_clients: usage::top(clients.into_values().collect()),
    }
}
