//! Counts every outcome of the token, introspection and revocation endpoints in memory, per
//! second. One short lock and no allocation per request once a client has been seen this
//! second; readers (flush, live views, alerts) take finished seconds as shared snapshots and do
//! their work outside the lock. Nothing here touches the database.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use entente_domain::usage::{Cell, Kind};
use entente_store::usage::Group;

/// Seconds kept for the live view (five minutes) and for folding into minutes.
pub const KEEP_SECONDS: i64 = 300;

/// What one request was, as the endpoint knows it when it answers.
#[derive(Debug, Clone, Copy)]
pub struct Outcome<'a> {
    pub kind: Kind,
    /// Empty when the caller was not authenticated (or is a resource server).
    pub partner_id: &'a str,
    pub partner_slug: &'a str,
    pub client_id: &'a str,
    pub audience: &'a str,
    pub result: &'static str,
}

/// One client's groups in one second (a handful: linear search beats hashing here).
#[derive(Debug, Default, Clone)]
pub struct ClientSecond {
    pub partner_id: String,
    pub partner_slug: String,
    pub cells: Vec<(Kind, String, &'static str, Cell)>,
}

pub type Second = HashMap<String, ClientSecond>;

#[derive(Default)]
struct Seconds {
    /// The second being counted.
    running: Option<(i64, Second)>,
    /// Finished seconds, oldest first, at most `KEEP_SECONDS` back: shared, never changed, so
    /// readers take them without holding the lock while they work.
    done: VecDeque<(i64, Arc<Second>)>,
    /// Seconds before this one may have been dropped.
    dropped_before: i64,
}

#[derive(Default)]
pub struct Recorder {
    seconds: Mutex<Seconds>,
}

impl Recorder {
    fn lock(&self) -> std::sync::MutexGuard<'_, Seconds> {
        match self.seconds.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    pub fn record(&self, now: i64, o: &Outcome<'_>, micros: u64) {
        let mut s = self.lock();
        // A clock that stepped back counts into the running second rather than rewrite history.
        if s.running.as_ref().is_none_or(|(t, _)| *t < now) {
            if let Some((t, second)) = s.running.take() {
                s.done.push_back((t, Arc::new(second)));
            }
            s.running = Some((now, HashMap::new()));
            while let Some((t, _)) = s.done.front()
                && *t <= now - KEEP_SECONDS
            {
                s.dropped_before = *t + 1;
                s.done.pop_front();
            }
        }
        let Some((_, second)) = s.running.as_mut() else {
            return;
        };
        let client = match second.get_mut(o.client_id) {
            Some(c) => c,
            None => second
                .entry(o.client_id.to_owned())
                .or_insert(ClientSecond {
                    partner_id: o.partner_id.to_owned(),
                    partner_slug: o.partner_slug.to_owned(),
                    cells: Vec::new(),
                }),
        };
        match client
            .cells
            .iter_mut()
            .find(|(k, a, r, _)| *k == o.kind && *r == o.result && a == o.audience)
        {
            Some((_, _, _, cell)) => cell.record(micros),
            None => {
                let mut cell = Cell::default();
                cell.record(micros);
                client
                    .cells
                    .push((o.kind, o.audience.to_owned(), o.result, cell));
            }
        }
    }

    /// Seconds before this one may be missing from memory (the flush never rewrites a minute
    /// it cannot see whole).
    pub fn dropped_before(&self) -> i64 {
        self.lock().dropped_before
    }

    /// The seconds in `[from, to)`, oldest first: the finished ones shared, the running one
    /// (if in range) copied. The lock is held only to take them.
    pub fn seconds(&self, from: i64, to: i64) -> Vec<(i64, Arc<Second>)> {
        let s = self.lock();
        let mut out: Vec<(i64, Arc<Second>)> = s
            .done
            .iter()
            .filter(|(t, _)| *t >= from && *t < to)
            .map(|(t, sec)| (*t, sec.clone()))
            .collect();
        if let Some((t, second)) = &s.running
            && *t >= from
            && *t < to
        {
            out.push((*t, Arc::new(second.clone())));
        }
        out
    }

    /// Runs `f` over the seconds in `[from, to)`, oldest first (outside the lock).
    pub fn with_seconds<T>(
        &self,
        from: i64,
        to: i64,
        f: impl FnOnce(&mut dyn Iterator<Item = (i64, &Second)>) -> T,
    ) -> T {
        let seconds = self.seconds(from, to);
        let mut it = seconds.iter().map(|(t, sec)| (*t, sec.as_ref()));
        f(&mut it)
    }

    /// The counts of the minutes touched by seconds in `[from, to)`, by group: what the flush
    /// writes. Seconds of a minute outside the window are not included, so callers ask for
    /// whole minutes.
    pub fn minutes(&self, from: i64, to: i64) -> BTreeMap<i64, HashMap<Group, Cell>> {
        self.with_seconds(from, to, |seconds| {
            let mut out: BTreeMap<i64, HashMap<Group, Cell>> = BTreeMap::new();
            for (t, second) in seconds {
                let minute = out.entry(t.div_euclid(60) * 60).or_default();
                for (client_id, c) in second {
                    for (kind, audience, result, cell) in &c.cells {
                        minute
                            .entry(Group {
                                partner_id: c.partner_id.clone(),
                                client_id: client_id.clone(),
                                audience: audience.clone(),
                                kind: *kind,
                                result: (*result).to_owned(),
                            })
                            .or_default()
                            .merge(cell);
                    }
                }
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use entente_domain::usage::OK;

    fn outcome<'a>(client: &'a str, result: &'static str) -> Outcome<'a> {
        Outcome {
            kind: Kind::ClientCredentials,
            partner_id: "p1",
            partner_slug: "acme",
            client_id: client,
            audience: "https://api",
            result,
        }
    }

    #[test]
    fn seconds_fold_into_minutes_by_group() {
        let r = Recorder::default();
        r.record(120, &outcome("c1", OK), 300);
        r.record(121, &outcome("c1", OK), 300);
        r.record(121, &outcome("c1", "invalid_scope"), 300);
        r.record(185, &outcome("c2", OK), 300);
        let m = r.minutes(120, 240);
        assert_eq!(m.len(), 2);
        let first = &m[&120];
        let ok: u64 = first
            .iter()
            .filter(|(g, _)| g.result == OK)
            .map(|(_, c)| c.count)
            .sum();
        assert_eq!(ok, 2);
        assert_eq!(first.len(), 2);
        assert_eq!(m[&180].values().map(|c| c.count).sum::<u64>(), 1);
    }

    #[test]
    fn old_seconds_are_dropped_and_a_clock_step_back_counts_in_the_newest_second() {
        let r = Recorder::default();
        r.record(1000, &outcome("c1", OK), 1);
        r.record(1000 + KEEP_SECONDS, &outcome("c1", OK), 1);
        r.record(1000 + KEEP_SECONDS - 1, &outcome("c1", OK), 1);
        let seen = r.with_seconds(0, i64::MAX, |it| it.map(|(t, _)| t).collect::<Vec<_>>());
        assert_eq!(seen, [1000 + KEEP_SECONDS]);
        assert_eq!(r.dropped_before(), 1001);
        let total: u64 = r
            .minutes(0, i64::MAX)
            .values()
            .flat_map(|m| m.values())
            .map(|c| c.count)
            .sum();
        assert_eq!(
            total, 2,
            "the late request was counted in the newest second"
        );
    }
}
