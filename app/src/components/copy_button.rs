//! A copy-to-clipboard button for secrets shown once.

use leptos::prelude::*;

/// Copies `text` to the clipboard; announces the result to screen readers.
#[component]
pub fn CopyButton(text: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    #[cfg(not(feature = "hydrate"))]
    drop(text);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(w) = web_sys::window() {
                let _ = w.navigator().clipboard().write_text(&text);
            }
        }
        copied.set(true);
    };
    view! {
        <button type="button" class="copy" on:click=on_click>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
    }
}
