//! Token usage: what the token, introspection and revocation endpoints did, counted per
//! outcome, with latency as a fixed-bucket histogram so that minutes and replicas add up
//! exactly (percentiles of a sum are computed from the summed histogram, never averaged).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::OAuthErrorCode;

/// Upper bounds (inclusive, microseconds) of the latency buckets; the last bucket holds
/// everything above the last bound.
pub const LATENCY_BOUNDS_US: [u64; BUCKETS - 1] = [
    100, 200, 400, 700, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 20_000, 50_000, 100_000,
    500_000, 2_000_000,
];
pub const BUCKETS: usize = 16;

/// Counts per latency bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency(pub [u64; BUCKETS]);

impl Latency {
    pub fn record(&mut self, micros: u64) {
        let i = LATENCY_BOUNDS_US.partition_point(|b| *b < micros);
        self.0[i] += 1;
    }

    pub fn merge(&mut self, other: &Latency) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The `q` quantile in milliseconds, interpolated within its bucket (so exact to the
    /// bucket's width); the last bucket answers its lower bound. `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0);
        let mut seen = 0.0;
        for (i, n) in self.0.iter().enumerate() {
            let n = *n as f64;
            if n > 0.0 && seen + n >= rank {
                let low = if i == 0 { 0 } else { LATENCY_BOUNDS_US[i - 1] } as f64;
                let Some(high) = LATENCY_BOUNDS_US.get(i) else {
                    return Some(low / 1000.0);
                };
                let within = (rank - seen) / n;
                return Some((low + (*high as f64 - low) * within) / 1000.0);
            }
            seen += n;
        }
        None
    }
}

/// What was asked of which endpoint: the grant type at the token endpoint, or the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    ClientCredentials,
    TokenExchange,
    JwtBearer,
    RefreshToken,
    /// A token request without a grant type Entente supports.
    OtherGrant,
    Introspection,
    Revocation,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::ClientCredentials,
        Kind::TokenExchange,
        Kind::JwtBearer,
        Kind::RefreshToken,
        Kind::OtherGrant,
        Kind::Introspection,
        Kind::Revocation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ClientCredentials => "client_credentials",
            Kind::TokenExchange => "token_exchange",
            Kind::JwtBearer => "jwt_bearer",
            Kind::RefreshToken => "refresh_token",
            Kind::OtherGrant => "unsupported_grant",
            Kind::Introspection => "introspection",
            Kind::Revocation => "revocation",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind for a `grant_type` parameter.
    pub fn of_grant(grant_type: Option<&str>) -> Kind {
        match grant_type {
            Some(crate::grant::CLIENT_CREDENTIALS) => Kind::ClientCredentials,
            Some(crate::federation::GRANT_TOKEN_EXCHANGE) => Kind::TokenExchange,
            Some(crate::federation::GRANT_JWT_BEARER) => Kind::JwtBearer,
            Some(crate::federation::GRANT_REFRESH_TOKEN) => Kind::RefreshToken,
            _ => Kind::OtherGrant,
        }
    }

    /// Whether a success of this kind issued a token.
    pub fn issues(self) -> bool {
        matches!(
            self,
            Kind::ClientCredentials | Kind::TokenExchange | Kind::JwtBearer | Kind::RefreshToken
        )
    }
}

/// The result of a request in usage: `ok`, or the OAuth error code, with `slow_down` shown as
/// `rate_limited` (what it means to an operator).
pub fn result_of(error: Option<OAuthErrorCode>) -> &'static str {
    match error {
        None => OK,
        Some(OAuthErrorCode::SlowDown) => RATE_LIMITED,
        Some(code) => code.as_str(),
    }
}

pub const OK: &str = "ok";
pub const RATE_LIMITED: &str = "rate_limited";

/// The result names `result_of` gives, for reading them back (from another replica).
pub fn known_result(s: &str) -> &'static str {
    use OAuthErrorCode as C;
    [
        OK,
        RATE_LIMITED,
        C::InvalidRequest.as_str(),
        C::InvalidClient.as_str(),
        C::InvalidGrant.as_str(),
        C::UnauthorizedClient.as_str(),
        C::UnsupportedGrantType.as_str(),
        C::InvalidScope.as_str(),
        C::InvalidTarget.as_str(),
        C::UnsupportedTokenType.as_str(),
        C::TemporarilyUnavailable.as_str(),
    ]
    .into_iter()
    .find(|k| *k == s)
    .unwrap_or("other")
}

/// Counts of one group of requests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cell {
    pub count: u64,
    pub latency: Latency,
}

impl Cell {
    pub fn record(&mut self, micros: u64) {
        self.count += 1;
        self.latency.record(micros);
    }

    pub fn merge(&mut self, other: &Cell) {
        self.count += other.count;
        self.latency.merge(&other.latency);
    }
}

