//! Entente's console: server-rendered, hydrated Leptos pages for administrators.

pub mod api;
pub mod api_federation;
pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The HTML document around the app (server side only renders it).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/entente.css"/>
        <Title text="Entente console"/>
        <Router>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/login") view=pages::login::Login/>
                <Route path=path!("/setup") view=pages::setup::Setup/>
                <Route path=path!("/") view=pages::partners::Partners/>
                <Route path=path!("/partners") view=pages::partners::Partners/>
                <Route path=path!("/partners/:slug") view=pages::clients::PartnerClients/>
                <Route path=path!("/partners/:slug/trust") view=pages::trust::TrustRules/>
                <Route path=path!("/audiences") view=pages::audiences::Audiences/>
                <Route path=path!("/keys") view=pages::keys::Keys/>
            </Routes>
        </Router>
    }
}
