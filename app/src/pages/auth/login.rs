use leptos::prelude::*;

use super::api::Login as LoginFn;
use crate::components::ActionError;

#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    view! {
        <main class="narrow">
            <h1>"Sign in to Entente"</h1>
            <ActionForm action=login attr:class="card">
                <label>"E-mail" <input type="email" name="email" required autocomplete="username" autofocus/></label>
                <label>"Password" <input type="password" name="password" required autocomplete="current-password"/></label>
                <button type="submit" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
                <ActionError value=Signal::derive(move || login.value().get())/>
            </ActionForm>
        </main>
    }
}
