//! A partner's grants, one form per audience: its scopes as chips to tick. Widening a
//! production partner's grant becomes a change request, which needs a reason.

pub mod api;

use leptos::prelude::*;

use crate::components::{ActionDone, ActionError};
use api::{GrantRow, SetPartnerGrant, partner_grants};

/// The chips a grant form offers: the audience's scopes, then any granted scope it no longer
/// defines (so it can be taken away).
fn offered(granted: &[String], available: &[String]) -> Vec<String> {
    let mut all = available.to_vec();
    all.extend(granted.iter().filter(|g| !available.contains(g)).cloned());
    all
}

/// The grants' data and their form's action. Created by the page itself: a resource made inside
/// the console frame's Suspend would hydrate out of order.
#[derive(Clone, Copy)]
pub struct GrantsData {
    pub set: ServerAction<SetPartnerGrant>,
    pub data: Resource<Result<Vec<GrantRow>, crate::error::ConsoleError>>,
}

impl GrantsData {
    pub fn new(partner: Signal<String>) -> Self {
        let set = ServerAction::<SetPartnerGrant>::new();
        crate::components::refresh_nav_on(move || set.version().get());
        let data = Resource::new(
            move || (partner.get(), set.version().get()),
            |(p, _)| partner_grants(p),
        );
        Self { set, data }
    }
}

#[component]
pub fn Grants(partner: Signal<String>, grants: GrantsData) -> impl IntoView {
    let GrantsData { set, data } = grants;
    view! {
        <section id="grants">
            <h2>"Grants"</h2>
            <ActionError value=Signal::derive(move || set.value().get())/>
            <ActionDone value=Signal::derive(move || set.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading grants…"</p> }>
                {move || {
                    let slug = partner.get();
                    Suspend::new(async move {
                        match data.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <p class="empty">"No audience exists yet: create one on the Audiences page, then grant its scopes here."</p>
                            }.into_any(),
                            Ok(rows) => view! {
                                <div class="grants">
                                    {rows.into_iter().map(|r| view! { <GrantForm partner=slug.clone() r=r set=set/> }).collect_view()}
                                </div>
                            }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn GrantForm(partner: String, r: GrantRow, set: ServerAction<SetPartnerGrant>) -> impl IntoView {
    let held: Vec<String> = r.granted.split_whitespace().map(str::to_owned).collect();
    let chosen = RwSignal::new(held.clone());
    let may_change = crate::components::may_change();
    let unchanged =
        move || chosen.with(|c| c.len() == held.len() && c.iter().all(|s| held.contains(s)));
    let legend_id = format!("grant-{}", r.audience);
    let labelled_by = legend_id.clone();
    view! {
        <ActionForm action=set attr:class="card grant">
            <input type="hidden" name="partner" value=partner/>
            <input type="hidden" name="audience" value=r.audience.clone()/>
            <input type="hidden" name="scopes" prop:value=move || chosen.with(|c| c.join(" "))/>
            <fieldset aria-labelledby=labelled_by>
                <p id=legend_id class="grant-title">
                    <strong>{r.audience_name.clone()}</strong> " " <code>{r.audience.clone()}</code>
                </p>
                {r.available.is_empty().then(|| view! { <p class="meta">"This API defines no scopes yet."</p> })}
                <ul class="scope-chips choose">
                    {offered(&r.granted.split_whitespace().map(str::to_owned).collect::<Vec<_>>(), &r.available)
                        .into_iter()
                        .map(|scope| {
                            let name = scope.clone();
                            let stale = !r.available.contains(&scope);
                            let toggle = move |on: bool| chosen.update(|c| {
                                c.retain(|s| *s != name);
                                if on { c.push(name.clone()); }
                            });
                            let checked = { let s = scope.clone(); move || chosen.with(|c| c.contains(&s)) };
                            view! {
                                <li>
                                    <label class="chip" class:stale=stale>
                                        <input type="checkbox" prop:checked=checked disabled=!may_change
                                            on:change=move |ev| toggle(event_target_checked(&ev))/>
                                        <code>{scope.clone()}</code>
                                        {stale.then(|| view! { <span class="meta">" (no longer defined)"</span> })}
                                    </label>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </fieldset>
            {may_change.then(|| view! {
                <label>"Reason (needed when this waits for another administrator's approval)"
                    <input name="reason" maxlength="1000" placeholder="billing pilot, ticket 4711"/>
                </label>
                <button type="submit" class="secondary" disabled=move || set.pending().get() || unchanged()>"Save grant"</button>
            })}
        </ActionForm>
    }
}
