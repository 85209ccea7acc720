//! The playground (`/sandbox`): pick one of your sandbox clients and a grant, send a trial
//! token request through the sandbox's real token endpoint, and see the request, the response,
//! the decoded token, what a resource server would check of it, the policy's trace (token
//! exchange) and a curl command that does the same from a shell.

pub mod api;
#[cfg(feature = "ssr")]
mod trial;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{
    ActionError, CopyButton, ErrorBox, Field, SecretDialog, SecretShown, Submit,
};
use crate::pages::portal::PortalLayout;
use api::{
    CLIENT_CREDENTIALS, JWT_BEARER, MintTestToken, OwnClient, TOKEN_EXCHANGE, TesterCredentials,
    TrialResult, TryToken, playground,
};

#[component]
fn TrialView(r: TrialResult) -> impl IntoView {
    let ok = r.status == 200;
    view! {
        <section class="trial" aria-label="Trial result">
            <h2>"Result: " <span class=if ok { "state state-active" } else { "state state-revoked" }>{format!("HTTP {}", r.status)}</span></h2>
            <div class="row2">
                <div>
                    <h3>"Request"</h3>
                    <pre class="http request">{r.request}</pre>
                </div>
                <div>
                    <h3>"Response"</h3>
                    <pre class="http response">{r.response}</pre>
                </div>
            </div>
            {r.token_claims.map(|claims| view! {
                <div class="row2">
                    <div>
                        <h3>"Token header"</h3>
                        <pre class="token-header">{r.token_header.unwrap_or_default()}</pre>
                    </div>
                    <div>
                        <h3>"Token claims"</h3>
                        <pre class="token-claims">{claims}</pre>
                        {r.token_times.clone().map(|t| view! { <p class="meta token-times">{t}</p> })}
                    </div>
                </div>
            })}
            {(!r.checks.is_empty()).then(|| view! {
                <h3>"Validation (as a sandbox resource server checks it)"</h3>
                <ul class="checklist checks">
                    {r.checks.into_iter().map(|c| view! {
                        <li class=if c.passed { "done" } else { "open" }>
                            <span class="mark" aria-hidden="true">{if c.passed { "✓" } else { "✗" }}</span>
                            " " <strong>{c.name}</strong> " " <span class="meta">{c.detail}</span>
                        </li>
                    }).collect_view()}
                </ul>
            })}
            {r.explanation.map(|e| view! {
                <h3>"Policy decision"</h3>
                <pre class="explain">{e}</pre>
            })}
            <h3>"The same from a shell"</h3>
            <p class="meta">"Set " <code>"CLIENT_SECRET"</code> " to the client's secret first."</p>
            <pre class="curl">{r.curl.clone()}</pre>
            <CopyButton text=r.curl/>
        </section>
    }
}

/// A sandbox tester's own credentials: got here when the organisation's admins allow it, shown
/// once in the page's dialog and put straight into the trial form.
#[component]
fn OwnCredentials(own: OwnClient, get: ServerAction<TesterCredentials>) -> impl IntoView {
    if !own.allowed {
        return view! {
            <p class="meta" id="own-client">"Your organisation's partner admins have not let sandbox testers get their own client. Ask one of them to turn it on under Team in the portal, or to give you a sandbox client's ID and secret."</p>
        }
        .into_any();
    }
    let has = own.client_id.is_some();
    view! {
        <ActionForm action=get attr:class="card inline-form" attr:id="own-client">
            <p>{if has {
                "You have a sandbox client of your own. Its secret was shown once; get a new one if you no longer have it (the old one stops working)."
            } else {
                "Get a sandbox client of your own: every scope your organisation holds in the sandbox, its secret shown once and filled in below."
            }}</p>
            <Submit label=if has { "Get a new secret" } else { "Get my sandbox credentials" } busy="Getting…" pending=get.pending()/>
            <ActionError value=Signal::derive(move || get.value().get())/>
        </ActionForm>
    }
    .into_any()
}

