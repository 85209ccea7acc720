//! Hydrates the console in the browser; everything else lives in `app`.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_broken_page();
    }));
    leptos::mount::hydrate_body(app::App);
    // What the browser suites wait for: the page answers clicks from here on.
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-hydrated", "true");
    }
}

/// After a panic (a page that failed to hydrate, or any bug) the app's state is broken and the
/// page ignores every click: say so and offer a reload — a plain link, which needs no wasm —
/// rather than leave a page that looks alive.
fn show_broken_page() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if document.get_element_by_id("page-broken").is_some() {
        return;
    }
    let Ok(banner) = document.create_element("div") else {
        return;
    };
    banner.set_id("page-broken");
    banner.set_class_name("page-broken");
    let _ = banner.set_attribute("role", "alert");
    // `target` makes the router (whose click handler still runs) leave the link to the browser.
    banner.set_inner_html(
        "Something went wrong on this page, and it no longer responds. \
         <a href=\"\" target=\"_self\">Reload the page</a>",
    );
    if let Some(body) = document.body() {
        let _ = body.prepend_with_node_1(&banner);
    }
}
