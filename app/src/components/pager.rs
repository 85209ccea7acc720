//! One server-paged table for every list page: the rows of one page, an empty state, and a pager
//! that asks the server for another page (the page's resource follows `offset`).

use leptos::prelude::*;

/// `total` rows match on the server; this page starts at `offset` and shows `rows`.
#[component]
pub fn PagedTable(
    /// Column headings.
    headings: &'static [&'static str],
    /// Matching rows on the server (all pages).
    total: u64,
    offset: u64,
    /// Rows a page holds.
    page: u64,
    /// What the rows are, plural ("partners"), for the pager and the empty state.
    noun: &'static str,
    /// Shown when nothing matches.
    empty: &'static str,
    /// Set to ask for another page.
    set_offset: RwSignal<u64>,
    /// The table's id, for links and tests.
    #[prop(optional)]
    id: &'static str,
    /// The `<tr>` rows of this page.
    children: Children,
) -> impl IntoView {
    let page = page.max(1);
    let pages = total.div_ceil(page).max(1);
    let current = offset / page + 1;
    if total == 0 {
        return view! { <p class="empty" role="status">{empty}</p> }.into_any();
    }
    view! {
        <table id=(!id.is_empty()).then_some(id)>
            <thead><tr>{headings.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr></thead>
            <tbody>{children()}</tbody>
        </table>
        {(pages > 1).then(|| view! {
            <nav class="pager" aria-label="Pages">
                <button type="button" disabled={offset == 0}
                    on:click=move |_| set_offset.set(offset.saturating_sub(page))>"Previous"</button>
                <span aria-live="polite">{format!("Page {current} of {pages} ({total} {noun})")}</span>
                <button type="button" disabled={current >= pages}
                    on:click=move |_| set_offset.set(offset + page)>"Next"</button>
            </nav>
        })}
    }
    .into_any()
}
