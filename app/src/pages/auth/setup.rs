use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{InvitationFacts, SetupAdmin, invitation};
use crate::components::{ActionError, Field, Submit};

/// The one-time page that creates an account from an invitation link: the first
/// administrator's (printed at start-up), a console user's (the users page) or a partner
/// user's (the partner's page, the portal's team page, `entente partner invite`).
#[component]
pub fn Setup() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, invitation);
    let setup = ServerAction::<SetupAdmin>::new();
    let password = RwSignal::new(String::new());
    let too_short = move || {
        let n = password.read().chars().count();
        n > 0 && n < 12
    };
    view! {
        <main class="narrow">
            <h1>"Create your account"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match valid.await {
                        Ok(Some(facts)) => view! {
                            <Offer facts=facts.clone()/>
                            <ActionForm action=setup attr:class="card">
                                <input type="hidden" name="token" value=token()/>
                                {match facts.email.clone() {
                                    // The link is for one address: it is shown, not typed.
                                    Some(email) => view! {
                                        <Field label="E-mail" help="The invitation is for this address only.">
                                            <input type="email" name="email" required readonly autocomplete="username" value=email/>
                                        </Field>
                                    }.into_any(),
                                    None => view! {
                                        <Field label="E-mail"><input type="email" name="email" required autocomplete="username"/></Field>
                                    }.into_any(),
                                }}
                                <Field label="Password (at least 12 characters)" help="A passphrase of several words is easiest to remember."
                                    error=Signal::derive(move || too_short().then(|| "The password must have at least 12 characters.".to_owned()))>
                                    <input type="password" name="password" required minlength="12" autocomplete="new-password"
                                        aria-invalid=move || too_short().to_string()
                                        on:input=move |ev| password.set(event_target_value(&ev))/>
                                </Field>
                                <Submit label="Create account" busy="Creating…" pending=setup.pending()
                                    blocked=Signal::derive(too_short)/>
                                <ActionError value=Signal::derive(move || setup.value().get())/>
                            </ActionForm>
                        }
                        .into_any(),
                        _ => view! {
                            <p class="error" role="alert">
                                "This link is invalid, used or expired: ask whoever sent it for a new one. For the first administrator, run "
                                <code>"entente admin create --email you@example.com"</code>
                                " on the server instead."
                            </p>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// Who invites whom, to what: read before anything is typed (an invitation nobody can place
/// is a phishing shape).
#[component]
fn Offer(facts: InvitationFacts) -> impl IntoView {
    let to = facts
        .organisation
        .clone()
        .map(|o| format!("{o}'s team in the partner portal"))
        .unwrap_or_else(|| "the Entente console".to_owned());
    view! {
        <section class="card invitation" aria-label="Invitation">
            <p>"You are invited to join " <strong>{to}</strong> "."</p>
            <dl class="facts">
                <dt>"Role"</dt><dd>{facts.role}</dd>
                {facts.invited_by.map(|by| view! { <dt>"Invited by"</dt><dd>{by}</dd> })}
                <dt>"Link valid until"</dt><dd>{facts.expires}</dd>
            </dl>
        </section>
    }
}
