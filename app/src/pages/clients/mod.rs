//! The partner page: its name as the title and tabs — Overview (stage, forward moves), Clients
//! (list and create; the secret is shown once), Grants, Users, Usage and the Danger zone.

pub mod api;
pub mod detail;
pub mod detail_api;
mod team;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::{
    ActionError, Check, ErrorBox, Field, Layout, SecretDialog, SecretShown, StageBadge, Submit,
};
use crate::pages::grants::{Grants, GrantsData};
use crate::pages::partners::api::PartnerRow;
use crate::pages::partners::lifecycle::{DangerZone, Lifecycle, LifecycleActions};
use crate::pages::partners::tabs::{PartnerTabs, tab_named};
use crate::pages::usage::{UsagePanel, UsageState};
use api::{ClientRow, CreateClient, list_clients};

/// Where else the partner appears, from its Overview.
#[component]
fn Elsewhere(partner: PartnerRow, clients: Vec<ClientRow>) -> impl IntoView {
    let slug = partner.slug.clone();
    let production = clients
        .iter()
        .filter(|c| c.environment == "production")
        .count();
    let count = match clients.len() {
        0 => "No clients yet".to_owned(),
        1 => "1 client".to_owned(),
        n => format!("{n} clients"),
    };
    view! {
        <section aria-label="At a glance">
            <p>
                <a href=format!("/partners/{slug}?tab=clients")>{count}</a>
                {(production > 0).then(|| format!(" ({production} in production)"))}
                " · " <A href=format!("/partners/{slug}/onboarding")>"Onboarding"</A>
                " · " <A href=format!("/usage?partner={slug}")>"Usage"</A>
                " · " <A href=format!("/rate-limits?partner={slug}")>"Rate limits"</A>
                " · " <A href=format!("/changes?partner={slug}")>"Change requests"</A>
                " · " <A href=format!("/audit?partner={slug}")>"Audit"</A>
            </p>
        </section>
    }
}

