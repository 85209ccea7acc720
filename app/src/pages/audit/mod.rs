//! The audit log: every change and security event, filtered by actor, partner, action and time,
//! paged on the server, exported as CSV or JSON.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::components::{ErrorBox, Field, Layout};
use api::{AuditRow, list_audit};

const FILTERS: [&str; 5] = ["actor", "partner", "action", "since", "until"];

/// `?a=b&…` of the non-empty values, URL-encoded.
fn query_string(pairs: &[(&str, String)]) -> String {
    let mut out = vec![];
    for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
        let enc: String = v
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        out.push(format!("{k}={enc}"));
    }
    out.join("&")
}

#[component]
pub fn Audit() -> impl IntoView {
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).unwrap_or_default();
    let data = Resource::new(
        move || {
            (
                get("actor"),
                get("partner"),
                get("action"),
                get("since"),
                get("until"),
                get("before"),
            )
        },
        |(actor, partner, action, since, until, before)| {
            list_audit(actor, partner, action, since, until, before)
        },
    );
    let filters = move || {
        FILTERS
            .iter()
            .map(|k| (*k, get(k)))
            .collect::<Vec<(&str, String)>>()
    };
    let export = move |format: &str| {
        let mut pairs = filters();
        pairs.push(("limit", "10000".into()));
        pairs.push(("format", format.into()));
        if format == "json" {
            pairs.push(("download", "1".into()));
        }
        format!("/admin/api/v1/audit?{}", query_string(&pairs))
    };
    // The form's fields, typed into before "Filter" applies them (via the URL, so that links
    // and the back button keep the filters).
    let typed: [RwSignal<String>; 5] = std::array::from_fn(|i| {
        RwSignal::new(query.read_untracked().get(FILTERS[i]).unwrap_or_default())
    });
    let navigate = use_navigate();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        // Without JavaScript this is a plain GET form to the same URL.
        ev.prevent_default();
        let pairs: Vec<(&str, String)> = FILTERS
            .iter()
            .zip(typed.iter())
            .map(|(k, v)| (*k, v.get_untracked()))
            .collect();
        navigate(
            &format!("/audit?{}", query_string(&pairs)),
            Default::default(),
        );
    };
    let field = move |i: usize, label: &'static str, placeholder: &'static str| {
        view! {
            <Field label=label>
                <input name=FILTERS[i] prop:value=move || typed[i].get() placeholder=placeholder
                    on:input=move |ev| typed[i].set(event_target_value(&ev))/>
            </Field>
        }
    };
    view! {
        <Layout title="Audit log">
            <form method="get" action="/audit" class="card filters" id="audit-filters" on:submit=apply.clone()>
                {field(0, "Actor", "alice@example.com")}
                {field(1, "Partner", "acme")}
                {field(2, "Action", "partner. or partner.suspend")}
                {field(3, "Since", "24h, 2026-11-26, 2026-11-26T10:00")}
                {field(4, "Until", "2026-11-27")}
                <div class="actions">
                    <button type="submit">"Filter"</button>
                    <A href="/audit">"Clear"</A>
                </div>
            </form>
            <p class="exports">
                "Export what matches (up to 10,000 events): "
                <a href=move || export("csv") download>"CSV"</a> " · "
                <a href=move || export("json") download>"JSON"</a>
            </p>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the audit log…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) if page.rows.is_empty() => view! {
                            <ChainState text=page.chain ok=page.chain_ok/>
                            <p class="empty">"No audit events match these filters."</p>
                        }.into_any(),
                        Ok(page) => {
                            let chain = view! { <ChainState text=page.chain.clone() ok=page.chain_ok/> };
                            let older = page.next_before.map(|b| {
                                let mut pairs = filters();
                                pairs.push(("before", b.to_string()));
                                format!("/audit?{}", query_string(&pairs))
                            });
                            let paged = !get("before").is_empty();
                            view! {
                                {chain}
                                <table id="audit">
                                    <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Change"</th><th>"From"</th></tr></thead>
                                    <tbody>{page.rows.into_iter().map(|r| view! { <Event r=r/> }).collect_view()}</tbody>
                                </table>
                                <nav class="pager" aria-label="Audit pages">
                                    {paged.then(|| {
                                        let newest = format!("/audit?{}", query_string(&filters()));
                                        view! { <A href=newest>"Newest"</A> }
                                    })}
                                    {older.map(|href| view! { <A href=href>"Older events"</A> })}
                                </nav>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

/// One line per event; its fields' before → after opens under it.
#[component]
fn Event(r: AuditRow) -> impl IntoView {
    let who = r
        .actor
        .strip_prefix("admin:")
        .unwrap_or(&r.actor)
        .to_owned();
    let target = match r.link.clone() {
        Some(href) => view! { <A href=href>{r.target.clone()}</A> }.into_any(),
        None => view! { <span>{r.target.clone()}</span> }.into_any(),
    };
    let summary = if r.summary.is_empty() {
        "—".to_owned()
    } else {
        r.summary.clone()
    };
    let expandable = !r.diff.is_empty();
    view! {
        <tr id=format!("event-{}", r.id)>
            <td class="nowrap">{r.at}</td>
            <td>{who}</td>
            <td><code>{r.action}</code></td>
            <td>{target}</td>
            <td class="change">
                {if expandable {
                    view! {
                        <details>
                            <summary title=summary.clone()>{summary.clone()}</summary>
                            <pre class="diff">
                                {r.diff.into_iter().map(|(mark, line)| {
                                    let class = match mark { '+' => "add", '-' => "remove", _ => "same" };
                                    view! { <span class=class>{format!("{mark} {line}")}</span> "\n" }
                                }).collect_view()}
                            </pre>
                        </details>
                    }.into_any()
                } else {
                    view! { <span class="meta">{summary}</span> }.into_any()
                }}
            </td>
            <td class="meta nowrap" title=r.request_id.unwrap_or_default()>{r.source.unwrap_or_default()}</td>
        </tr>
    }
}

/// Whether the audit trail is intact: verified up to its last signed checkpoint and since.
#[component]
fn ChainState(text: String, ok: bool) -> impl IntoView {
    view! {
        <p id="audit-chain" class=if ok { "chain-state ok" } else { "chain-state error" } role="status">{text}</p>
    }
}