/// One time step of usage, as the charts, the API and the CLI show it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    /// Start of the step (Unix seconds).
    pub t: i64,
    /// Every request counted (successes and refusals).
    pub requests: u64,
    /// Tokens issued, by grant type.
    pub tokens: BTreeMap<String, u64>,
    /// Refusals by reason (the OAuth error code; `rate_limited` for a rate limit).
    pub errors: BTreeMap<String, u64>,
    /// Latency percentiles in milliseconds (absent with no requests).
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl Point {
    pub fn tokens_issued(&self) -> u64 {
        self.tokens.values().sum()
    }

    pub fn refused(&self) -> u64 {
        self.errors.values().sum()
    }

    pub fn rate_limited(&self) -> u64 {
        self.errors.get(RATE_LIMITED).copied().unwrap_or(0)
    }
}

/// Sums groups into a point.
#[derive(Debug, Default)]
pub struct PointBuilder {
    requests: u64,
    tokens: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    latency: Latency,
}

impl PointBuilder {
    pub fn add(&mut self, kind: Kind, result: &str, cell: &Cell) {
        if cell.count == 0 {
            return;
        }
        self.requests += cell.count;
        self.latency.merge(&cell.latency);
        if result == OK {
            if kind.issues() {
                *self.tokens.entry(kind.as_str().to_owned()).or_default() += cell.count;
            }
        } else {
            *self.errors.entry(result.to_owned()).or_default() += cell.count;
        }
    }

    pub fn latency(&self) -> &Latency {
        &self.latency
    }

    pub fn build(self, t: i64) -> Point {
        Point {
            t,
            requests: self.requests,
            p50_ms: self.latency.quantile_ms(0.50),
            p95_ms: self.latency.quantile_ms(0.95),
            p99_ms: self.latency.quantile_ms(0.99),
            tokens: self.tokens,
            errors: self.errors,
        }
    }
}

/// Totals of one partner or client over the range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Top {
    /// The partner's slug or the client's id.
    pub name: String,
    /// A client's name as people gave it (empty for partners, and for a client no longer
    /// known): reports name clients, not only their ids.
    #[serde(default)]
    pub label: String,
    pub requests: u64,
    pub tokens: u64,
    pub refused: u64,
}

/// Usage over a range: one point per step (steps with nothing are present, with zeros), the
/// totals, and who called most.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    /// Start of the first step and end of the last (Unix seconds; `to` is exclusive).
    pub from: i64,
    pub to: i64,
    /// Seconds per step.
    pub step: i64,
    pub points: Vec<Point>,
    pub total: Point,
    /// Partners with at least one request in the range.
    pub active_partners: u64,
    /// The ten partners and clients with the most requests, most first.
    pub top_partners: Vec<Top>,
    pub top_clients: Vec<Top>,
}

/// Points with no traffic filled in, so that every step of `[from, to)` is present.
pub fn dense(from: i64, to: i64, step: i64, sparse: Vec<Point>) -> Vec<Point> {
    let mut by_t: BTreeMap<i64, Point> = sparse.into_iter().map(|p| (p.t, p)).collect();
    let mut out = vec![];
    let mut t = from;
    while t < to {
        out.push(by_t.remove(&t).unwrap_or(Point {
            t,
            ..Point::default()
        }));
        t += step;
    }
    out
}

/// The ten largest, most requests first (ties by name, so the order is stable).
/// Names each of `tops` (clients) with `label_of` its id, where it knows one.
pub fn label(tops: &mut [Top], label_of: impl Fn(&str) -> Option<String>) {
    for t in tops {
        if let Some(l) = label_of(&t.name) {
            t.label = l;
        }
    }
}

pub fn top(mut all: Vec<Top>) -> Vec<Top> {
    all.retain(|t| t.requests > 0);
    all.sort_by(|a, b| b.requests.cmp(&a.requests).then(a.name.cmp(&b.name)));
    all.truncate(10);
    all
}

/// A duration such as `90s`, `5m`, `1h`, `24h` or `7d`, in seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().ok().filter(|n| *n > 0)?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return None,
    };
    n.checked_mul(unit)
}

/// A step such as `1m`, `5m`, `15m`, `1h`, `6h` or `1d`, if it is one of `STEPS`.
pub fn parse_step(s: &str) -> Option<i64> {
    parse_duration(s).filter(|n| STEPS.contains(n))
}

/// The steps a range may be cut into, in seconds.
pub const STEPS: [i64; 6] = [60, 300, 900, 3600, 21_600, 86_400];

/// Most points one report may have.
pub const MAX_POINTS: i64 = 10_080;

/// The (exclusive) end of a range "up to now": the second `now` included. `now` itself as the
/// end would leave out the current minute whenever `now` falls on its first second.
pub const fn through(now: i64) -> i64 {
    now + 1
}

