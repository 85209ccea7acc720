//! The scope matrix: rows are partners (expandable to their clients), columns are scopes grouped
//! by audience; a cell is granted, requested or not granted, and marked when a trust rule covers
//! it. Clicking cells collects a change set; its diff is reviewed, then submitted as one change
//! per partner (a change request where production access widens). Filters and paging run on the
//! server.

pub mod api;

use std::collections::{BTreeMap, HashSet};

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActionDone, ActionError, ErrorBox, Layout};
use api::{ApplyMatrix, Edit, GRANTED, MatrixPage, PAGE, REQUESTED, RULE, scope_matrix};

/// (partner, audience, scope) → whether it should be granted.
type Edits = BTreeMap<(String, String, String), bool>;

#[component]
pub fn ScopeMatrix() -> impl IntoView {
    let audience = RwSignal::new(String::new());
    let sensitivity = RwSignal::new(String::new());
    let stage = RwSignal::new(String::new());
    let search = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let edits = RwSignal::new(Edits::new());
    let expanded = RwSignal::new(HashSet::<String>::new());
    let apply = ServerAction::<ApplyMatrix>::new();
    crate::components::refresh_nav_on(move || apply.version().get());
    // Bumped to draw the grid again from the server's data (cells are static markup).
    let redraw = RwSignal::new(0u32);
    let data = Resource::new(
        move || {
            (
                audience.get(),
                sensitivity.get(),
                stage.get(),
                search.get(),
                offset.get(),
                redraw.get(),
            )
        },
        |(a, s, st, q, o, _)| scope_matrix(a, s, st, q, o),
    );
    // The audiences to filter by, filled in once the matrix has loaded in the browser. Read
    // outside the <Transition>, the resource would render one way on the server (not loaded
    // yet) and another while hydrating (already loaded), and hydration would fail.
    let audiences = RwSignal::new(Vec::<String>::new());
    Effect::new(move |_| {
        if let Some(Ok(p)) = data.get()
            && audiences.with_untracked(|a| *a != p.audiences)
        {
            audiences.set(p.audiences);
        }
    });
    // A submitted change set is done with.
    Effect::new(move |_| {
        if let Some(Ok(_)) = apply.value().get() {
            edits.set(Edits::new());
            redraw.update(|n| *n += 1);
        }
    });
    let filter = move |sig: RwSignal<String>| {
        move |ev: leptos::ev::Event| {
            sig.set(event_target_value(&ev));
            offset.set(0);
        }
    };
    view! {
        <Layout title="Scope matrix">
            <div class="card filters matrix-filters">
                <label>"Audience"
                    <select on:change=filter(audience) prop:value=move || audience.get()>
                        <option value="">"All audiences"</option>
                        {move || audiences.get().into_iter().map(|a| {
                            let selected = a == audience.get_untracked();
                            view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Sensitivity"
                    <select on:change=filter(sensitivity) prop:value=move || sensitivity.get()>
                        <option value="">"Any"</option>
                        <option value="low">"low"</option>
                        <option value="medium">"medium"</option>
                        <option value="high">"high"</option>
                    </select>
                </label>
                <label>"Partner stage"
                    <select on:change=filter(stage) prop:value=move || stage.get()>
                        <option value="">"Any"</option>
                        {entente_types::stage::Stage::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Partner"
                    <input type="search" placeholder="slug or name" on:change=filter(search) prop:value=move || search.get()/>
                </label>
            </div>
            <p class="meta legend">"● granted · ◐ requested (waiting for approval) · ○ not granted · "
                <span class="rule-mark">"R"</span> " a trust rule covers it · click cells to change them"</p>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the matrix…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) if page.rows.is_empty() => view! { <p class="empty">"No partner matches these filters."</p> }.into_any(),
                        Ok(page) if page.columns.is_empty() => view! { <p class="empty">"No scope matches these filters."</p> }.into_any(),
                        Ok(page) => view! { <Grid page=page edits=edits expanded=expanded offset=offset/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <ChangeSet edits=edits apply=apply redraw=redraw/>
        </Layout>
    }
}

#[component]
fn Grid(
    page: MatrixPage,
    edits: RwSignal<Edits>,
    expanded: RwSignal<HashSet<String>>,
    offset: RwSignal<u64>,
) -> impl IntoView {
    let cols = StoredValue::new(page.columns.clone());
    // Audience groups for the first header row: (audience, span).
    let mut groups: Vec<(String, usize)> = vec![];
    for c in &page.columns {
        match groups.last_mut() {
            Some((a, n)) if *a == c.audience => *n += 1,
            _ => groups.push((c.audience.clone(), 1)),
        }
    }
    let can_edit = page.can_edit;
    let (from, total) = (page.offset, page.total);
    view! {
        <div class="matrix-wrap">
            <table class="matrix" id="matrix">
                <thead>
                    <tr>
                        <th rowspan="2" class="corner">"Partner"</th>
                        {groups.into_iter().map(|(a, n)| view! { <th colspan=n.to_string() class="aud">{a}</th> }).collect_view()}
                    </tr>
                    <tr>
                        {page.columns.iter().map(|c| view! {
                            <th class=format!("scope sens-{}", c.sensitivity) title=format!("{} — {} ({} sensitivity)", c.scope, if c.description.is_empty() { "no description" } else { &c.description }, c.sensitivity)>
                                <span>{c.scope.clone()}</span>
                            </th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody on:click=move |ev| if can_edit { toggle_cell(&ev, edits, cols) }>
                    {page.rows.into_iter().map(|r| view! { <PartnerLine r=r cols=cols edits=edits expanded=expanded can_edit=can_edit/> }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
        <crate::components::Pager total=total offset=from page=PAGE noun="partners" set_offset=offset label="Partner pages"/>
    }
}

/// One partner's row of cells, and its clients' rows (shown when expanded).
#[component]
fn PartnerLine(
    r: api::MatrixPartnerRow,
    cols: StoredValue<Vec<api::MatrixColumn>>,
    edits: RwSignal<Edits>,
    expanded: RwSignal<HashSet<String>>,
    can_edit: bool,
) -> impl IntoView {
    let slug = r.slug.clone();
    let open = {
        let slug = slug.clone();
        Signal::derive(move || expanded.read().contains(&slug))
    };
    let toggle = {
        let slug = slug.clone();
        move |_| {
            expanded.update(|e| {
                if !e.remove(&slug) {
                    e.insert(slug.clone());
                }
            })
        }
    };
    let n_clients = r.clients.len();
    let clients = StoredValue::new(r.clients.clone());
    view! {
        <tr class="partner-row" data-p=slug.clone()>
            <th scope="row" class="who">
                <button type="button" class="link expand" aria-expanded=move || open.get().to_string()
                    disabled=n_clients == 0 on:click=toggle
                    title="Show the partner's clients" aria-label=format!("Show {}'s clients", r.name)>{move || if open.get() { "▾" } else { "▸" }}</button>
                <A href=format!("/partners/{}", r.slug)>{r.name.clone()}</A>
                <crate::components::StageBadge stage=r.stage.clone()/>
            </th>
            // Cells are static markup: one delegated handler on the table edits them (see
            // `toggle_cell`), so thousands of cells hydrate without thousands of closures.
            {r.cells.iter().enumerate().map(|(i, bits)| {
                let bits = *bits;
                let (aud, scope) = cols.with_value(|c| (c[i].audience.clone(), c[i].scope.clone()));
                let base = bits & GRANTED != 0;
                let edited = edits
                    .with_untracked(|e| e.get(&(slug.clone(), aud.clone(), scope.clone())).copied())
                    .filter(|v| *v != base);
                let shown = edited.unwrap_or(base);
                let mut class = String::from("cell");
                if edited.is_some() { class.push_str(" edited"); }
                if shown { class.push_str(" on"); }
                if bits & REQUESTED != 0 { class.push_str(" requested"); }
                view! {
                    <td class=class data-i=i.to_string() data-b=if base { "1" } else { "0" }>
                        <button type="button" disabled=!can_edit aria-pressed=shown.to_string()
                            aria-label=format!("{scope} on {aud} for {slug}")>
                            <span class="sym"></span>
                            {(bits & RULE != 0).then(|| view! { <span class="rule-mark" title="a trust rule covers it">"R"</span> })}
                        </button>
                    </td>
                }.into_any()
            }).collect_view()}
        </tr>
        // Client rows exist only while expanded: a page of partners stays a page of cells.
        {move || open.get().then(|| clients.with_value(|cs| cs.iter().map(|c| view! {
            <tr class="client-row">
                <th scope="row" class="who client">{c.name.clone()} " " <code>{c.client_id.clone()}</code></th>
                {c.allowed.iter().map(|a| view! { <td class="cell client">{if *a { "·" } else { "" }}</td> }).collect_view()}
            </tr>
        }.into_any()).collect_view()))}
    }
}

/// A click anywhere in the grid: if it hit a cell, flip what the cell will be (the change set
/// keeps only cells that differ from what is stored) and show it on the cell.
fn toggle_cell(
    ev: &leptos::ev::MouseEvent,
    edits: RwSignal<Edits>,
    cols: StoredValue<Vec<api::MatrixColumn>>,
) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(td) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|e| e.closest("td.cell[data-i]").ok().flatten())
        else {
            return;
        };
        let Some(row) = td.closest("tr[data-p]").ok().flatten() else {
            return;
        };
        let attr = |e: &web_sys::Element, n: &str| e.get_attribute(n).unwrap_or_default();
        let Some((audience, scope)) = attr(&td, "data-i").parse::<usize>().ok().and_then(|i| {
            cols.with_value(|c| c.get(i).map(|c| (c.audience.clone(), c.scope.clone())))
        }) else {
            return;
        };
        let key = (attr(&row, "data-p"), audience, scope);
        let base = attr(&td, "data-b") == "1";
        let now = edits
            .with_untracked(|e| e.get(&key).copied())
            .unwrap_or(base);
        let next = !now;
        edits.update(|e| {
            if next == base {
                e.remove(&key);
            } else {
                e.insert(key, next);
            }
        });
        let classes = td.class_list();
        let _ = classes.toggle_with_force("on", next);
        let _ = classes.toggle_with_force("edited", next != base);
        if let Ok(Some(button)) = td.query_selector("button") {
            let _ = button.set_attribute("aria-pressed", if next { "true" } else { "false" });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, edits, cols);
}

#[component]
fn ChangeSet(
    edits: RwSignal<Edits>,
    apply: ServerAction<ApplyMatrix>,
    redraw: RwSignal<u32>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let submit = move |_| {
        let list: Vec<Edit> = edits
            .read()
            .iter()
            .map(|((partner, audience, scope), grant)| Edit {
                partner: partner.clone(),
                audience: audience.clone(),
                scope: scope.clone(),
                grant: *grant,
            })
            .collect();
        apply.dispatch(ApplyMatrix {
            edits: serde_json::to_string(&list).unwrap_or_default(),
            reason: reason.get_untracked(),
        });
    };
    view! {
        <ActionError value=Signal::derive(move || apply.value().get())/>
        <ActionDone value=Signal::derive(move || apply.value().get())/>
        {move || (!edits.read().is_empty()).then(|| view! {
            <section class="card changeset" aria-label="Change set">
                <h2>{format!("{} to review", entente_types::words::counted(edits.read().len() as u64, "change", "changes"))}</h2>
                <ul class="diff">
                    {edits.read().iter().map(|((p, a, s), grant)| view! {
                        <li class=if *grant { "add" } else { "remove" }>
                            {if *grant { "+ " } else { "− " }} <strong>{p.clone()}</strong> " · " <code>{s.clone()}</code> " on " {a.clone()}
                        </li>
                    }).collect_view()}
                </ul>
                <label>"Reason (shown to the approver where approval is needed)"
                    <input on:input=move |ev| reason.set(event_target_value(&ev)) maxlength="1000"/>
                </label>
                <div class="actions">
                    <button type="button" on:click=submit disabled=move || apply.pending().get()>"Submit changes"</button>
                    <button type="button" class="secondary" on:click=move |_| { edits.set(Edits::new()); redraw.update(|n| *n += 1); }>"Discard"</button>
                </div>
            </section>
        })}
    }
}
