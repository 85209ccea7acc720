//! The portal's requests page: ask for scopes on an audience, and follow every request filed
//! from the portal (production, scopes, production clients) to its decision.

use leptos::prelude::*;

use super::PortalLayout;
use super::requests_api::{
    AudienceChoice, PortalRequest, PortalRequestScopes, PortalWithdraw, portal_requests,
};
use crate::components::{ActionDone, ActionError, ConfirmSubmit, ErrorBox, Field, Submit};

#[component]
pub fn PortalRequests() -> impl IntoView {
    let ask = ServerAction::<PortalRequestScopes>::new();
    let withdraw = ServerAction::<PortalWithdraw>::new();
    let data = Resource::new(
        move || (ask.version().get(), withdraw.version().get()),
        |_| portal_requests(),
    );
    view! {
        <PortalLayout title="Requests">
            <p class="subtitle">"What you ask of our administrators, and their decisions."</p>
            <ActionError value=Signal::derive(move || withdraw.value().get())/>
            <ActionDone value=Signal::derive(move || withdraw.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your requests…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! {
                            {page.can_manage.then(|| view! { <ScopeRequest audiences=page.audiences.clone() ask=ask/> })}
                            <section aria-label="Your requests">
                                <h2>"Your requests"</h2>
                                <RequestTable requests=page.requests manage=page.can_manage withdraw=withdraw/>
                            </section>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

#[component]
fn RequestTable(
    requests: Vec<PortalRequest>,
    manage: bool,
    withdraw: ServerAction<PortalWithdraw>,
) -> impl IntoView {
    if requests.is_empty() {
        return view! { <p class="empty">"Nothing requested yet."</p> }.into_any();
    }
    view! {
        <table>
            <thead><tr><th>"#"</th><th>"Request"</th><th>"Filed"</th><th>"Status"</th><th>"Decision"</th>{manage.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
            <tbody>
                {requests.into_iter().map(|r| {
                    let id = r.id.to_string();
                    view! {
                        <tr id=format!("request-{}", r.id)>
                            <td>{r.id}</td>
                            <td>{r.summary}{(!r.reason.is_empty()).then(|| view! { <p class="meta">"Why: " {r.reason.clone()}</p> })}</td>
                            <td>{r.requested} <span class="meta">" by " {r.requested_by}</span></td>
                            <td><span class=format!("state state-{}", r.status)>{r.status.clone()}</span></td>
                            <td>{r.decision.unwrap_or_else(|| "—".into())}</td>
                            {manage.then(|| view! {
                                <td>{r.withdrawable.then(|| view! {
                                    <ActionForm action=withdraw>
                                        <input type="hidden" name="id" value=id.clone()/>
                                        <ConfirmSubmit label="Withdraw" class="secondary" question="Withdraw this request?"/>
                                    </ActionForm>
                                })}</td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Pick an audience, then scopes it defines that the partner does not hold yet.
#[component]
fn ScopeRequest(
    audiences: Vec<AudienceChoice>,
    ask: ServerAction<PortalRequestScopes>,
) -> impl IntoView {
    if audiences.is_empty() {
        return view! { <p class="empty">"There are no APIs to ask for yet."</p> }.into_any();
    }
    let audiences = StoredValue::new(audiences);
    let chosen = RwSignal::new(audiences.with_value(|a| a[0].identifier.clone()));
    let typed = RwSignal::new(String::new());
    let current = move || {
        audiences.with_value(|all| all.iter().find(|a| a.identifier == chosen.get()).cloned())
    };
    let problem = Signal::derive(move || {
        let a = current()?;
        typed
            .read()
            .split_whitespace()
            .find(|s| !a.scopes.iter().any(|d| d == s))
            .map(|s| format!("{} has no scope {s}", a.identifier))
    });
    view! {
        <section aria-label="Ask for scopes">
            <h2>"Ask for scopes"</h2>
            <ActionForm action=ask attr:class="card" attr:id="scope-request">
                <Field label="API">
                    <select name="audience" on:change=move |ev| chosen.set(event_target_value(&ev))>
                        {audiences.with_value(|all| all.iter().map(|a| view! {
                            <option value=a.identifier.clone()>{format!("{} ({}, {})", a.name, a.identifier, a.environment)}</option>
                        }).collect_view())}
                    </select>
                </Field>
                <p class="help">{move || current().map(|a| {
                    let open: Vec<String> = a.scopes.iter().filter(|s| !a.held.contains(s)).cloned().collect();
                    format!(
                        "You hold: {}. You may ask for: {}.",
                        if a.held.is_empty() { "nothing".to_owned() } else { a.held.join(" ") },
                        if open.is_empty() { "nothing more".to_owned() } else { open.join(" ") },
                    )
                })}</p>
                <Field label="Scopes (space-separated)" error=problem>
                    <input name="scopes" required placeholder="orders:read"
                        aria-invalid=move || problem.get().is_some().to_string()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </Field>
                <Field label="Why you need them (shown to the approver)">
                    <input name="reason" required maxlength="1000" placeholder="our shipping integration reads orders"/>
                </Field>
                <Submit label="Send request" busy="Sending…" pending=ask.pending()
                    blocked=Signal::derive(move || problem.get().is_some())/>
                <ActionError value=Signal::derive(move || ask.value().get())/>
                <ActionDone value=Signal::derive(move || ask.value().get())/>
            </ActionForm>
        </section>
    }
    .into_any()
}