/// Checks a requested range and step (whole minutes, aligned to the step); the aligned
/// `(from, to)` or a sentence.
pub fn range(from: i64, to: i64, step: i64) -> Result<(i64, i64), String> {
    if !STEPS.contains(&step) {
        return Err("step must be one of 1m, 5m, 15m, 1h, 6h, 1d".into());
    }
    if to <= from {
        return Err("from must be before to".into());
    }
    let from = from.div_euclid(step) * step;
    let to = (to + step - 1).div_euclid(step) * step;
    if (to - from) / step > MAX_POINTS {
        return Err(format!(
            "the range has more than {MAX_POINTS} steps: choose a larger step"
        ));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_up_to_now_holds_the_current_minute_even_at_its_first_second() {
        let now = 1_796_636_880; // a minute's first second
        assert_eq!(now % 60, 0);
        let (from, to) = range(now - 3600, through(now), 60).unwrap();
        assert!(
            from <= now - 3600 && to > now,
            "{from}..{to} leaves out {now}"
        );
        let (_, to) = range(now - 3600, through(now + 59), 60).unwrap();
        assert_eq!(to, now + 60, "no minute beyond the current one");
    }

    #[test]
    fn latency_buckets_and_quantiles() {
        let mut l = Latency::default();
        assert_eq!(l.quantile_ms(0.5), None);
        for _ in 0..98 {
            l.record(150); // (100, 200]
        }
        l.record(4_000); // (3000, 5000]
        l.record(3_000_000); // above every bound
        assert_eq!(l.count(), 100);
        assert_eq!(l.0[1], 98);
        let p50 = l.quantile_ms(0.5).unwrap();
        assert!((0.1..=0.2).contains(&p50), "{p50}");
        let p99 = l.quantile_ms(0.99).unwrap();
        assert!((3.0..=5.0).contains(&p99), "{p99}");
        assert_eq!(l.quantile_ms(1.0), Some(2000.0));
        // A bound belongs to its own bucket.
        let mut b = Latency::default();
        b.record(100);
        b.record(0);
        assert_eq!(b.0[0], 2);
    }

    #[test]
    fn summed_histograms_give_the_quantile_of_all_requests() {
        let mut a = Latency::default();
        let mut b = Latency::default();
        for _ in 0..90 {
            a.record(50);
        }
        for _ in 0..10 {
            b.record(15_000);
        }
        a.merge(&b);
        assert!(a.quantile_ms(0.5).unwrap() <= 0.1);
        assert!(a.quantile_ms(0.95).unwrap() > 10.0);
    }

    #[test]
    fn a_point_counts_tokens_by_grant_and_refusals_by_reason() {
        let mut c = Cell::default();
        c.record(300);
        c.record(300);
        let mut p = PointBuilder::default();
        p.add(Kind::ClientCredentials, OK, &c);
        p.add(Kind::Introspection, OK, &c);
        p.add(
            Kind::TokenExchange,
            result_of(Some(OAuthErrorCode::SlowDown)),
            &c,
        );
        p.add(Kind::TokenExchange, "invalid_grant", &c);
        p.add(Kind::TokenExchange, "invalid_grant", &Cell::default());
        let p = p.build(60);
        assert_eq!(p.requests, 8);
        assert_eq!(p.tokens_issued(), 2);
        assert_eq!(p.tokens.get("client_credentials"), Some(&2));
        assert_eq!(p.rate_limited(), 2);
        assert_eq!(p.refused(), 4);
        assert!(p.p50_ms.is_some());
    }

    #[test]
    fn ranges_are_aligned_and_bounded() {
        assert_eq!(range(61, 179, 60), Ok((60, 180)));
        assert!(range(0, 60, 7).is_err());
        assert!(range(60, 60, 60).is_err());
        assert!(range(0, 60 * 10_081, 60).is_err());
        assert!(range(0, 60 * 10_080, 60).is_ok());
        let d = dense(
            0,
            180,
            60,
            vec![Point {
                t: 60,
                requests: 3,
                ..Point::default()
            }],
        );
        assert_eq!(
            d.iter().map(|p| (p.t, p.requests)).collect::<Vec<_>>(),
            [(0, 0), (60, 3), (120, 0)]
        );
    }

    #[test]
    fn steps() {
        assert_eq!(parse_step("5m"), Some(300));
        assert_eq!(parse_step("7m"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Some(90));
        assert_eq!(parse_duration("5m"), Some(300));
        assert_eq!(parse_duration("24h"), Some(86_400));
        assert_eq!(parse_duration("7d"), Some(604_800));
        for bad in ["", "h", "0m", "5", "5w", "-1h", "99999999999999999999d"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn results_read_back() {
        assert_eq!(known_result("invalid_grant"), "invalid_grant");
        assert_eq!(
            known_result(result_of(Some(OAuthErrorCode::SlowDown))),
            RATE_LIMITED
        );
        assert_eq!(known_result("ok"), OK);
        assert_eq!(known_result("made_up"), "other");
    }

    #[test]
    fn kinds_round_trip_and_tops_are_ordered() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(k));
        }
        assert_eq!(
            Kind::of_grant(Some("client_credentials")),
            Kind::ClientCredentials
        );
        assert_eq!(Kind::of_grant(Some("password")), Kind::OtherGrant);
        let t = |n: &str, r| Top {
            name: n.into(),
            requests: r,
            ..Top::default()
        };
        let tops = top(vec![t("b", 5), t("a", 5), t("c", 9), t("z", 0)]);
        assert_eq!(
            tops.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
            ["c", "a", "b"]
        );
    }
}