#[component]
fn ClientTable(slug: String, rows: Vec<ClientRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"This partner has no clients yet. Create one below; its secret is shown once."</p> }.into_any();
    }
    view! {
        <table>
            <thead><tr><th>"Client ID"</th><th>"Name"</th><th>"Environment"</th><th>"Authentication"</th><th>"Scopes"</th><th>"State"</th><th>"Created"</th><th>"Usage"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|c| {
                    let usage = format!("/usage?partner={slug}&client={}", c.client_id);
                    let page = format!("/partners/{slug}/clients/{}", c.client_id);
                    let shown_id = c.client_id.clone();
                    view! {
                        <tr>
                            <td><A href=page><code>{shown_id}</code></A></td>
                            <td>{c.name}</td>
                            <td><span class=format!("env env-{}", c.environment)>{c.environment.clone()}</span></td>
                            <td>{c.auth_method}</td>
                            <td>{c.scopes}</td>
                            <td>{if c.enabled { "enabled" } else { "disabled" }}</td>
                            <td>{c.created}</td>
                            <td><A href=usage attr:title=format!("Usage of {}", c.client_id)>"usage"</A></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn PartnerClients() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let tab = Signal::derive(move || tab_named(query.read().get("tab")));
    let create = ServerAction::<CreateClient>::new();
    let lifecycle = LifecycleActions::new();
    crate::components::refresh_nav_on(move || {
        let (a, b, c) = lifecycle.version();
        a + b + c
    });
    let grants = GrantsData::new(Signal::derive(slug));
    let usage = UsageState::new_when(
        Signal::derive(slug),
        Signal::stored(String::new()),
        Signal::derive(move || tab.get() == "usage"),
    );
    let team = team::TeamState::new(Signal::derive(slug));
    let data = Resource::new(
        move || (slug(), create.version().get(), lifecycle.version()),
        |(s, ..)| list_clients(s),
    );
    let typed = RwSignal::new(String::new());
    // Nothing while empty: the browser's `required` says that on submit.
    let scopes_problem = Signal::derive(move || {
        let t = typed.read();
        (!t.trim().is_empty())
            .then(|| entente_types::names::check_scope_list(&t).err())
            .flatten()
    });
    let secret: RwSignal<Option<SecretShown>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            secret.set(Some(s));
        }
    });
    // A successful create starts the form afresh.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (create.value().get(), form.get()) {
            f.reset();
            typed.set(String::new());
        }
    });
    let heading = move || {
        view! {
            <Transition fallback=|| "Partner">
                {move || Suspend::new(async move {
                    data.await.map(|(p, _)| p.name).unwrap_or_else(|_| "Partner".to_owned())
                })}
            </Transition>
        }
    };
    // The partner and its clients, for the tabs that show them.
    let with_data = move |show: fn(PartnerRow, Vec<ClientRow>, LifecycleActions) -> AnyView| {
        view! {
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the partner…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((partner, rows)) => show(partner, rows, lifecycle),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        }
    };
    let new_client = move || {
        crate::components::may_change().then(|| view! {
        <section>
            <h2>"New client"</h2>
            <ActionForm action=create attr:class="card" attr:id="new-client" node_ref=form>
                <input type="hidden" name="partner" value=slug/>
                <Field label="Name" help="What the client is, for people: backend, nightly-export."><input name="name" required placeholder="backend"/></Field>
                <Field label="Scopes (space-separated)" help="The most this client may request; tokens also stay within the partner's grants."
                    error=scopes_problem>
                    <input name="scopes" required placeholder="orders:read" spellcheck="false"
                        aria-invalid=move || scopes_problem.get().is_some().to_string()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </Field>
                <Field label="Environment" help="Sandbox clients get sandbox tokens for sandbox audiences. A partner gets production clients once it is in production.">
                    <select name="environment">
                        <option value="" selected>"As the partner's stage allows"</option>
                        <option value="sandbox">"Sandbox"</option>
                        <option value="production">"Production"</option>
                    </select>
                </Field>
                <Check name="token_exchange" label="Token exchange (RFC 8693): the partner's users' tokens for ours"
                    help="Needs a trust rule under Trust naming this partner's identity provider."/>
                <Check name="jwt_bearer" label="JWT bearer (RFC 7523): the partner IdP's assertions"/>
                <Submit label="Create client" busy="Creating…" pending=create.pending()
                    blocked=Signal::derive(move || scopes_problem.get().is_some())/>
                <ActionError value=Signal::derive(move || create.value().get())/>
            </ActionForm>
        </section>
    })
    };
    view! {
        <Layout title="Partner" heading=heading>
            <SecretDialog shown=secret/>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    data.await.ok().map(|(p, _)| view! {
                        <p class="subtitle" id="partner-state">
                            <code>{p.slug.clone()}</code> " · " <StageBadge stage=p.stage.clone()/>
                            {p.suspended_reason.clone().map(|r| view! { " — suspended: " {r} })}
                        </p>
                    })
                })}
            </Transition>
            <PartnerTabs slug=Signal::derive(slug) current=tab/>
            {move || match tab.get() {
                "clients" => view! {
                    <section id="clients">
                        <h2>"Clients"</h2>
                        {with_data(|p, rows, _| view! { <ClientTable slug=p.slug rows=rows/> }.into_any())}
                    </section>
                    {new_client()}
                }.into_any(),
                "grants" => view! { <Grants partner=Signal::derive(slug) grants=grants/> }.into_any(),
                "users" => view! { <team::PartnerTeam state=team slug=Signal::derive(slug)/> }.into_any(),
                "usage" => view! {
                    <section aria-label="Usage of this partner">
                        <h2>"Usage"</h2>
                        <UsagePanel state=usage/>
                    </section>
                }.into_any(),
                "danger" => with_data(|p, rows, actions| view! { <DangerZone partner=p clients=rows actions=actions/> }.into_any()).into_any(),
                _ => with_data(|p, rows, actions| view! {
                    <Elsewhere partner=p.clone() clients=rows/>
                    <Lifecycle partner=p actions=actions/>
                }.into_any()).into_any(),
            }}
        </Layout>
    }
}
