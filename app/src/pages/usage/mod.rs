//! Usage: tokens per second by grant type, refusals by reason, latency percentiles, active
//! partners, top partners and clients — live (per second, pushed by the server every second)
//! or over 5 min to 7 days from the rollups. The same panel sits on partner pages, with the
//! partner's rate limit drawn on its rate chart.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ErrorBox, Layout, Line, TimeChart, short};
use api::{AlertRow, RANGES, TopRow, UsagePoint, UsageReport, UsageView, load_usage};

/// Seconds the live view keeps.
const LIVE_SECONDS: usize = 300;

/// The usage page: everyone, or `?partner=` / `?client=`.
#[component]
pub fn Usage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let partner = query.read_untracked().get("partner").unwrap_or_default();
    let client = query.read_untracked().get("client").unwrap_or_default();
    let subtitle = match (partner.is_empty(), client.is_empty()) {
        (true, true) => None,
        (_, false) => Some(format!("Usage of client {client}")),
        (false, true) => Some(format!("Usage of partner {partner}")),
    };
    let back = (!partner.is_empty()).then(|| format!("/partners/{partner}"));
    let state = UsageState::new(
        Signal::stored(partner.clone()),
        Signal::stored(client.clone()),
    );
    view! {
        <Layout title="Usage">
            <h2>{subtitle.clone().unwrap_or_else(|| "All partners".to_owned())}</h2>
            {back.clone().map(|href| view! {
                <p class="meta"><A href=href>"← the partner's page"</A></p>
            })}
            <UsagePanel state=state/>
        </Layout>
    }
}

/// Rates per second of a point covering `step` seconds.
fn per_second(v: u64, step: i64) -> f64 {
    v as f64 / step.max(1) as f64
}

/// Merges streamed seconds into the live report by time: a second already shown (perhaps
/// while it was still running) is replaced by its complete count, a missing one (the stream
/// reconnected) is filled in; five minutes kept. The totals and top callers are the stream's
/// (its last minute).
pub fn merge_live(view: &mut UsageView, event: UsageReport) {
    let points = &mut view.report.points;
    for p in event.points {
        match points.binary_search_by_key(&p.t, |x| x.t) {
            Ok(i) => points[i] = p,
            Err(i) => points.insert(i, p),
        }
    }
    let extra = view.report.points.len().saturating_sub(LIVE_SECONDS);
    view.report.points.drain(..extra);
    if let (Some(first), Some(last)) = (view.report.points.first(), view.report.points.last()) {
        view.report.from = first.t;
        view.report.to = last.t + 1;
    }
    view.report.total = event.total;
    view.report.active_partners = event.active_partners;
    view.report.top_partners = event.top_partners;
    view.report.top_clients = event.top_clients;
}

