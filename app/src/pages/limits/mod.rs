//! The rate limits page: tiers, each partner's and client's limit, and the rate each calls at
//! now against it (live, every two seconds), drawn on one logarithmic scale so that a limit's
//! line moves when its tier changes.

pub mod api;

use std::collections::HashMap;

use entente_types::names::{MAX_BURST, MAX_PER_SECOND};
use leptos::prelude::*;

use crate::components::{
    ActionDone, ActionError, Check, ConfirmSubmit, ErrorBox, Field, Layout, PagedTable, Submit,
};
use api::{DeleteTier, LimitRow, LimitsPage, PAGE, SetLimit, SetTier, TierRow, rate_limits};

/// Live rates by row key: (allowed, refused) per second.
type Live = RwSignal<HashMap<String, (u64, u64)>>;

/// Position on the page's scale (0–100 %): log10 from 1 to a million requests per second.
fn position(per_second: u64) -> f64 {
    let top = 1_000_001f64.log10();
    ((per_second as f64 + 1.0).log10() / top * 100.0).clamp(0.0, 100.0)
}

/// The server's rules, run in the browser while typing (nothing while empty).
fn tier_name_problem(v: &str) -> Option<String> {
    (!v.is_empty())
        .then(|| entente_types::names::check_tier_name(v).err())
        .flatten()
}

fn number_problem(v: &str, max: i64, what: &'static str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => None,
        _ => Some(format!("{what}: a whole number from 1 to {max}")),
    }
}

