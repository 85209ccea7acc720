//! A partner's stage as a badge: the same words and colour on every page.

use leptos::prelude::*;

/// `stage` is the wire form (`in_review`); the badge reads "In review".
#[component]
pub fn StageBadge(#[prop(into)] stage: String) -> impl IntoView {
    let label = entente_types::stage::Stage::label_of(&stage);
    view! { <span class=format!("state stage-{stage}")>{label}</span> }
}
