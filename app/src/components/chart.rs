//! Our one chart: lines over time in plain SVG, rendered on the server and hydrated like any
//! other view (no chart crate: see the README). Colours are the Okabe–Ito palette and every
//! line also has its own dash pattern, so no series is told apart by colour alone, and a
//! series keeps its colour and dash by name in every range; each step
//! has a tooltip, and the numbers are in a table screen readers reach.

use leptos::prelude::*;

/// One line: a name for the legend and a value per step (same steps for every line).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub values: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 26.0;

/// The colour and dash of a series, by its name: the same in every chart and every range
/// (live or rollups), whichever other series happen to be present. Well-known series have
/// their own; others share by a stable hash of the name.
pub fn style_of(name: &str) -> usize {
    const KNOWN: [(&str, usize); 15] = [
        ("client credentials", 0),
        ("token exchange", 1),
        ("jwt bearer", 2),
        ("refresh token", 3),
        ("p50", 0),
        ("p95", 1),
        ("p99", 2),
        ("invalid client", 4),
        ("invalid grant", 5),
        ("invalid scope", 1),
        ("invalid target", 3),
        ("unauthorized client", 2),
        ("rate limited", 0),
        ("invalid request", 4),
        ("access denied", 5),
    ];
    let key = name.replace('_', " ");
    KNOWN
        .iter()
        .find(|(n, _)| *n == key)
        .map(|(_, s)| *s)
        .unwrap_or_else(|| {
            // FNV-1a: stable across builds and platforms, unlike the std hasher.
            let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
            });
            (h % 6) as usize
        })
}

/// The smallest "round" number (1, 2, 2.5, 5 × 10ⁿ) at or above `v` (at least 1).
pub fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 1.0) {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * magnitude >= v {
            return m * magnitude;
        }
    }
    10.0 * magnitude
}

/// The `points` attributes of the polylines for these values on a chart whose top is `max`:
/// one per run of values, a missing value (NaN: no requests, so no latency) leaving a gap.
pub fn polylines(values: &[f64], max: f64) -> Vec<String> {
    let n = values.len();
    let dx = if n > 1 {
        (WIDTH - LEFT - RIGHT) / (n - 1) as f64
    } else {
        0.0
    };
    let mut out = vec![];
    let mut run: Vec<(f64, f64)> = vec![];
    // A run of one value would draw nothing: it is drawn as a short dash.
    let close = |run: &mut Vec<(f64, f64)>, out: &mut Vec<String>| {
        if let [(x, y)] = run.as_slice() {
            run.push((x + 3.0, *y));
        }
        if !run.is_empty() {
            out.push(
                run.iter()
                    .map(|(x, y)| format!("{x:.1},{y:.1}"))
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        }
        run.clear();
    };
    for (i, v) in values.iter().enumerate() {
        if v.is_nan() {
            close(&mut run, &mut out);
            continue;
        }
        run.push((LEFT + dx * i as f64, y_of(*v, max)));
    }
    close(&mut run, &mut out);
    out
}

fn y_of(v: f64, max: f64) -> f64 {
    let v = if v.is_finite() {
        v.clamp(0.0, max)
    } else {
        0.0
    };
    TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - v / max)
}

