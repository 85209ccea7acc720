//! Errors as one readable sentence, in an alert region.

use leptos::prelude::*;

use crate::error::ConsoleError;

/// A server error as one readable sentence.
#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    view! { <p class="error" role="alert">{message}</p> }
}

/// The result of a form's action: error sentence or nothing.
#[component]
pub fn ActionError<T: Clone + Send + Sync + 'static>(
    #[prop(into)] value: Signal<Option<Result<T, ConsoleError>>>,
) -> impl IntoView {
    move || match value.get() {
        Some(Err(e)) => Some(view! { <ErrorBox message=e.to_string()/> }),
        _ => None,
    }
}

/// The sentence a successful action returned (what was saved, or which change request was
/// filed), announced to screen readers.
#[component]
pub fn ActionDone(
    #[prop(into)] value: Signal<Option<Result<String, ConsoleError>>>,
) -> impl IntoView {
    move || match value.get() {
        Some(Ok(m)) => Some(view! { <p class="ok" role="status">{m}</p> }),
        _ => None,
    }
}
