//! The partner page's tabs: one page per concern instead of one long scroll. They are links
//! (`?tab=`), so each tab has an address, the back button works and nothing needs JavaScript.

use leptos::prelude::*;

/// (tab, label); Trust is a page of its own under the partner.
const TABS: [(&str, &str); 7] = [
    ("overview", "Overview"),
    ("clients", "Clients"),
    ("grants", "Grants"),
    ("trust", "Trust"),
    ("users", "Users"),
    ("usage", "Usage"),
    ("danger", "Danger zone"),
];

/// The tab named by `?tab=`, or Overview for anything else.
pub fn tab_named(asked: Option<String>) -> &'static str {
    asked
        .and_then(|a| TABS.iter().find(|(t, _)| *t == a).map(|(t, _)| *t))
        .unwrap_or("overview")
}

fn href(slug: &str, tab: &str) -> String {
    match tab {
        "overview" => format!("/partners/{slug}"),
        "trust" => format!("/partners/{slug}/trust"),
        t => format!("/partners/{slug}?tab={t}"),
    }
}

#[component]
pub fn PartnerTabs(
    #[prop(into)] slug: Signal<String>,
    current: Signal<&'static str>,
) -> impl IntoView {
    view! {
        <nav class="tabs" aria-label="Partner">
            {TABS.iter().map(|(tab, label)| {
                let tab = *tab;
                view! {
                    <a href=move || href(&slug.get(), tab)
                        class=move || match (current.get() == tab, tab == "danger") {
                            (true, true) => "tab current danger",
                            (true, false) => "tab current",
                            (false, true) => "tab danger",
                            (false, false) => "tab",
                        }
                        aria-current=move || (current.get() == tab).then_some("page")>
                        {*label}
                    </a>
                }
            }).collect_view()}
        </nav>
    }
}
