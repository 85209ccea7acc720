use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::{SetupAdmin, invite_valid};
use crate::components::{ActionError, Field, Submit};

/// The one-time page that creates an account from an invitation link: the first
/// administrator's (printed at start-up), a console user's (the users page) or a partner
/// user's (the partner's page, the portal's team page, `entente partner invite`).
#[component]
pub fn Setup() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let valid = Resource::new(token, invite_valid);
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
                        Ok(true) => view! {
                            <ActionForm action=setup attr:class="card">
                                <input type="hidden" name="token" value=token()/>
                                <Field label="E-mail"><input type="email" name="email" required autocomplete="username"/></Field>
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
