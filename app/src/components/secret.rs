//! A new client secret, shown once where the person is looking: a modal dialog that takes the
//! focus, names the client, and closes only when they say they have copied it. One dialog per
//! page, so a new secret replaces the last one and a rotated-away secret is never left on
//! screen.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::CopyButton;

/// What the dialog shows: the client, its new secret (none for a private_key_jwt client) and
/// where it gets tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretShown {
    /// "Client created.", "New secret issued; the old one keeps working for 24 hours."
    pub note: String,
    pub client_name: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub token_endpoint: String,
}

/// The page's one secret dialog: shows what `shown` holds, and empties it when closed.
#[component]
pub fn SecretDialog(shown: RwSignal<Option<SecretShown>>) -> impl IntoView {
    let panel = NodeRef::<leptos::html::Div>::new();
    // Where the person is looking: the dialog, as soon as it is there.
    Effect::new(move |_| {
        if let Some(el) = panel.get()
            && shown.with(Option::is_some)
        {
            let _ = el.focus();
        }
    });
    // Closed, the focus goes back to where it was when the dialog opened (the button that
    // made the secret), so a keyboard user carries on from there.
    #[cfg(feature = "hydrate")]
    {
        let opener = StoredValue::new_local(None::<web_sys::HtmlElement>);
        Effect::new(move |was_open: Option<bool>| {
            use wasm_bindgen::JsCast;
            let open = shown.with(Option::is_some);
            if open && was_open != Some(true) {
                let active = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
                opener.set_value(active);
            } else if !open
                && was_open == Some(true)
                && let Some(el) = opener.get_value().filter(|e| e.is_connected())
            {
                let _ = el.focus();
            }
            open
        });
    }
    move || {
        shown.get().map(|s| {
            let has_secret = s.client_secret.is_some();
            view! {
                <div class="dialog-backdrop">
                    <div class="dialog card secret" role="dialog" aria-modal="true"
                        aria-labelledby="secret-title" aria-describedby="secret-note" tabindex="-1" node_ref=panel
                        on:keydown=move |ev| keep_tab_inside(panel, &ev)>
                        <h2 id="secret-title">{format!("{} · {}", s.client_name, s.client_id)}</h2>
                        <p id="secret-note"><strong>{s.note}</strong>
                            {has_secret.then_some(" Copy the secret now: it is shown only once, and never again after you close this.")}</p>
                        <dl class="facts">
                            <dt>"client_id"</dt><dd><code class="client-id">{s.client_id.clone()}</code></dd>
                            {s.client_secret.map(|secret| view! {
                                <dt>"client_secret"</dt>
                                <dd><code class="client-secret">{secret.clone()}</code> " " <CopyButton text=secret/></dd>
                            })}
                            <dt>"token endpoint"</dt><dd><code class="token-endpoint">{s.token_endpoint}</code></dd>
                        </dl>
                        <button type="button" class="primary" on:click=move |_| shown.set(None)>
                            {if has_secret { "I have copied it" } else { "Close" }}
                        </button>
                    </div>
                </div>
            }
        })
    }
}

/// Keeps Tab inside the modal dialog: from its last control to its first, and Shift+Tab back
/// (the page behind is inert while it is open).
#[cfg(feature = "hydrate")]
fn keep_tab_inside(panel: NodeRef<leptos::html::Div>, ev: &leptos::ev::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let Some(panel) = panel.get() else {
        return;
    };
    if ev.key() != "Tab" {
        return;
    }
    let Ok(list) = panel.query_selector_all("button, [href], input, select, textarea") else {
        return;
    };
    let items: Vec<web_sys::HtmlElement> = (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into().ok())
        .collect();
    let (Some(first), Some(last)) = (items.first(), items.last()) else {
        return;
    };
    let active = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let is = |e: &web_sys::Element| active.as_ref() == Some(e);
    let on_panel = is(panel.unchecked_ref());
    if ev.shift_key() && (on_panel || is(first.unchecked_ref())) {
        ev.prevent_default();
        let _ = last.focus();
    } else if !ev.shift_key() && is(last.unchecked_ref()) {
        ev.prevent_default();
        let _ = first.focus();
    }
}

#[cfg(not(feature = "hydrate"))]
fn keep_tab_inside(_: NodeRef<leptos::html::Div>, _: &leptos::ev::KeyboardEvent) {}