#[component]
pub fn RateLimits() -> impl IntoView {
    let set_tier = ServerAction::<SetTier>::new();
    let delete_tier = ServerAction::<DeleteTier>::new();
    let set_limit = ServerAction::<SetLimit>::new();
    // `?partner=acme` (the partner page's link) starts filtered to that partner.
    let query = leptos_router::hooks::use_query_map();
    let filter = RwSignal::new(query.read_untracked().get("partner").unwrap_or_default());
    let offset = RwSignal::new(0u64);
    let page = Resource::new(
        move || {
            (
                filter.get(),
                offset.get(),
                set_tier.version().get(),
                delete_tier.version().get(),
                set_limit.version().get(),
            )
        },
        |(f, o, ..)| rate_limits(f, o),
    );
    let live: Live = RwSignal::new(HashMap::new());
    let keys = RwSignal::new(String::new());
    poll_live(keys, live);
    view! {
        <Layout title="Rate limits">
            <p class="subtitle">"A partner's limit holds for all its clients together; each client also has its own (its partner's rate unless set). A request over either gets 429 with Retry-After. Changes apply on every replica within a second."</p>
            <ActionError value=Signal::derive(move || delete_tier.value().get())/>
            <ActionDone value=Signal::derive(move || delete_tier.value().get())/>
            <ActionError value=Signal::derive(move || set_limit.value().get())/>
            <ActionDone value=Signal::derive(move || set_limit.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading tiers…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <Tiers tiers=p.tiers delete=delete_tier/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {crate::components::may_change().then(|| view! { <TierForm action=set_tier/> })}
            <h2>"Partners and clients"</h2>
            // The filter stays outside the refreshed part: typing never loses focus.
            <label class="filter">"Filter partners"
                <input type="search" autocomplete="off" placeholder="slug or name"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        offset.set(0);
                    }/>
            </label>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading limits…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => {
                            keys.set(shown_keys(&p));
                            view! { <Subjects page=p live=live offset=offset set=set_limit/> }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

fn shown_keys(p: &LimitsPage) -> String {
    p.partners
        .iter()
        .flat_map(|r| std::iter::once(&r.limit).chain(r.clients.iter()))
        .map(|l| l.key.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every two seconds, the live rates of the rows on screen (in the browser only: the server
/// renders the page with no live figures, and so does the first hydrated frame).
fn poll_live(keys: RwSignal<String>, live: Live) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use std::time::Duration;
        let tick = move || {
            let k = keys.get_untracked();
            if k.is_empty() {
                return;
            }
            leptos::task::spawn_local(async move {
                if let Ok(rates) = api::live_rates(k).await {
                    live.set(rates.0.into_iter().map(|(k, a, r)| (k, (a, r))).collect());
                }
            });
        };
        tick();
        if let Ok(handle) = set_interval_with_handle(tick, Duration::from_secs(2)) {
            on_cleanup(move || handle.clear());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (keys, live);
}

#[component]
fn Tiers(tiers: Vec<TierRow>, delete: ServerAction<DeleteTier>) -> impl IntoView {
    let manage = crate::components::may_change();
    view! {
        <section id="tiers">
            <h2>"Tiers"</h2>
            {if tiers.is_empty() {
                view! { <p class="empty" role="status">"No tiers yet: nothing is rate-limited. Create a tier below and make it the default."</p> }.into_any()
            } else {
                view! {
                    <table id="tier-table">
                        <thead><tr>
                            <th scope="col">"Tier"</th><th scope="col">"Per second"</th><th scope="col">"Burst"</th>
                            <th scope="col">"Used by"</th><th scope="col"><span class="sr-only">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {tiers.into_iter().map(|t| {
                                let name = t.name.clone();
                                view! {
                                    <tr id=format!("tier-{}", t.name)>
                                        <td>{t.name.clone()} {t.default.then(|| view! { " " <span class="badge">"default"</span> })}</td>
                                        <td>{t.per_second}</td>
                                        <td>{t.burst}</td>
                                        <td>{entente_types::words::counted(t.used_by, "setting", "settings")}</td>
                                        <td>{(manage).then(|| view! {
                                            <ActionForm action=delete>
                                                <input type="hidden" name="name" value=name/>
                                                <ConfirmSubmit label="Delete" class="secondary"
                                                    question="Delete this tier? If it is the default, partners without a setting of their own are no longer limited."
                                                    disabled=Signal::derive(move || t.used_by > 0)/>
                                            </ActionForm>
                                        })}</td>
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
fn TierForm(action: ServerAction<SetTier>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let per = RwSignal::new(String::new());
    let burst = RwSignal::new(String::new());
    let name_problem = move || tier_name_problem(&name.read());
    let per_problem = move || number_problem(&per.read(), MAX_PER_SECOND, "per second");
    let burst_problem = move || number_problem(&burst.read(), MAX_BURST, "burst");
    let blocked =
        move || name_problem().is_some() || per_problem().is_some() || burst_problem().is_some();
    view! {
        <section>
            <h3>"Add or change a tier"</h3>
            <ActionForm action=action attr:class="card" attr:id="tier-form">
                <div class="row3">
                    <Field label="Name" help="An existing name changes that tier." error=Signal::derive(name_problem)>
                        <input name="name" required placeholder="gold" autocomplete="off"
                            aria-invalid=move || name_problem().is_some().to_string()
                            on:input=move |ev| name.set(event_target_value(&ev))/>
                    </Field>
                    <Field label="Requests per second" help="The sustained rate." error=Signal::derive(per_problem)>
                        <input name="per_second" type="number" min="1" max="1000000" required
                            aria-invalid=move || per_problem().is_some().to_string()
                            on:input=move |ev| per.set(event_target_value(&ev))/>
                    </Field>
                    <Field label="Burst" help="Requests allowed at once after a quiet period." error=Signal::derive(burst_problem)>
                        <input name="burst" type="number" min="1" max="10000000" required
                            aria-invalid=move || burst_problem().is_some().to_string()
                            on:input=move |ev| burst.set(event_target_value(&ev))/>
                    </Field>
                </div>
                <Check name="default" label="The default tier (partners and resource servers without a setting of their own)"/>
                <Submit label="Save tier" busy="Saving…" pending=action.pending() blocked=Signal::derive(blocked)/>
                <ActionError value=Signal::derive(move || action.value().get())/>
                <ActionDone value=Signal::derive(move || action.value().get())/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Subjects(
    page: LimitsPage,
    live: Live,
    offset: RwSignal<u64>,
    set: ServerAction<SetLimit>,
) -> impl IntoView {
    let tiers: Vec<String> = page.tiers.iter().map(|t| t.name.clone()).collect();
    view! {
        <section id="subjects">
            <p class="meta">"Current rate: requests allowed in the last second (over every replica in cluster mode); the dark mark is the limit (logarithmic scale, 1 to 1,000,000 per second)."</p>
            <PagedTable headings=&["Partner or client", "Limit", "Current rate", "Change"] total=page.total
                offset=page.offset page=PAGE noun="partners" id="limit-table"
                empty="No partners yet: add one on the partners page." set_offset=offset>
                {page.partners.into_iter().map(|p| {
                    let tiers = tiers.clone();
                    let clients = p.clients.into_iter().map(|c| view! { <SubjectRow row=c live=live tiers=tiers.clone() set=set client=true/> }).collect_view();
                    view! {
                        <SubjectRow row=p.limit live=live tiers=tiers.clone() set=set client=false/>
                        {clients}
                    }
                }).collect_view()}
            </PagedTable>
        </section>
    }
}

fn limit_text(r: &LimitRow) -> String {
    match (r.per_second, r.burst) {
        (Some(p), Some(b)) => format!("{p}/s, burst {b}"),
        _ => "unlimited".into(),
    }
}

#[component]
fn SubjectRow(
    row: LimitRow,
    live: Live,
    tiers: Vec<String>,
    set: ServerAction<SetLimit>,
    client: bool,
) -> impl IntoView {
    let key = row.key.clone();
    let seen = Memo::new(move |_| live.with(|m| m.get(&key).copied()).unwrap_or((0, 0)));
    let now = move || seen.get();
    let limit = row.per_second;
    let label = row.label.clone();
    let id = row.key.replace(':', "-");
    view! {
        <tr id=id class=if client { "client-row" } else { "partner-row" }>
            <th scope="row">{if client { "↳ " } else { "" }} {row.label.clone()}
                <span class="meta">" " {row.key.split_once(':').map(|(_, k)| k.to_owned()).unwrap_or_default()}</span></th>
            <td class="limit">{limit_text(&row)} <span class="meta">" · " {row.source.clone()}</span></td>
            <td>
                <div class="rate">
                    // SVG geometry, not inline styles: the console's CSP allows no style attributes.
                    <svg class="rate-bar" viewBox="0 0 100 10" preserveAspectRatio="none" role="meter"
                        aria-label=format!("Current rate of {label}")
                        aria-valuemin="0" aria-valuemax=limit.map(|l| l.to_string())
                        aria-valuenow=move || now().0.to_string()>
                        <rect class="rate-track" x="0" y="2" width="100" height="6" rx="2"></rect>
                        <rect class="rate-fill" x="0" y="2" height="6" rx="2" width=move || format!("{:.1}", position(now().0))></rect>
                        {limit.map(|l| view! {
                            <rect class="rate-limit-line" y="0" width="1" height="10"
                                x=format!("{:.1}", (position(u64::from(l)) - 0.5).max(0.0))>
                                <title>{format!("limit {l}/s")}</title>
                            </rect>
                        })}
                    </svg>
                    <span class="rate-text">
                        {move || format!("{}/s", now().0)}
                        {limit.map(|l| format!(" of {l}/s"))}
                        {move || (now().1 > 0).then(|| view! { " · " <strong class="refused">{format!("{} refused/s", now().1)}</strong> })}
                    </span>
                </div>
            </td>
            <td>{crate::components::may_change().then(|| view! { <LimitForm row=row tiers=tiers set=set client=client/> })}</td>
        </tr>
    }
}

#[component]
fn LimitForm(
    row: LimitRow,
    tiers: Vec<String>,
    set: ServerAction<SetLimit>,
    client: bool,
) -> impl IntoView {
    let per = RwSignal::new(row.custom.map(|c| c.0.to_string()).unwrap_or_default());
    let burst = RwSignal::new(row.custom.map(|c| c.1.to_string()).unwrap_or_default());
    let tier = RwSignal::new(row.tier.clone());
    // Own numbers are checked as they are typed, each beside its field; a tier needs none.
    let own = move || tier.read().is_empty();
    let per_problem = move || {
        own()
            .then(|| number_problem(&per.read(), MAX_PER_SECOND, "per second"))
            .flatten()
    };
    let burst_problem = move || {
        own()
            .then(|| number_problem(&burst.read(), MAX_BURST, "burst"))
            .flatten()
    };
    let missing = move || {
        (own() && (per.read().trim().is_empty() || burst.read().trim().is_empty()))
            .then(|| "choose a tier, or give a rate and a burst".to_owned())
    };
    let problem = move || per_problem().or_else(burst_problem).or_else(missing);
    let fallback = if client {
        "Follow the partner"
    } else {
        "Use the default tier"
    };
    let field = row.key.replace(':', "-");
    view! {
        <details class="limit-edit">
            <summary>"Change"</summary>
            <ActionForm action=set attr:class="limit-form">
                <input type="hidden" name="subject" value=row.key.clone()/>
                <label for=format!("tier-{field}")>"Tier"</label>
                <select id=format!("tier-{field}") name="tier" on:change=move |ev| tier.set(event_target_value(&ev))>
                    <option value="" selected=row.tier.is_empty()>"Own numbers…"</option>
                    {tiers.into_iter().map(|t| {
                        let selected = t == row.tier;
                        view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
                    }).collect_view()}
                </select>
                <div class="row2" hidden=move || !own()>
                    <label>"Per second" <input name="per_second" type="number" min="1" max="1000000" prop:value=move || per.get()
                        prop:disabled=move || !own()
                        aria-invalid=move || per_problem().is_some().to_string()
                        aria-describedby=format!("per-error-{field}")
                        on:input=move |ev| per.set(event_target_value(&ev))/>
                        <span class="field-error" id=format!("per-error-{field}") role="alert">{per_problem}</span></label>
                    <label>"Burst" <input name="burst" type="number" min="1" max="10000000" prop:value=move || burst.get()
                        prop:disabled=move || !own()
                        aria-invalid=move || burst_problem().is_some().to_string()
                        aria-describedby=format!("burst-error-{field}")
                        on:input=move |ev| burst.set(event_target_value(&ev))/>
                        <span class="field-error" id=format!("burst-error-{field}") role="alert">{burst_problem}</span></label>
                </div>
                {move || missing().filter(|_| per_problem().is_none() && burst_problem().is_none())
                    .map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                <div class="actions">
                    <Submit label="Save" busy="Saving…" pending=set.pending() blocked=Signal::derive(move || problem().is_some())/>
                    <ConfirmSubmit label=fallback class="secondary" name="clear" value="1"
                        question="Remove this setting? The default applies again."/>
                </div>
            </ActionForm>
        </details>
    }
}
