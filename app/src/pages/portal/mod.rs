//! The partner portal (`/portal`): a partner's own people see their organisation only — its
//! overview and onboarding progress, its clients (sandbox clients made at once, secrets rotated
//! with an overlap) and its team. Console users are sent to the console, and partner users away
//! from it.

mod activity;
pub mod activity_api;
pub mod api;
mod clients;
mod docs;
pub mod docs_api;
mod issuers;
pub mod issuers_api;
pub mod keys_api;
mod requests;
pub mod requests_api;
mod sign_in;
pub mod sign_in_api;
mod team;
pub mod testers_api;

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::components::{ActionDone, ActionError, ErrorBox, Field, Submit};
use crate::pages::auth::api::{Logout, me};
use api::portal_overview;
use requests_api::PortalRequestProduction;

pub use clients::PortalClients;
pub use docs::PortalDocs;
pub use issuers::PortalIssuers;
pub use requests::PortalRequests;
pub use sign_in::PortalSignIn;
pub use team::PortalTeam;

pub use crate::account::is_partner_role;

/// The portal frame: its own navigation, the partner's name, sign-out; signed-out visitors go
/// to sign-in and console users to the console.
#[component]
pub fn PortalLayout(
    title: &'static str,
    /// The page is the playground, which sandbox testers may use (they reach nothing else).
    #[prop(optional)]
    playground: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let who = Resource::new(|| (), |_| me());
    let logout = ServerAction::<Logout>::new();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match who.await {
                    Ok(Some(me)) if me.role == "sandbox_tester" && !playground => {
                        view! { <Redirect path="/sandbox"/> }.into_any()
                    }
                    Ok(Some(me)) if is_partner_role(&me.role) => {
                        let tester = me.role == "sandbox_tester";
                        view! {
                        <header class="topbar portal">
                            <A href="/portal" attr:class="brand">"Entente"</A>
                            <span class="partner-name">{me.partner.clone().unwrap_or_default()}</span>
                            <nav aria-label="Portal">
                                {(!tester).then(|| view! {
                                    <A href="/portal" exact=true>"Overview"</A>
                                    <A href="/portal/clients">"Clients"</A>
                                    <A href="/portal/issuers">"Trusted issuers"</A>
                                    <A href="/portal/requests">"Requests"</A>
                                    <A href="/portal/team">"Team"</A>
                                    <A href="/portal/sign-in">"Single sign-on"</A>
                                })}
                                <A href="/sandbox">"Playground"</A>
                                {(!tester).then(|| view! { <A href="/portal/docs">"Docs"</A> })}
                            </nav>
                            <span class="who">{me.email} " · " {me.role}</span>
                            <ActionForm action=logout>
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </header>
                        <main>
                            <h1>{title}</h1>
                            {children.with_value(|c| c())}
                        </main>
                        }
                        .into_any()
                    }
                    Ok(Some(_)) => view! { <Redirect path="/"/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn PortalOverview() -> impl IntoView {
    let request = ServerAction::<PortalRequestProduction>::new();
    let overview = Resource::new(move || request.version().get(), |_| portal_overview());
    let activity = Resource::new(|| (), |_| activity_api::portal_activity());
    view! {
        <PortalLayout title="Overview">
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your organisation…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(o) => {
                            let done = o.checklist.iter().filter(|i| i.done).count();
                            let total = o.checklist.len();
                            view! {
                                <p class="subtitle">{o.partner.clone()} " (" <code>{o.slug.clone()}</code> ") · stage "
                                    <crate::components::StageBadge stage=o.stage.clone()/></p>
                                <div class="figures">
                                    <div class="figure card"><span class="label">"Sandbox clients"</span><strong>{o.sandbox_clients}</strong></div>
                                    <div class="figure card"><span class="label">"Production clients"</span><strong>{o.production_clients}</strong></div>
                                    <div class="figure card"><span class="label">"Onboarding"</span><strong>{format!("{done} of {total}")}</strong></div>
                                </div>
                                <section aria-label="Endpoints">
                                    <h2>"Your endpoints"</h2>
                                    <dl class="endpoints">
                                        <dt>"Sandbox token endpoint"</dt><dd><code>{o.sandbox_token_endpoint.clone()}</code></dd>
                                        <dt>"Production token endpoint"</dt><dd><code>{o.production_token_endpoint.clone()}</code></dd>
                                    </dl>
                                    {(o.stage != "production").then(|| view! {
                                        <p class="meta">"Until your organisation is in production you have sandbox clients only. "
                                            <A href="/portal/clients">"Create one"</A> " and try a token."</p>
                                    })}
                                </section>
                                {(o.stage == "sandbox").then(|| view! {
                                    <ProductionRequest ready=done == total can_manage=o.can_manage
                                        pending=o.promotion.clone() request=request/>
                                })}
                                <section aria-label="Onboarding checklist">
                                    <h2>{format!("Onboarding checklist: {done} of {total} done")}</h2>
                                    <ul class="checklist">
                                        {o.checklist.into_iter().map(|i| view! {
                                            <li class=if i.done { "done" } else { "open" }>
                                                <span class="mark" aria-hidden="true">{if i.done { "✓" } else { "○" }}</span>
                                                " " {i.label} <span class="meta">" " {i.detail}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                </section>
                                <activity::ActivitySection activity=activity/>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

/// The way from the sandbox to production: a change request an administrator approves once the
/// onboarding checklist is complete.
#[component]
fn ProductionRequest(
    ready: bool,
    can_manage: bool,
    pending: Option<String>,
    request: ServerAction<PortalRequestProduction>,
) -> impl IntoView {
    let body = match pending {
        Some(p) => view! {
            <p class="state state-pending" role="status">"Production requested (" {p} "): an administrator will decide it. "
                <A href="/portal/requests">"See your requests"</A></p>
        }
        .into_any(),
        None if !can_manage => view! {
            <p class="meta">"Your partner administrators can request production once the checklist is complete."</p>
        }
        .into_any(),
        None => view! {
            <ActionForm action=request attr:class="card" attr:id="request-production">
                <Field label="Why now (shown to the approver)">
                    <input name="reason" required maxlength="1000" placeholder="our integration passed its tests in the sandbox"/>
                </Field>
                <Submit label="Request production" busy="Requesting…" pending=request.pending()
                    blocked=Signal::derive(move || !ready)/>
                {(!ready).then(|| view! {
                    <p class="meta">"Production can be requested once every item of the checklist below is done."</p>
                })}
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section aria-label="Production">
            <h2>"Production"</h2>
            {body}
            <ActionError value=Signal::derive(move || request.value().get())/>
            <ActionDone value=Signal::derive(move || request.value().get())/>
        </section>
    }
}