#[component]
pub fn Playground() -> impl IntoView {
    let get_own = ServerAction::<TesterCredentials>::new();
    let data = Resource::new(move || get_own.version().get(), |_| playground());
    let trial = ServerAction::<TryToken>::new();
    let mint = ServerAction::<MintTestToken>::new();
    let grant = RwSignal::new(CLIENT_CREDENTIALS.to_owned());
    let exchange = move || grant.get() == TOKEN_EXCHANGE;
    let jwt_bearer = move || grant.get() == JWT_BEARER;
    let federated = move || exchange() || jwt_bearer();
    // The token in the trial form: pasted, or minted by the test IdP.
    let subject = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(t)) = mint.value().get() {
            subject.set(t);
        }
    });
    // The tester's own credentials, once got: shown in the dialog and put into the form.
    let shown = RwSignal::new(None::<SecretShown>);
    let chosen = RwSignal::new(String::new());
    let secret = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(Ok(s)) = get_own.value().get() {
            chosen.set(s.client_id.clone());
            secret.set(s.client_secret.clone().unwrap_or_default());
            shown.set(Some(s));
        }
    });
    let sub = RwSignal::new("test-user-1".to_owned());
    let claims = RwSignal::new("{\"email\": \"test-user-1@example.com\"}".to_owned());
    let mint_now = move |_| {
        mint.dispatch(MintTestToken {
            kind: if jwt_bearer() {
                "assertion"
            } else {
                "access_token"
            }
            .to_owned(),
            sub: sub.get_untracked(),
            claims: claims.get_untracked(),
        });
    };
    view! {
        <PortalLayout title="Playground" playground=true>
            <p class="subtitle">"Trial tokens from your sandbox clients, through the real token endpoint: sandbox tokens carry the sandbox issuer and are never accepted in production."</p>
            <SecretDialog shown=shown/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your sandbox clients…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(d) => {
                            let own = d.own.clone().map(|own| view! { <OwnCredentials own=own get=get_own/> });
                            let body = if d.clients.is_empty() && d.can_create {
                                view! {
                                    <p class="empty">"You have no sandbox client with a secret yet. " <A href="/portal/clients">"Create one"</A> " first; its secret is shown once, so keep it at hand."</p>
                                }.into_any()
                            } else if d.clients.is_empty() {
                                view! {
                                    <p class="empty">"Your organisation has no sandbox client with a secret yet."</p>
                                }.into_any()
                            } else {
                                view! {
                            <ActionForm action=trial attr:class="card" attr:id="trial">
                                <Field label="Client">
                                    <select name="client_id" prop:value=move || chosen.get()
                                        on:change=move |ev| chosen.set(event_target_value(&ev))>
                                        {d.clients.into_iter().map(|c| view! {
                                            <option value=c.client_id.clone()>{format!("{} ({}) · {}", c.name, c.client_id, c.scopes)}</option>
                                        }).collect_view()}
                                    </select>
                                </Field>
                                <Field label="Client secret" help="Used for this request only: never stored, never shown back.">
                                    <input type="password" name="client_secret" required autocomplete="off"
                                        prop:value=move || secret.get() on:input=move |ev| secret.set(event_target_value(&ev))/>
                                </Field>
                                <Field label="Grant">
                                    <select name="grant_type" on:change=move |ev| {
                                        grant.set(event_target_value(&ev));
                                        // The result shown was another grant's: it would mislead.
                                        trial.value().set(None);
                                    }>
                                        <option value=CLIENT_CREDENTIALS selected>"Client credentials"</option>
                                        <option value=TOKEN_EXCHANGE>"Token exchange (RFC 8693)"</option>
                                        <option value=JWT_BEARER>"JWT bearer (RFC 7523)"</option>
                                    </select>
                                </Field>
                                <Field label="Audience">
                                    <select name="audience">
                                        {d.audiences.into_iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                                    </select>
                                </Field>
                                <Field label="Scope (optional)" help="Space-separated; empty asks for everything the client may have.">
                                    <input name="scope" autocomplete="off"/>
                                </Field>
                                <div class=move || if federated() { "field" } else { "field hidden" }>
                                    <label>{move || if jwt_bearer() { "Assertion (your identity provider's signed JWT)" } else { "Subject token (your identity provider's access token)" }}
                                        <textarea name="subject_token" rows="4" spellcheck="false"
                                            prop:value=move || subject.get()
                                            on:input=move |ev| subject.set(event_target_value(&ev))></textarea>
                                    </label>
                                    // Minting sits beside the field it fills (its inputs have no
                                    // name: they are not part of the trial request).
                                    <fieldset class="mint" id="mint">
                                        <legend>"…or mint one with the sandbox test IdP"</legend>
                                        <p class="help">"A token for a made-up user, with the claims you choose. Exchanges accept it once your organisation trusts the test IdP ("
                                            <A href="/portal/issuers">"Trusted issuers"</A> "); production never does."</p>
                                        <label>"Test user (sub)"
                                            <input maxlength="64" prop:value=move || sub.get() on:input=move |ev| sub.set(event_target_value(&ev))/>
                                        </label>
                                        <label>"Claims (JSON object)"
                                            <textarea rows="2" spellcheck="false" prop:value=move || claims.get()
                                                on:input=move |ev| claims.set(event_target_value(&ev))></textarea>
                                        </label>
                                        <p class="help">"iss, sub, aud, iat, exp and jti are set by the test IdP."</p>
                                        <button type="button" class="secondary" on:click=mint_now disabled=move || mint.pending().get()>
                                            {move || if mint.pending().get() { "Minting…" } else { "Mint token" }}
                                        </button>
                                        <ActionError value=Signal::derive(move || mint.value().get())/>
                                        {move || matches!(mint.value().get(), Some(Ok(_))).then(|| view! {
                                            <p class="ok" role="status">"Minted: it is in the field above, ready to send."</p>
                                        })}
                                    </fieldset>
                                </div>
                                <p class="meta">"Sent to " <code>{d.token_endpoint.clone()}</code></p>
                                <Submit label="Send" busy="Sending…" pending=trial.pending()/>
                                <ActionError value=Signal::derive(move || trial.value().get())/>
                            </ActionForm>
                                }.into_any()
                            };
                            view! { {own} {body} }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {move || trial.value().get().and_then(Result::ok).map(|r| view! { <TrialView r=r/> })}
        </PortalLayout>
    }
}
