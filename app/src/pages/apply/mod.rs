//! `/apply`: the public form where an organisation applies to become a partner.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActionDone, ActionError, Field, Submit};
use api::ApplyPartner;

/// Inline checks that mirror the server's (`Application::check`), shown while typing.
fn too_short(value: &str, min: usize) -> bool {
    let n = value.trim().chars().count();
    n > 0 && n < min
}

#[component]
pub fn Apply() -> impl IntoView {
    let apply = ServerAction::<ApplyPartner>::new();
    let website = RwSignal::new(String::new());
    let email = RwSignal::new(String::new());
    let use_case = RwSignal::new(String::new());
    let website_error = move || {
        let w = website.read();
        let w = w.trim();
        (!w.is_empty() && !w.starts_with("https://"))
            .then(|| "Your web site's address starts with https://.".to_owned())
    };
    let email_error = move || {
        let e = email.read();
        let e = e.trim();
        (!e.is_empty()
            && !e
                .split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.')))
        .then(|| "This is not an e-mail address.".to_owned())
    };
    let use_case_error = move || {
        too_short(&use_case.read(), 20)
            .then(|| "A sentence or two, please: at least 20 characters.".to_owned())
    };
    let blocked =
        move || website_error().is_some() || email_error().is_some() || use_case_error().is_some();
    let done = move || matches!(apply.value().get(), Some(Ok(_)));
    view! {
        <main class="narrow">
            <h1>"Become a partner"</h1>
            <p>
                "Tell us who you are and what you want to build. Our partner team reviews every application; "
                "once you are accepted you get a sandbox to try our APIs straight away."
            </p>
            <Show when=done fallback=move || view! {
                <ActionForm action=apply attr:class="card">
                    <Field label="Organisation"><input name="organisation" required minlength="2" maxlength="200" autocomplete="organization" autofocus/></Field>
                    <Field label="Web site (optional)" error=Signal::derive(website_error)>
                        <input type="url" name="website" maxlength="200" placeholder="https://" autocomplete="url"
                            aria-invalid=move || website_error().is_some().to_string()
                            on:input=move |ev| website.set(event_target_value(&ev))/>
                    </Field>
                    <Field label="Your name"><input name="contact_name" required maxlength="200" autocomplete="name"/></Field>
                    <Field label="Your work e-mail" help="We reply here; it becomes your partner administrator account once you are accepted."
                        error=Signal::derive(email_error)>
                        <input type="email" name="contact_email" required maxlength="254" autocomplete="email"
                            aria-invalid=move || email_error().is_some().to_string()
                            on:input=move |ev| email.set(event_target_value(&ev))/>
                    </Field>
                    <Field label="What do you want to build?" help="Which of our APIs, for what, and roughly how much traffic."
                        error=Signal::derive(use_case_error)>
                        <textarea name="use_case" required minlength="20" maxlength="2000" rows="5"
                            aria-invalid=move || use_case_error().is_some().to_string()
                            on:input=move |ev| use_case.set(event_target_value(&ev))></textarea>
                    </Field>
                    <Submit label="Send application" busy="Sending…" pending=apply.pending()
                        blocked=Signal::derive(blocked)/>
                    <ActionError value=Signal::derive(move || apply.value().get())/>
                </ActionForm>
            }>
                <div class="card">
                    <ActionDone value=Signal::derive(move || apply.value().get())/>
                    <p>"Nothing else to do for now. When your application is accepted you will receive a link to create your account."</p>
                </div>
            </Show>
            <p><A href="/login">"Already a partner? Sign in"</A></p>
        </main>
    }
}
