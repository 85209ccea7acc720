use leptos::prelude::*;

use super::api::Login as LoginFn;
use crate::components::{ActionError, Field, Submit};

#[component]
pub fn Login() -> impl IntoView {
    let login = ServerAction::<LoginFn>::new();
    view! {
        <main class="narrow">
            <h1>"Sign in to Entente"</h1>
            <ActionForm action=login attr:class="card">
                <Field label="E-mail"><input type="email" name="email" required autocomplete="username" autofocus/></Field>
                <Field label="Password"><input type="password" name="password" required autocomplete="current-password"/></Field>
                <Submit label="Sign in" busy="Signing in…" pending=login.pending()/>
                <ActionError value=Signal::derive(move || login.value().get())/>
            </ActionForm>
        </main>
    }
}
