//! The portal's clients page: the partner's clients, a new sandbox client (secret shown once),
//! and a secret rotation with an overlap during which both secrets work.

use leptos::prelude::*;
use leptos_router::components::A;

use super::PortalLayout;
use super::api::{
    OVERLAPS, PortalCreateClient, PortalRotateSecret, PortalSetClientEnabled, portal_clients,
};
use super::keys_api::PortalSetClientKeys;
use super::requests_api::PortalRequestClient;
use crate::components::{
    ActionDone, ActionError, Check, ConfirmSubmit, ErrorBox, Field, KeyFields, ReplaceKeys,
    SecretDialog, SecretShown, Submit,
};

#[component]
pub fn PortalClients() -> impl IntoView {
    let create = ServerAction::<PortalCreateClient>::new();
    let rotate = ServerAction::<PortalRotateSecret>::new();
    let request = ServerAction::<PortalRequestClient>::new();
    let toggle = ServerAction::<PortalSetClientEnabled>::new();
    let set_keys = ServerAction::<PortalSetClientKeys>::new();
    let data = Resource::new(
        move || {
            (
                create.version().get(),
                rotate.version().get(),
                request.version().get(),
                toggle.version().get(),
                set_keys.version().get(),
            )
        },
        |_| portal_clients(),
    );
    let secret: RwSignal<Option<SecretShown>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(s)) = rotate.value().get() {
            secret.set(Some(s));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = create.value().get() {
            secret.set(Some(s));
        }
    });
    let typed = RwSignal::new(String::new());
    let key_auth = RwSignal::new(false);
    let keys_blocked = RwSignal::new(false);
    view! {
        <PortalLayout title="Clients">
            <ActionError value=Signal::derive(move || rotate.value().get())/>
            <ActionError value=Signal::derive(move || toggle.value().get())/>
            <ActionDone value=Signal::derive(move || toggle.value().get())/>
            <ActionError value=Signal::derive(move || set_keys.value().get())/>
            <ActionDone value=Signal::derive(move || set_keys.value().get())/>
            <SecretDialog shown=secret/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading clients…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => {
                            let manage = page.can_manage;
                            let production = (manage && page.in_production).then(|| page.production_scopes.clone());
                            let available = page.sandbox_scopes.clone();
                            let all = available.join(" ");
                            let all_shown = all.clone();
                            let unknown = {
                                let available = available.clone();
                                move || {
                                    typed.read().split_whitespace()
                                        .find(|s| !available.iter().any(|a| a == s))
                                        .map(|s| format!("{s} is not granted to you in the sandbox"))
                                }
                            };
                            let unknown = Signal::derive(unknown);
                            view! {
                                {if page.clients.is_empty() {
                                    view! { <p class="empty">"No clients yet. Create a sandbox client below and mint a trial token with it."</p> }.into_any()
                                } else {
                                    view! {
                                        <table>
                                            <thead><tr><th>"Client ID"</th><th>"Name"</th><th>"Environment"</th><th>"Grant types"</th><th>"Scopes"</th><th>"Created"</th>{manage.then(|| view! { <th>"Credentials"</th><th>"State"</th> })}</tr></thead>
                                            <tbody>
                                                {page.clients.into_iter().map(|c| {
                                                    let id = c.client_id.clone();
                                                    let field = format!("overlap-{}", c.client_id);
                                                    let secret_client = c.auth_method == "client_secret";
                                                    let toggle_id = c.client_id.clone();
                                                    let keys_id = c.client_id.clone();
                                                    let switch_id = c.client_id.clone();
                                                    let keys = c.keys.clone();
                                                    let on = c.enabled;
                                                    view! {
                                                        <tr id=format!("client-{}", c.client_id)>
                                                            <td><code>{c.client_id.clone()}</code></td>
                                                            <td>{c.name}</td>
                                                            <td><span class=format!("env env-{}", c.environment)>{c.environment.clone()}</span></td>
                                                            <td>{c.grant_types.iter().map(|g| g.rsplit(':').next().unwrap_or(g).to_owned()).collect::<Vec<_>>().join(", ")}</td>
                                                            <td>{c.scopes}</td>
                                                            <td>{c.created}</td>
                                                            {(manage && secret_client).then(move || view! {
                                                                <td>
                                                                    <ActionForm action=rotate attr:class="rotate">
                                                                        <input type="hidden" name="client_id" value=id/>
                                                                        <label for=field.clone()>"Old secret keeps working"</label>
                                                                        <select id=field name="overlap">
                                                                            {OVERLAPS.iter().map(|(s, label)| view! {
                                                                                <option value=s.to_string() selected=*s == 86_400>{*label}</option>
                                                                            }).collect_view()}
                                                                        </select>
                                                                        <ConfirmSubmit label="Rotate secret" class="secondary"
                                                                            question="Issue a new secret for this client? Copy it when it appears."/>
                                                                    </ActionForm>
                                                                    <ReplaceKeys client_id=switch_id switch=true action=set_keys/>
                                                                </td>
                                                            })}
                                                            {(manage && !secret_client).then(move || view! {
                                                                <td>
                                                                    <span class="meta keys-source">{format!("private_key_jwt · {}", keys.unwrap_or_else(|| "no keys".into()))}</span>
                                                                    <ReplaceKeys client_id=keys_id switch=false action=set_keys/>
                                                                </td>
                                                            })}
                                                            {manage.then(move || view! {
                                                                <td>
                                                                    <span class=if on { "state state-active" } else { "state state-revoked" }>{if on { "on" } else { "off" }}</span>
                                                                    <ActionForm action=toggle>
                                                                        <input type="hidden" name="client_id" value=toggle_id/>
                                                                        <input type="hidden" name="enabled" value=if on { "false" } else { "true" }/>
                                                                        <ConfirmSubmit label=if on { "Disable" } else { "Enable" } class="secondary" ask=on
                                                                            question="Disable this client? It gets no new tokens, and the tokens it holds stop working at once."/>
                                                                    </ActionForm>
                                                                </td>
                                                            })}
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                                {manage.then(|| view! {
                                    <section>
                                        <h2>"New sandbox client"</h2>
                                        {if available.is_empty() {
                                            view! { <p class="empty">"You hold no scopes in the sandbox yet: an administrator grants them when your organisation enters the sandbox."</p> }.into_any()
                                        } else {
                                            view! {
                                                <ActionForm action=create attr:class="card" attr:id="new-client">
                                                    <Field label="Name" help="What the client is, for people: backend, nightly-export.">
                                                        <input name="name" required placeholder="backend"/>
                                                    </Field>
                                                    <Field label="Scopes (space-separated)" help="Your sandbox scopes; the client may ask for these and no more."
                                                        error=Signal::derive(move || unknown.get())>
                                                        <input name="scopes" required value=all
                                                            aria-invalid=move || unknown.get().is_some().to_string()
                                                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                                                    </Field>
                                                    <p class="help">"Available: " <code>{all_shown}</code></p>
                                                    <Check name="token_exchange" label="Token exchange (RFC 8693): exchange your users' tokens"/>
                                                    <Check name="jwt_bearer" label="JWT bearer (RFC 7523): present your IdP's assertions"/>
                                                    <fieldset class="auth-choice">
                                                        <legend>"How the client authenticates"</legend>
                                                        <label class="checkbox"><input type="radio" name="auth" value="client_secret" checked
                                                            on:change=move |_| key_auth.set(false)/> <span>"A client secret (shown once)"</span></label>
                                                        <label class="checkbox"><input type="radio" name="auth" value="private_key_jwt"
                                                            on:change=move |_| key_auth.set(true)/> <span>"private_key_jwt: assertions signed with your private key"</span></label>
                                                    </fieldset>
                                                    <Show when=move || key_auth.get()>
                                                        <KeyFields blocked=keys_blocked/>
                                                    </Show>
                                                    <Submit label="Create sandbox client" busy="Creating…" pending=create.pending()
                                                        blocked=Signal::derive(move || unknown.get().is_some() || (key_auth.get() && keys_blocked.get()))/>
                                                    <ActionError value=Signal::derive(move || create.value().get())/>
                                                </ActionForm>
                                            }.into_any()
                                        }}
                                    </section>
                                })}
                                {production.map(|scopes| view! { <ProductionClientRequest scopes=scopes request=request/> })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

/// A production client is a change request: an administrator approves it, and it is created
/// without a secret, which the partner then issues here ("Rotate secret"), seen by nobody else.
#[component]
fn ProductionClientRequest(
    scopes: Vec<String>,
    request: ServerAction<PortalRequestClient>,
) -> impl IntoView {
    if scopes.is_empty() {
        return view! {
            <section>
                <h2>"New production client"</h2>
                <p class="empty">"You hold no production scopes yet: ask for some under "
                    <A href="/portal/requests">"Requests"</A> "."</p>
            </section>
        }
        .into_any();
    }
    let all = scopes.join(" ");
    let shown = all.clone();
    let typed = RwSignal::new(all.clone());
    let unknown = Signal::derive(move || {
        typed
            .read()
            .split_whitespace()
            .find(|s| !scopes.iter().any(|a| a == s))
            .map(|s| format!("{s} is not granted to you in production"))
    });
    view! {
        <section>
            <h2>"New production client"</h2>
            <p class="meta">"Production clients are approved by our administrators. Once approved, the client appears above without a secret: issue one with "
                <em>"Rotate secret"</em> " and copy it then."</p>
            <ActionForm action=request attr:class="card" attr:id="request-client">
                <Field label="Name"><input name="name" required placeholder="backend"/></Field>
                <Field label="Scopes (space-separated)" error=unknown>
                    <input name="scopes" required value=all.clone()
                        aria-invalid=move || unknown.get().is_some().to_string()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </Field>
                <p class="help">"Your production scopes: " <code>{shown}</code></p>
                <Check name="token_exchange" label="Token exchange (RFC 8693)"/>
                <Check name="jwt_bearer" label="JWT bearer (RFC 7523)"/>
                <Field label="Why (shown to the approver)"><input name="reason" required maxlength="1000" placeholder="go-live of our order sync"/></Field>
                <Submit label="Request production client" busy="Requesting…" pending=request.pending()
                    blocked=Signal::derive(move || unknown.get().is_some())/>
                <ActionError value=Signal::derive(move || request.value().get())/>
                <ActionDone value=Signal::derive(move || request.value().get())/>
            </ActionForm>
        </section>
    }
    .into_any()
}