/// `HH:MM:SS` (UTC) of a Unix time, or `MM-DD HH:MM` when `dated`.
pub fn clock(t: i64, dated: bool) -> String {
    let secs = t.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if dated {
        let (_, month, day) = civil(t.div_euclid(86_400));
        format!("{month:02}-{day:02} {h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Year, month and day of a day number since 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A number for people: at most three significant digits.
pub fn short(v: f64) -> String {
    if v >= 100.0 || v == v.trunc() {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A value as read out: `none` where there is none (a gap).
fn value(v: Option<f64>) -> String {
    v.filter(|v| !v.is_nan())
        .map_or_else(|| "none".to_owned(), short)
}

/// Lines over `steps` (the start of each step), values in `unit`, with an optional limit drawn
/// as a dashed line. `label` names the chart for assistive technology.
#[component]
pub fn TimeChart(
    label: String,
    unit: &'static str,
    steps: Vec<i64>,
    lines: Vec<Line>,
    #[prop(default = None)] limit: Option<f64>,
    #[prop(optional)] dated: bool,
) -> impl IntoView {
    let peak = lines
        .iter()
        .flat_map(|l| l.values.iter().copied())
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let max = nice_ceiling(peak.max(limit.map_or(0.0, |l| l * 1.15)));
    let n = steps.len();
    let dx = if n > 1 {
        (WIDTH - LEFT - RIGHT) / (n - 1) as f64
    } else {
        0.0
    };
    let x_ticks: Vec<(f64, String, &str)> = if n == 0 {
        vec![]
    } else {
        (0..5)
            .map(|i| {
                let idx = (n - 1) * i / 4;
                let anchor = match i {
                    0 => "start",
                    4 => "end",
                    _ => "middle",
                };
                (LEFT + dx * idx as f64, clock(steps[idx], dated), anchor)
            })
            .collect()
    };
    let y_ticks: Vec<(f64, String)> = [0.0, 0.5, 1.0]
        .into_iter()
        .map(|f| (y_of(max * f, max), short(max * f)))
        .collect();
    let latest: Vec<String> = lines
        .iter()
        .map(|l| format!("{} {} {unit}", l.name, value(l.values.last().copied())))
        .collect();
    let summary = if lines.is_empty() {
        format!("{label}: no data")
    } else {
        format!("{label}, latest: {}", latest.join(", "))
    };
    // One tooltip band per step: hovering anywhere over a step names every line's value.
    let bands: Vec<(f64, f64, String)> = steps
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let values = lines
                .iter()
                .map(|l| format!("{} {}", l.name, value(l.values.get(i).copied())))
                .collect::<Vec<_>>()
                .join(", ");
            let x = LEFT + dx * i as f64 - dx / 2.0;
            (
                x.max(LEFT),
                dx.max(1.0),
                format!("{} — {values} {unit}", clock(*t, dated)),
            )
        })
        .collect();
    let table_rows: Vec<(String, Vec<String>)> = steps
        .iter()
        .enumerate()
        .skip(n.saturating_sub(10))
        .map(|(i, t)| {
            (
                clock(*t, dated),
                lines
                    .iter()
                    .map(|l| value(l.values.get(i).copied()))
                    .collect(),
            )
        })
        .collect();
    let names: Vec<String> = lines.iter().map(|l| l.name.clone()).collect();
    let legend = lines
        .iter()
        .map(|l| {
            view! {
                <li>
                    <svg class="swatch" viewBox="0 0 24 8" width="24" height="8" aria-hidden="true">
                        <line x1="0" y1="4" x2="24" y2="4" class=format!("series s{}", style_of(&l.name))/>
                    </svg>
                    {l.name.clone()}
                </li>
            }
        })
        .collect_view();
    let paths = lines
        .iter()
        .map(|l| {
            let style = style_of(&l.name);
            polylines(&l.values, max)
                .into_iter()
                .map(
                    |points| view! { <polyline class=format!("series s{}", style) points=points/> },
                )
                .collect_view()
        })
        .collect_view();
    let limit_view = limit.map(|l| {
        let y = y_of(l, max);
        view! {
            <line class="limit-line" x1=LEFT x2={WIDTH - RIGHT} y1=y y2=y/>
            <text class="limit-label" x={WIDTH - RIGHT - 4.0} y={y - 4.0} text-anchor="end">
                {format!("limit {} {unit}", short(l))}
            </text>
        }
    });
    view! {
        <figure class="chart">
            <figcaption>{label.clone()} " " <span class="unit">{format!("({unit})")}</span></figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=summary.clone()
                class="chart-svg">
                <title>{summary.clone()}</title>
                {y_ticks.into_iter().map(|(y, text)| view! {
                    <line class="grid" x1=LEFT x2={WIDTH - RIGHT} y1=y y2=y/>
                    <text class="tick" x={LEFT - 6.0} y={y + 4.0} text-anchor="end">{text}</text>
                }).collect_view()}
                {x_ticks.into_iter().map(|(x, text, anchor)| view! {
                    <text class="tick" x=x y={HEIGHT - 8.0} text-anchor=anchor>{text}</text>
                }).collect_view()}
                {paths}
                {limit_view}
                {bands.into_iter().map(|(x, w, tip)| view! {
                    <rect class="band" x=x y=TOP width=w height={HEIGHT - TOP - BOTTOM}>
                        <title>{tip}</title>
                    </rect>
                }).collect_view()}
            </svg>
            <ul class="legend">{legend}</ul>
            <table class="sr-only">
                <caption>{format!("{label}, last steps ({unit})")}</caption>
                <thead><tr><th>"time"</th>{names.into_iter().map(|n| view! { <th>{n}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {table_rows.into_iter().map(|(t, values)| view! {
                        <tr><td>{t}</td>{values.into_iter().map(|v| view! { <td>{v}</td> }).collect_view()}</tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_series_keeps_its_style_whatever_else_is_drawn() {
        assert_eq!(style_of("token exchange"), style_of("token_exchange"));
        assert_eq!(style_of("client_credentials"), 0);
        assert_ne!(style_of("client credentials"), style_of("token exchange"));
        assert_eq!(style_of("server_error"), style_of("server error"));
        assert!(style_of("something new") < 6);
    }

    #[test]
    fn ceilings_are_round() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
        assert_eq!(nice_ceiling(7.0), 10.0);
        assert_eq!(nice_ceiling(11.0), 20.0);
        assert_eq!(nice_ceiling(230.0), 250.0);
        assert_eq!(nice_ceiling(1000.0), 1000.0);
        assert_eq!(nice_ceiling(4200.0), 5000.0);
    }

    #[test]
    fn lines_span_the_plot_and_clamp() {
        let p = polylines(&[0.0, 5.0, 10.0, 20.0], 10.0).remove(0);
        let pts: Vec<(f64, f64)> = p
            .split(' ')
            .map(|xy| {
                let (x, y) = xy.split_once(',').unwrap();
                (x.parse().unwrap(), y.parse().unwrap())
            })
            .collect();
        assert_eq!(pts[0], (LEFT, HEIGHT - BOTTOM));
        assert_eq!(pts[2].1, TOP);
        assert_eq!(
            pts[3],
            (WIDTH - RIGHT, TOP),
            "above the top is drawn at the top"
        );
        assert!((pts[1].1 - (TOP + HEIGHT - BOTTOM) / 2.0).abs() < 0.1);
        assert_eq!(polylines(&[3.0], 10.0), ["52.0,124.8 55.0,124.8"]);
        // A missing value splits the line; nothing is drawn for it.
        let gaps = polylines(&[1.0, f64::NAN, f64::NAN, 2.0, 3.0], 10.0);
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[1].split(' ').count(), 2);
        // A lone value between gaps is a short dash.
        assert_eq!(gaps[0].split(' ').count(), 2);
        assert!(polylines(&[f64::NAN], 10.0).is_empty());
    }

    #[test]
    fn clocks_and_dates_are_utc() {
        assert_eq!(clock(1_795_773_600, false), "10:00:00");
        assert_eq!(clock(1_795_773_600 + 61, true), "11-27 10:01");
        assert_eq!(clock(0, true), "01-01 00:00");
        assert_eq!(civil(59), (1970, 3, 1));
        assert_eq!(short(1234.6), "1235");
        assert_eq!(short(12.34), "12.3");
        assert_eq!(short(0.126), "0.13");
        assert_eq!(short(3.0), "3");
    }
}
