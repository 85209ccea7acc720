//! A submit button that asks before a destructive change.

use leptos::prelude::*;

/// Submits its form; when `ask` is true it first asks `question` and cancels the click (and so
/// the submit, before the form sees it) unless confirmed. Without JavaScript the form simply
/// submits. Keyboard: it is a plain button, reachable and activated like any other.
#[component]
pub fn ConfirmSubmit(
    #[prop(into)] label: String,
    question: &'static str,
    #[prop(default = true)] ask: bool,
    #[prop(optional, into)] class: String,
    /// The submitter's name and value, sent with the form (which button was pressed).
    #[prop(optional, into)]
    name: String,
    #[prop(optional, into)] value: String,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class=class name=name value=value disabled=move || disabled.get() on:click=move |ev| {
            if ask && !confirm(question) {
                ev.prevent_default();
            }
        }>
            {label}
        </button>
    }
}

fn confirm(message: &str) -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.confirm_with_message(message).ok())
            .unwrap_or(false)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = message;
        true
    }
}
