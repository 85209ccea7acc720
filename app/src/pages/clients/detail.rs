//! A client's page (`/partners/:slug/clients/:id`): what it is, what it may ask for (scopes and
//! grant types), its credentials (rotate with overlap, keys), its usage with its limit line,
//! its audit trail, and turning it off — each through the same operations as every door.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::detail_api::{
    CONSOLE_OVERLAPS, ClientEvent, ClientFacts, ConsoleRotateSecret, ConsoleSetClientEnabled,
    ConsoleSetClientKeys, ConsoleUpdateClient, client_detail,
};
use crate::components::{
    ActionDone, ActionError, ConfirmSubmit, CopyButton, ErrorBox, Field, Layout, ReplaceKeys,
    SecretDialog, SecretShown, Submit, may_change,
};
use crate::pages::usage::{UsagePanel, UsageState};
use entente_types::grant_type::{
    CLIENT_CREDENTIALS, GRANT_JWT_BEARER, GRANT_REFRESH_TOKEN, GRANT_TOKEN_EXCHANGE,
};

/// The grant types a client may be given: the form's field name, the `grant_type` value and
/// what it means to a person.
const GRANTS: [(&str, &str, &str); 4] = [
    (
        "client_credentials",
        CLIENT_CREDENTIALS,
        "Client credentials: tokens for the client itself",
    ),
    (
        "token_exchange",
        GRANT_TOKEN_EXCHANGE,
        "Token exchange (RFC 8693): the partner's users' tokens for ours",
    ),
    (
        "jwt_bearer",
        GRANT_JWT_BEARER,
        "JWT bearer (RFC 7523): the partner IdP's assertions",
    ),
    (
        "refresh_token",
        GRANT_REFRESH_TOKEN,
        "Refresh tokens, rotated on every use",
    ),
];

/// The short name of a grant type for lists ("token-exchange").
pub fn grant_label(g: &str) -> &str {
    g.rsplit(':').next().unwrap_or(g)
}

#[derive(Clone, Copy)]
struct Actions {
    update: ServerAction<ConsoleUpdateClient>,
    rotate: ServerAction<ConsoleRotateSecret>,
    keys: ServerAction<ConsoleSetClientKeys>,
    toggle: ServerAction<ConsoleSetClientEnabled>,
}

