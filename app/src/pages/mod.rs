//! The console's pages, grouped by area; each area's server functions and DTOs are in its
//! `api.rs`, beside the page.

pub mod apply;
pub mod audiences;
pub mod audit;
pub mod auth;
pub mod changes;
pub mod clients;
pub mod grants;
pub mod keys;
pub mod limits;
pub mod matrix;
pub mod onboarding;
pub mod overview;
pub mod partners;
pub mod playground;
pub mod portal;
pub mod trust;
pub mod usage;
pub mod users;

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(r) = use_context::<leptos_axum::ResponseOptions>() {
        r.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    // Signed in, the page keeps the console's frame and navigation.
    view! {
        <crate::components::Layout title="Page not found" open=true>
            <p>"Nothing lives at this address. " <A href="/">"Back to the start"</A></p>
        </crate::components::Layout>
    }
}
