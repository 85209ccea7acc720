//! A partner's clients: list and create (the secret is shown once).

pub mod api;
pub mod detail;
pub mod detail_api;
mod team;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{
    ActionError, Check, ErrorBox, Field, Layout, SecretDialog, SecretShown, Submit,
};
use crate::pages::grants::{Grants, GrantsData};
use crate::pages::partners::lifecycle::{Lifecycle, LifecycleActions};
use crate::pages::usage::{UsagePanel, UsageState};
use api::{CreateClient, list_clients};

#[component]
pub fn PartnerClients() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let create = ServerAction::<CreateClient>::new();
    let lifecycle = LifecycleActions::new();
    crate::components::refresh_nav_on(move || {
        let (a, b, c) = lifecycle.version();
        a + b + c
    });
    let grants = GrantsData::new(Signal::derive(slug));
    let usage = UsageState::new(Signal::derive(slug), Signal::stored(String::new()));
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
    view! {
        <Layout title="Partner">
            <SecretDialog shown=secret/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading clients…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((partner, _)) => view! {
                            <p class="subtitle">{partner.name.clone()} " (" <code>{partner.slug.clone()}</code> ", " {partner.stage.clone()} ") · "
                                <A href=format!("/partners/{}/onboarding", partner.slug)>"Onboarding"</A> " · "
                                <A href=format!("/partners/{}/trust", partner.slug)>"Trust rules"</A> " · "
                                <A href=format!("/usage?partner={}", partner.slug)>"Usage"</A> " · "
                                <A href=format!("/rate-limits?partner={}", partner.slug)>"Rate limits"</A> " · "
                                <A href=format!("/changes?partner={}", partner.slug)>"Change requests"</A> " · "
                                <A href=format!("/audit?partner={}", partner.slug)>"Audit"</A>
                            </p>
                            <Lifecycle partner=partner.clone() actions=lifecycle/>
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <Grants partner=Signal::derive(slug) grants=grants/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading clients…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((_, rows)) => view! {
                            <h2>"Clients"</h2>
                            {if rows.is_empty() {
                                view! { <p class="empty">"This partner has no clients yet. Create one below; its secret is shown once."</p> }.into_any()
                            } else {
                                view! {
                                    <table>
                                        <thead><tr><th>"Client ID"</th><th>"Name"</th><th>"Environment"</th><th>"Authentication"</th><th>"Scopes"</th><th>"Created"</th><th>"Usage"</th></tr></thead>
                                        <tbody>
                                            {rows.into_iter().map(|c| {
                                                let usage = format!("/usage?partner={}&client={}", slug(), c.client_id);
                                                let page = format!("/partners/{}/clients/{}", slug(), c.client_id);
                                                let shown_id = c.client_id.clone();
                                                view! {
                                                    <tr>
                                                        <td><A href=page><code>{shown_id}</code></A></td>
                                                        <td>{c.name}</td>
                                                        <td><span class=format!("env env-{}", c.environment)>{c.environment.clone()}</span></td>
                                                        <td>{c.auth_method}</td>
                                                        <td>{c.scopes}</td>
                                                        <td>{c.created}</td>
                                                        <td><A href=usage attr:title=format!("Usage of {}", c.client_id)>"usage"</A></td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                }.into_any()
                            }}
                        }
                        .into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <team::PartnerTeam state=team slug=Signal::derive(slug)/>
            <section aria-label="Usage of this partner">
                <h2>"Usage"</h2>
                <UsagePanel state=usage/>
            </section>
            {crate::components::may_change().then(|| view! {
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
                            help="Needs a trust rule under Trust rules naming this partner's identity provider."/>
                        <Check name="jwt_bearer" label="JWT bearer (RFC 7523): the partner IdP's assertions"/>
                        <Submit label="Create client" busy="Creating…" pending=create.pending()
                            blocked=Signal::derive(move || scopes_problem.get().is_some())/>
                        <ActionError value=Signal::derive(move || create.value().get())/>
                    </ActionForm>
                </section>
            })}
        </Layout>
    }
}
