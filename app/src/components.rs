//! Building blocks shared by the console pages.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use crate::api::{Logout, me};

/// The console frame: navigation for signed-in administrators, a redirect to sign-in otherwise.
#[component]
pub fn Layout(title: &'static str, children: ChildrenFn) -> impl IntoView {
    let who = Resource::new(|| (), |_| me());
    let logout = ServerAction::<Logout>::new();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match who.await {
                    Ok(Some(me)) => view! {
                        <header class="topbar">
                            <span class="brand">"Entente"</span>
                            <nav aria-label="Main">
                                <A href="/partners">"Partners"</A>
                                <A href="/audiences">"Audiences"</A>
                                <A href="/keys">"Signing keys"</A>
                            </nav>
                            <span class="who">{me.email}</span>
                            <ActionForm action=logout>
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </header>
                        <main>
                            <h1>{title}</h1>
                            {children.with_value(|c| c())}
                        </main>
                    }
                    .into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// A server error as one readable sentence.
#[component]
pub fn ErrorBox(message: String) -> impl IntoView {
    let text = message
        .trim_start_matches("error running server function: ")
        .to_owned();
    view! { <p class="error" role="alert">{text}</p> }
}

/// The result of a form's action: error sentence or nothing.
#[component]
pub fn ActionError<T: Clone + Send + Sync + 'static>(
    #[prop(into)] value: Signal<Option<Result<T, ServerFnError>>>,
) -> impl IntoView {
    move || match value.get() {
        Some(Err(e)) => Some(view! { <ErrorBox message=e.to_string()/> }),
        _ => None,
    }
}

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
