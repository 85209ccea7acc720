use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::api::Login as LoginFn;
use crate::components::{ActionError, Field, Submit};

/// What a federated sign-in that came back here (`/login?sso=<code>`) tells the user.
fn sso_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "unavailable" => {
            "Single sign-on is not available for that organisation. Check its ID, or sign in with your password."
        }
        "expired" => "That sign-in expired or was started in another browser. Start again.",
        "refused" => {
            "Your organisation's identity provider did not complete the sign-in. Try again; if it keeps failing, tell your partner administrator."
        }
        "denied" => {
            "Your identity provider signed you in, but you have no access here yet: ask your partner administrator for an invitation."
        }
        "throttled" => "Too many sign-in attempts; wait a minute and try again.",
        _ => return None,
    })
}

#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    let query = use_query_map();
    let sso = move || query.read().get("sso").and_then(|c| sso_message(&c));
    view! {
        <main class="narrow">
            <h1>"Sign in to Entente"</h1>
            {move || sso().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <ActionForm action=login attr:class="card">
                <Field label="E-mail"><input type="email" name="email" required autocomplete="username" autofocus/></Field>
                <Field label="Password"><input type="password" name="password" required autocomplete="current-password"/></Field>
                <Submit label="Sign in" busy="Signing in…" pending=login.pending()/>
                <ActionError value=Signal::derive(move || login.value().get())/>
            </ActionForm>
            // A plain GET form: it leaves for the organisation's provider, no script needed.
            <form method="get" action="/login/sso" class="card" id="sso">
                <h2>"Sign in with your organisation"</h2>
                <Field label="Organisation ID" help="Your partner administrator finds it on the portal's single sign-on page.">
                    <input name="organisation" required pattern="[a-z][a-z0-9\\-]{1,62}" autocomplete="organization" placeholder="acme"/>
                </Field>
                <button type="submit" class="secondary">"Continue to your identity provider"</button>
            </form>
            <p>"New partner? " <A href="/apply">"Apply for access"</A></p>
        </main>
    }
}
