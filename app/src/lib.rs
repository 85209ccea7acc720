//! Entente's console: server-rendered, hydrated Leptos pages for administrators. Pages are
//! grouped by area with their server functions beside them (`pages/<area>/api.rs`); `ssr/`
//! holds server-only infrastructure.

pub mod account;
pub mod components;
pub mod error;
pub mod pages;
mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags};

pub use routes::App;

/// The HTML document around the app (server side only renders it).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="data:,"/>
                // Named by its content's hash (`hash-files`), like the wasm and its glue.
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}