#[component]
pub fn ClientPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let id = move || params.read().get("id").unwrap_or_default();
    let acts = Actions {
        update: ServerAction::new(),
        rotate: ServerAction::new(),
        keys: ServerAction::new(),
        toggle: ServerAction::new(),
    };
    let data = Resource::new(
        move || {
            (
                slug(),
                id(),
                acts.update.version().get(),
                acts.rotate.version().get(),
                acts.keys.version().get(),
                acts.toggle.version().get(),
            )
        },
        |(s, c, ..)| client_detail(s, c),
    );
    let secret: RwSignal<Option<SecretShown>> = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(Ok(s)) = acts.rotate.value().get() {
            secret.set(Some(s));
        }
    });
    let usage = UsageState::new(Signal::derive(slug), Signal::derive(id));
    view! {
        <Layout title="Client">
            <SecretDialog shown=secret/>
            <ActionError value=Signal::derive(move || acts.rotate.value().get())/>
            <ActionError value=Signal::derive(move || acts.keys.value().get())/>
            <ActionDone value=Signal::derive(move || acts.keys.value().get())/>
            <ActionError value=Signal::derive(move || acts.toggle.value().get())/>
            <ActionDone value=Signal::derive(move || acts.toggle.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the client…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! { <ClientView c=c acts=acts/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <section aria-labelledby="client-usage">
                <h2 id="client-usage">"Usage"</h2>
                <UsagePanel state=usage/>
            </section>
        </Layout>
    }
}

#[component]
fn ClientView(c: ClientFacts, acts: Actions) -> impl IntoView {
    let change = may_change();
    let partner_href = format!("/partners/{}", c.partner_slug);
    let events = c.events.clone();
    let (ask, credentials, danger) = (
        change.then(|| c.clone()),
        change.then(|| c.clone()),
        change.then(|| c.clone()),
    );
    view! {
        <p class="crumbs"><A href="/partners">"Partners"</A> " › " <A href=partner_href>{c.partner_name.clone()}</A> " › " {c.name.clone()}</p>
        <h2 class="title">{c.name.clone()}</h2>
        <dl class="facts">
            <dt>"client_id"</dt><dd><code class="client-id">{c.client_id.clone()}</code> " " <CopyButton text=c.client_id.clone()/></dd>
            <dt>"Environment"</dt><dd><span class=format!("env env-{}", c.environment)>{c.environment.clone()}</span></dd>
            <dt>"Authentication"</dt><dd>{c.auth_method.clone()} {c.keys.clone().map(|k| format!(" · {k}"))}</dd>
            <dt>"State"</dt><dd><span class=if c.enabled { "state state-active" } else { "state state-revoked" }>{if c.enabled { "enabled" } else { "disabled" }}</span></dd>
            <dt>"Grant types"</dt><dd>{c.grant_types.iter().map(|g| grant_label(g).to_owned()).collect::<Vec<_>>().join(", ")}</dd>
            <dt>"Scopes"</dt><dd><ul class="scope-chips">{c.scopes.iter().map(|s| view! { <li><code>{s.clone()}</code></li> }).collect_view()}</ul></dd>
            <dt>"Token endpoint"</dt><dd><code>{c.token_endpoint.clone()}</code></dd>
            <dt>"Created"</dt><dd>{c.created.clone()}</dd>
        </dl>
        {ask.map(|c| view! { <AskFor c=c action=acts.update/> })}
        {credentials.map(|c| view! { <Credentials c=c acts=acts/> })}
        <Events events=events/>
        {danger.map(|c| view! { <DangerZone c=c acts=acts/> })}
    }
}

/// Scopes and grant types, checked as they are typed.
#[component]
fn AskFor(c: ClientFacts, action: ServerAction<ConsoleUpdateClient>) -> impl IntoView {
    let typed = RwSignal::new(c.scopes.join(" "));
    let ticked = RwSignal::new(c.grant_types.clone());
    let granted = c.granted.clone();
    let env = c.environment.clone();
    let problem = Signal::derive(move || {
        entente_types::names::check_scope_list(&typed.read())
            .err()
            .or_else(|| {
                ticked
                    .read()
                    .is_empty()
                    .then(|| "tick at least one grant type".into())
            })
    });
    // Not an error: tokens stay within the partner's grants, so this only warns.
    let beyond = Signal::derive(move || {
        let typed = typed.read();
        let over: Vec<&str> = typed
            .split_whitespace()
            .filter(|s| !granted.iter().any(|g| g == s))
            .collect();
        (!over.is_empty()).then(|| {
            format!(
                "not granted to this partner in {env}: {} (tokens will not carry it until it is)",
                over.join(" ")
            )
        })
    });
    let granted_shown = if c.granted.is_empty() {
        "nothing yet".to_owned()
    } else {
        c.granted.join(" ")
    };
    view! {
        <section aria-labelledby="ask-for">
            <h2 id="ask-for">"What it may ask for"</h2>
            <ActionForm action=action attr:class="card" attr:id="client-ask-for">
                <input type="hidden" name="client_id" value=c.client_id.clone()/>
                <Field label="Scopes (space-separated)" help="The most this client may request; its tokens also stay within the partner's grants."
                    error=problem>
                    <input name="scopes" required value=c.scopes.join(" ") spellcheck="false"
                        aria-invalid=move || problem.get().is_some().to_string()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </Field>
                <p class="help">{format!("Granted to {} in {}: ", c.partner_name, c.environment)} <code>{granted_shown}</code></p>
                {move || beyond.get().map(|w| view! { <p class="warning" role="status">{w}</p> })}
                <fieldset class="grant-types">
                    <legend>"Grant types"</legend>
                    {GRANTS.iter().map(|(field, value, label)| {
                        let value = (*value).to_owned();
                        let on = c.grant_types.contains(&value);
                        view! {
                            <label class="checkbox">
                                <input type="checkbox" name=*field checked=on on:change=move |ev| {
                                    let checked = event_target_checked(&ev);
                                    ticked.update(|t| {
                                        t.retain(|g| *g != value);
                                        if checked { t.push(value.clone()); }
                                    });
                                }/>
                                " " <span>{*label}</span>
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <Submit label="Save" busy="Saving…" pending=action.pending() blocked=Signal::derive(move || problem.get().is_some())/>
                <ActionError value=Signal::derive(move || action.value().get())/>
                <ActionDone value=Signal::derive(move || action.value().get())/>
            </ActionForm>
        </section>
    }
}

/// Rotating a secret (with an overlap while the partner deploys it) and registering keys.
#[component]
fn Credentials(c: ClientFacts, acts: Actions) -> impl IntoView {
    let secret_client = c.auth_method == "client_secret";
    let (rotate_id, keys_id) = (c.client_id.clone(), c.client_id.clone());
    view! {
        <section aria-labelledby="credentials">
            <h2 id="credentials">"Credentials"</h2>
            {secret_client.then(|| view! {
                <ActionForm action=acts.rotate attr:class="card" attr:id="rotate-secret">
                    <input type="hidden" name="client_id" value=rotate_id/>
                    <Field label="The old secret keeps working for" help="Long enough for the partner to deploy the new one; both work until then.">
                        <select name="overlap">
                            {CONSOLE_OVERLAPS.iter().map(|(s, label)| view! {
                                <option value=s.to_string() selected=*s == 86_400>{*label}</option>
                            }).collect_view()}
                        </select>
                    </Field>
                    <ConfirmSubmit label="Rotate secret" class="secondary"
                        question="Issue a new secret for this client? It is shown once, in a dialog: copy it then."/>
                </ActionForm>
            })}
            <ReplaceKeys client_id=keys_id switch=secret_client action=acts.keys/>
        </section>
    }
}

/// The client's audit trail, one line per event.
#[component]
fn Events(events: Vec<ClientEvent>) -> impl IntoView {
    view! {
        <section aria-labelledby="client-audit">
            <h2 id="client-audit">"Audit"</h2>
            {if events.is_empty() {
                view! { <p class="empty">"Nothing recorded about this client yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="events">
                        {events.into_iter().map(|e| view! {
                            <li><span class="meta">{e.at}</span> <span>{e.actor}</span>
                                <span class="change"><code>{e.action}</code> " " {e.change}</span></li>
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
        </section>
    }
}

/// Turning the client off or on, at the bottom, asking first.
#[component]
fn DangerZone(c: ClientFacts, acts: Actions) -> impl IntoView {
    let on = c.enabled;
    view! {
        <section class="danger-zone" aria-labelledby="danger">
            <h2 id="danger">"Danger zone"</h2>
            <ActionForm action=acts.toggle>
                <input type="hidden" name="client_id" value=c.client_id.clone()/>
                <input type="hidden" name="enabled" value=if on { "false" } else { "true" }/>
                <p>{if on {
                    format!("Disabling {} stops it getting tokens, and the tokens it holds stop working at once.", c.name)
                } else {
                    format!("{} is disabled. Enabling it lets it get tokens again; the tokens it held stay revoked.", c.name)
                }}</p>
                <ConfirmSubmit label=if on { "Disable client" } else { "Enable client" } class=if on { "danger" } else { "secondary" } ask=on
                    question="Disable this client? It gets no new tokens, and the tokens it holds stop working at once."/>
            </ActionForm>
        </section>
    }
}