/// The names of the lines of a map-valued series (grant types, refusal reasons), in order.
fn keys_of(
    points: &[UsagePoint],
    pick: fn(&UsagePoint) -> &std::collections::BTreeMap<String, u64>,
) -> Vec<&str> {
    let mut names: Vec<&str> = points
        .iter()
        .flat_map(|p| pick(p).keys().map(String::as_str))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

fn map_lines(
    r: &UsageReport,
    pick: fn(&UsagePoint) -> &std::collections::BTreeMap<String, u64>,
) -> Vec<Line> {
    keys_of(&r.points, pick)
        .into_iter()
        .map(|name| Line {
            name: name.replace('_', " "),
            values: r
                .points
                .iter()
                .map(|p| per_second(pick(p).get(name).copied().unwrap_or(0), r.step))
                .collect(),
        })
        .collect()
}

/// A usage panel's state: made at the top of the page that shows it, like every resource (a
/// resource made inside the layout's children would be made again when they render again, and
/// hydration would then read another resource's data).
#[derive(Clone, Copy)]
pub struct UsageState {
    partner: Signal<String>,
    client: Signal<String>,
    range: RwSignal<String>,
    data: Resource<Result<UsageView, crate::error::ConsoleError>>,
    /// The view as shown: the loaded one, with the live stream's seconds merged in.
    shown: RwSignal<Option<UsageView>>,
}

impl UsageState {
    pub fn new(partner: Signal<String>, client: Signal<String>) -> Self {
        Self::new_when(partner, client, Signal::stored(true))
    }

    /// A panel that loads and streams only while `shown` holds (a tab of a page): a partner
    /// page open on another tab neither fetches usage nor holds one of the caller's live
    /// streams.
    pub fn new_when(
        partner: Signal<String>,
        client: Signal<String>,
        shown_now: Signal<bool>,
    ) -> Self {
        let range = RwSignal::new("live".to_owned());
        // A partner page reached from another one refetches.
        let data = Resource::new(
            move || (partner.get(), client.get(), range.get(), shown_now.get()),
            |(p, c, r, on)| async move {
                if on {
                    load_usage(p, c, r).await
                } else {
                    Ok(UsageView::default())
                }
            },
        );
        let shown: RwSignal<Option<UsageView>> = RwSignal::new(None);
        Effect::new(move |_| {
            if let Some(Ok(v)) = data.get() {
                shown.set(Some(v));
            }
        });
        #[cfg(feature = "hydrate")]
        Effect::new(move |_| {
            let (p, c) = (partner.get(), client.get());
            if range.get() != "live" || !shown_now.get() {
                return;
            }
            stream::open(&p, &c, shown);
        });
        Self {
            partner,
            client,
            range,
            data,
            shown,
        }
    }
}

#[component]
pub fn UsagePanel(state: UsageState) -> impl IntoView {
    let UsageState {
        partner,
        client,
        range,
        data,
        shown,
    } = state;
    let current = move || {
        shown
            .get()
            .filter(|v| {
                v.live == (range.get() == "live")
                    && v.partner == partner.get()
                    && v.client == client.get()
            })
            .or_else(|| data.get().and_then(Result::ok))
    };
    view! {
        <div class="ranges" role="group" aria-label="Range">
            {RANGES.into_iter().map(|(key, label)| view! {
                <button type="button" class="secondary"
                    aria-pressed=move || (range.get() == key).to_string()
                    on:click=move |_| range.set(key.to_owned())>
                    {label}
                </button>
            }).collect_view()}
            {move || (range.get() == "live").then(|| view! {
                <span class="meta" role="status"><span class="live-dot" aria-hidden="true"></span>"live, every second"</span>
            })}
        </div>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading usage…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    Ok(_) => (move || current().map(|v| view! { <Dashboard view=v/> })).into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Dashboard(view: UsageView) -> impl IntoView {
    let r = view.report;
    let live = view.live;
    let step = r.step.max(1);
    let steps: Vec<i64> = r.points.iter().map(|p| p.t).collect();
    // Live: the last complete second; a range: its average.
    let (tokens_now, figure_name) = if live {
        let last = r.points.last().map_or(0, UsagePoint::tokens_issued);
        (last as f64, "tokens per second (last second)")
    } else {
        let span = (r.to - r.from).max(1);
        (
            per_second(r.total.tokens_issued(), span),
            "tokens per second (average)",
        )
    };
    let error_rate = if r.total.requests == 0 {
        "–".to_owned()
    } else {
        format!(
            "{:.1} %",
            r.total.refused() as f64 * 100.0 / r.total.requests as f64
        )
    };
    let window = if live { "last minute" } else { "range" };
    let ms = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), |v| format!("{} ms", short(v)));
    let tokens = map_lines(&r, |p| &p.tokens);
    let refusals = map_lines(&r, |p| &p.errors);
    let latency = ["p50", "p95", "p99"]
        .into_iter()
        .map(|name| Line {
            name: name.to_owned(),
            values: r
                .points
                .iter()
                // No requests, no latency: a gap in the line, not a zero.
                .map(|p| {
                    match name {
                        "p50" => p.p50_ms,
                        "p95" => p.p95_ms,
                        _ => p.p99_ms,
                    }
                    .unwrap_or(f64::NAN)
                })
                .collect(),
        })
        .collect::<Vec<_>>();
    let dated = step >= 900;
    let empty = r.total.requests == 0 && r.points.iter().all(|p| p.requests == 0);
    let limit = view.limit.map(f64::from);
    let alerts = view.alerts;
    let recent = recent_refusals(&r.points);
    let figures = view! {
        <section aria-label="Figures" class="figures">
            <div class="figure">
                <div class="value" data-testid="tokens-per-second">{short(tokens_now)}</div>
                <div class="name">{figure_name}</div>
            </div>
            <div class="figure">
                <div class="value" data-testid="error-rate">{error_rate}</div>
                <div class="name">{format!("refused ({window})")}</div>
            </div>
            <div class="figure">
                <div class="value">{ms(r.total.p50_ms)}" · "{ms(r.total.p99_ms)}</div>
                <div class="name">{format!("p50 · p99 latency ({window})")}</div>
            </div>
            <div class="figure">
                <div class="value" data-testid="active-partners">{r.active_partners}</div>
                <div class="name">{format!("active partners ({window})")}</div>
            </div>
            <div class="figure">
                <div class="value" data-testid="rate-limited">{r.total.rate_limited()}</div>
                <div class="name">{format!("rate-limit refusals ({window})")}</div>
            </div>
        </section>
    }
    .into_any();
    let charts = view! {
        {empty.then(|| view! {
            <p class="empty">{if live {
                "No requests in the last five minutes. Tokens issued now appear here within a second."
            } else {
                "No requests in this range."
            }}</p>
        })}
        <section class="charts" aria-label="Charts">
            <TimeChart label="Tokens issued by grant type".to_owned() unit="per second"
                steps=steps.clone() lines=tokens limit=limit dated=dated/>
            <TimeChart label="Refusals by reason".to_owned() unit="per second"
                steps=steps.clone() lines=refusals dated=dated/>
            <TimeChart label="Latency".to_owned() unit="ms" steps=steps lines=latency dated=dated/>
        </section>
    }
    .into_any();
    let tables = view! {
        <section class="tables" aria-label="Top callers and refusals">
            <Tops title="Top partners" rows=r.top_partners link_partners=true/>
            <Tops title="Top clients" rows=r.top_clients link_partners=false/>
            <Refusals errors=r.total.errors window=window recent=recent dated=dated/>
        </section>
    }
    .into_any();
    view! { <Alerts alerts=alerts/> {figures} {charts} {tables} }.into_any()
}

#[component]
fn Alerts(alerts: Vec<AlertRow>) -> impl IntoView {
    let what = |a: &AlertRow| match a.kind.as_str() {
        "issuance_spike" => format!(
            "{} tokens in {} s, {} expected",
            short(a.observed),
            a.window_secs,
            short(a.expected)
        ),
        "error_surge" => format!(
            "{:.0} % refused in {} s, {:.0} % expected",
            a.observed * 100.0,
            a.window_secs,
            a.expected * 100.0
        ),
        _ => a.kind.clone(),
    };
    view! {
        <section aria-label="Anomaly alerts" class="alerts">
            <h3>"Anomaly alerts " <span class="meta">"(last 24 hours)"</span></h3>
            {if alerts.is_empty() {
                view! { <p class="empty">"No anomalies: every client stayed near its usual volume and refusal rate."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="alerts">
                        <thead><tr><th>"when (UTC)"</th><th>"alert"</th><th>"partner"</th><th>"client"</th><th>"what"</th></tr></thead>
                        <tbody>
                            {alerts.into_iter().map(|a| {
                                let text = what(&a);
                                view! {
                                    <tr class="alert-row">
                                        <td>{crate::components::clock(a.at, true)}</td>
                                        <td><strong>{a.kind.replace('_', " ")}</strong></td>
                                        <td>{a.partner}</td>
                                        <td><code>{a.client_id}</code></td>
                                        <td>{text} {format!(" ({:.1} σ)", a.score)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Tops(title: &'static str, rows: Vec<TopRow>, link_partners: bool) -> impl IntoView {
    view! {
        <div>
            <h3>{title}</h3>
            {if rows.is_empty() {
                view! { <p class="empty">"No calls."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <thead><tr><th>"name"</th><th>"requests"</th><th>"tokens"</th><th>"refused"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|t| {
                                let name = if link_partners {
                                    let href = format!("/partners/{}", t.name);
                                    view! { <A href=href>{t.name.clone()}</A> }.into_any()
                                } else if t.label.is_empty() {
                                    view! { <code>{t.name.clone()}</code> }.into_any()
                                } else {
                                    view! { {t.label.clone()} " " <code class="meta">{t.name.clone()}</code> }.into_any()
                                };
                                view! { <tr><td>{name}</td><td>{t.requests}</td><td>{t.tokens}</td><td>{t.refused}</td></tr> }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn Refusals(
    errors: std::collections::BTreeMap<String, u64>,
    window: &'static str,
    recent: Vec<(i64, String, u64)>,
    dated: bool,
) -> impl IntoView {
    let recent = (!recent.is_empty()).then(|| {
        view! {
            <h3>"Recent refusals"</h3>
            <table data-testid="recent-refusals">
                <thead><tr><th>"when (UTC)"</th><th>"reason"</th><th>"requests"</th></tr></thead>
                <tbody>
                    {recent.into_iter().map(|(t, code, n)| view! {
                        <tr><td>{crate::components::clock(t, dated)}</td><td><code>{code}</code></td><td>{n}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    });
    view! {
        <div>
            <h3>{format!("Refusals by reason ({window})")}</h3>
            {if errors.is_empty() {
                view! { <p class="empty">"No refusals."</p> }.into_any()
            } else {
                view! {
                    <table data-testid="refusals">
                        <thead><tr><th>"reason"</th><th>"requests"</th></tr></thead>
                        <tbody>
                            {errors.into_iter().map(|(code, n)| view! {
                                <tr><td><code>{code}</code></td><td>{n}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            {recent}
        </div>
    }
}

/// The steps with refusals, newest first (at most ten rows): when, why, how many.
pub fn recent_refusals(points: &[UsagePoint]) -> Vec<(i64, String, u64)> {
    points
        .iter()
        .rev()
        .flat_map(|p| {
            p.errors
                .iter()
                .map(move |(code, n)| (p.t, code.clone(), *n))
        })
        .take(10)
        .collect()
}

/// The live stream (server-sent events, `/admin/api/v1/usage/live`): one report a second, merged
/// into the shown view; closed when the range changes or the page goes.
#[cfg(feature = "hydrate")]
mod stream {
    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    use super::api::{UsageReport, UsageView};

    pub fn open(partner: &str, client: &str, shown: RwSignal<Option<UsageView>>) {
        let mut url = "/admin/api/v1/usage/live?".to_owned();
        for (k, v) in [("partner", partner), ("client", client)] {
            if !v.is_empty() {
                url += &format!("{k}={}&", js_sys_encode(v));
            }
        }
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_usage =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let Some(text) = e.data().as_string() else {
                    return;
                };
                let Ok(event) = serde_json::from_str::<UsageReport>(&text) else {
                    return;
                };
                shown.update(|v| {
                    if let Some(v) = v.as_mut().filter(|v| v.live) {
                        super::merge_live(v, event);
                    }
                });
            });
        let _ = source.add_event_listener_with_callback("usage", on_usage.as_ref().unchecked_ref());
        // Browser objects stay on this thread; the handle is what the cleanup needs.
        let held = StoredValue::new_local(Some((source, on_usage)));
        on_cleanup(move || {
            if let Some((source, _listener)) = held.try_update_value(Option::take).flatten() {
                source.close();
            }
        });
    }

    fn js_sys_encode(v: &str) -> String {
        String::from(web_sys::js_sys::encode_uri_component(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: i64, cc: u64) -> UsagePoint {
        let mut p = UsagePoint {
            t,
            requests: cc,
            ..UsagePoint::default()
        };
        p.tokens.insert("client_credentials".into(), cc);
        p
    }

    #[test]
    fn live_seconds_are_appended_once_and_five_minutes_kept() {
        let mut v = UsageView {
            live: true,
            report: UsageReport {
                step: 1,
                points: (0..300).map(|t| point(t, 1)).collect(),
                ..UsageReport::default()
            },
            limit: None,
            alerts: vec![],
            partner: String::new(),
            client: String::new(),
        };
        let event = |t| UsageReport {
            points: vec![point(t, 7)],
            active_partners: 2,
            ..UsageReport::default()
        };
        merge_live(&mut v, event(300));
        merge_live(&mut v, event(300)); // a repeated second is replaced, not added twice
        merge_live(&mut v, event(299)); // a second shown is replaced by the stream's count
        assert_eq!(v.report.points.len(), 300);
        assert_eq!(v.report.points.first().unwrap().t, 1);
        assert_eq!(v.report.points.last().unwrap().tokens_issued(), 7);
        assert_eq!(v.report.points[298].tokens_issued(), 7);
        // Seconds missed while the stream reconnected are filled in, in order.
        let mut gap = UsageView {
            live: true,
            report: UsageReport {
                step: 1,
                points: vec![point(10, 1), point(13, 1)],
                ..UsageReport::default()
            },
            limit: None,
            alerts: vec![],
            partner: String::new(),
            client: String::new(),
        };
        merge_live(
            &mut gap,
            UsageReport {
                points: vec![point(11, 2), point(12, 2), point(13, 3), point(14, 4)],
                ..UsageReport::default()
            },
        );
        let ts: Vec<(i64, u64)> = gap
            .report
            .points
            .iter()
            .map(|p| (p.t, p.requests))
            .collect();
        assert_eq!(ts, [(10, 1), (11, 2), (12, 2), (13, 3), (14, 4)]);
        assert_eq!((v.report.from, v.report.to), (1, 301));
        assert_eq!(v.report.active_partners, 2);
    }

    #[test]
    fn recent_refusals_are_newest_first_and_few() {
        let mut points: Vec<UsagePoint> = (0..20).map(|t| point(t, 1)).collect();
        points[3].errors.insert("invalid_scope".into(), 2);
        points[7].errors.insert("rate_limited".into(), 5);
        points[7].errors.insert("invalid_grant".into(), 1);
        let r = recent_refusals(&points);
        assert_eq!(
            r,
            [
                (7, "invalid_grant".to_owned(), 1),
                (7, "rate_limited".to_owned(), 5),
                (3, "invalid_scope".to_owned(), 2)
            ]
        );
        for p in &mut points {
            p.errors.insert("invalid_client".into(), 1);
        }
        assert_eq!(recent_refusals(&points).len(), 10);
        assert_eq!(recent_refusals(&points)[0].0, 19);
    }

    #[test]
    fn map_series_become_lines_per_second() {
        let r = UsageReport {
            step: 60,
            points: vec![point(0, 120), point(60, 60)],
            ..UsageReport::default()
        };
        let lines = map_lines(&r, |p| &p.tokens);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].name, "client credentials");
        assert_eq!(lines[0].values, [2.0, 1.0]);
    }
}
