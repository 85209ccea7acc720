//! One server-paged list for every list page: the rows of one page, an empty state, and a pager
//! that asks the server for another page (the page's resource follows `offset`).

use leptos::prelude::*;

/// Previous / "Page n of m (total noun)" / Next; hidden when everything fits on one page.
#[component]
pub fn Pager(
    /// Matching items on the server (all pages).
    total: u64,
    offset: u64,
    /// Items a page holds.
    page: u64,
    /// What the items are, plural ("partners").
    noun: &'static str,
    /// Set to ask for another page.
    set_offset: RwSignal<u64>,
    /// The navigation's accessible name.
    #[prop(default = "Pages")]
    label: &'static str,
) -> impl IntoView {
    let page = page.max(1);
    let pages = total.div_ceil(page).max(1);
    let current = offset / page + 1;
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                <button type="button" class="secondary" disabled={offset == 0}
                    on:click=move |_| set_offset.set(offset.saturating_sub(page))>"Previous"</button>
                <span aria-live="polite">{format!("Page {current} of {pages} ({total} {noun})")}</span>
                <button type="button" class="secondary" disabled={current >= pages}
                    on:click=move |_| set_offset.set(offset + page)>"Next"</button>
            </nav>
        }
    })
}

/// A table of one page of rows: `total` rows match on the server; this page starts at `offset`.
#[component]
pub fn PagedTable(
    /// Column headings.
    headings: &'static [&'static str],
    total: u64,
    offset: u64,
    /// Rows a page holds.
    page: u64,
    /// What the rows are, plural ("partners"), for the pager.
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
    if total == 0 {
        return view! { <p class="empty" role="status">{empty}</p> }.into_any();
    }
    view! {
        <table id=(!id.is_empty()).then_some(id)>
            <thead><tr>{headings.iter().map(|h| view! { <th scope="col">{*h}</th> }).collect_view()}</tr></thead>
            <tbody>{children()}</tbody>
        </table>
        <Pager total=total offset=offset page=page noun=noun set_offset=set_offset/>
    }
    .into_any()
}
