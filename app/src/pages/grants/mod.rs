//! A partner's grants, one form per audience: the scopes it may be given there. Unknown scopes
//! are flagged while typing; widening a production partner's grant becomes a change request.

pub mod api;

use leptos::prelude::*;

use crate::components::{ActionDone, ActionError};
use api::{GrantRow, SetPartnerGrant, partner_grants};

/// The scopes typed that the audience does not define.
fn unknown(typed: &str, available: &[String]) -> Vec<String> {
    typed
        .split_whitespace()
        .filter(|s| !available.iter().any(|a| a == s))
        .map(str::to_owned)
        .collect()
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
    let typed = RwSignal::new(r.granted.clone());
    let available = StoredValue::new(r.available.clone());
    let problem = move || {
        let bad = available.with_value(|a| unknown(&typed.read(), a));
        (!bad.is_empty()).then(|| format!("not a scope of this audience: {}", bad.join(" ")))
    };
    let field = format!("grant-{}", r.audience);
    view! {
        <ActionForm action=set attr:class="card grant">
            <input type="hidden" name="partner" value=partner/>
            <input type="hidden" name="audience" value=r.audience.clone()/>
            <input type="hidden" name="reason" value=""/>
            <label for=field.clone()>
                <strong>{r.audience_name.clone()}</strong> " " <code>{r.audience.clone()}</code>
            </label>
            <input id=field name="scopes" prop:value=move || typed.get() readonly=!crate::components::may_change()
                aria-invalid=move || problem().is_some().to_string()
                on:input=move |ev| typed.set(event_target_value(&ev))
                placeholder="nothing granted"/>
            <p class="meta">"Scopes: " {r.available.join(" ")}</p>
            {move || problem().map(|p| view! { <p class="field-error">{p}</p> })}
            {crate::components::may_change().then(|| view! {
                <button type="submit" class="secondary" disabled=move || set.pending().get() || problem().is_some()>"Save grant"</button>
            })}
        </ActionForm>
    }
}
