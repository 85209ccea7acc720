//! One way to build a console form: a labelled field with help and an inline error, a checkbox
//! with its label beside it, and a submit button that is disabled and says so while sending.

use leptos::prelude::*;

/// A labelled control (the `children`: an input, select or textarea), with optional help text
/// under it and an inline error that appears while `error` holds one. The error is tied to the
/// control's label for screen readers by its `role="alert"`.
#[component]
pub fn Field(
    label: &'static str,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label>{label} {children()}</label>
            {help.map(|h| view! { <p class="help">{h}</p> })}
            {error.map(|e| move || e.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> }))}
        </div>
    }
}

/// A checkbox with its label on the same line, after it; `help` below.
#[component]
pub fn Check(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] help: Option<&'static str>,
    #[prop(optional)] checked: bool,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="checkbox"><input type="checkbox" name=name checked=checked/> <span>{label}</span></label>
            {help.map(|h| view! { <p class="help">{h}</p> })}
        </div>
    }
}

/// The form's submit button: disabled while `pending` (showing `busy`) or while `blocked`
/// (inline validation failed).
#[component]
pub fn Submit(
    label: &'static str,
    busy: &'static str,
    #[prop(into)] pending: Signal<bool>,
    #[prop(optional, into)] blocked: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" disabled=move || pending.get() || blocked.get()>
            {move || if pending.get() { busy } else { label }}
        </button>
    }
}

/// An e-mail field with inline validation: `bad` says what is wrong with what was typed (so the
/// form's submit can be blocked on it). The store normalises and checks the address again.
#[component]
pub fn EmailField(
    label: &'static str,
    help: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let problem = move || email_problem(&value.read());
    view! {
        <Field label=label help=help error=Signal::derive(problem)>
            <input type="email" name="email" required autocomplete="off" prop:value=move || value.get()
                aria-invalid=move || problem().is_some().to_string()
                on:input=move |ev| value.set(event_target_value(&ev))/>
        </Field>
    }
}

/// Why `typed` is not an e-mail address yet (nothing while it is empty).
/// The server's rule (`entente_types::names::check_email`), run in the browser while typing.
pub fn email_problem(typed: &str) -> Option<String> {
    (!typed.is_empty()
        && entente_types::names::check_email(&typed.trim().to_ascii_lowercase()).is_err())
    .then(|| "Enter an e-mail address like name@example.com.".to_owned())
}
