//! A table with a text filter and paging, for lists that grow (partners now; audit events,
//! change requests and usage later).

use leptos::prelude::*;

/// Shows `rows` `page_size` at a time; the filter keeps rows whose `text` contains what was
/// typed (case-insensitive) and returns to the first page. `row` renders one `<tr>`.
#[component]
pub fn DataTable<T, R, IV>(
    rows: Vec<T>,
    headers: &'static [&'static str],
    /// What the filter searches in a row.
    text: fn(&T) -> String,
    row: R,
    /// Accessible name of the filter box, e.g. "Filter partners".
    label: &'static str,
    #[prop(default = 20)] page_size: usize,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    R: Fn(T) -> IV + Clone + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let filter = RwSignal::new(String::new());
    let page = RwSignal::new(0usize);
    let rows = StoredValue::new(rows);
    let matching = Signal::derive(move || {
        let f = filter.read().trim().to_lowercase();
        rows.with_value(|all| {
            all.iter()
                .filter(|r| f.is_empty() || text(r).to_lowercase().contains(&f))
                .cloned()
                .collect::<Vec<T>>()
        })
    });
    let total = move || matching.with(Vec::len);
    let pages = move || total().div_ceil(page_size).max(1);
    view! {
        <div class="datatable">
            <label class="filter">{label}
                <input type="search" autocomplete="off"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        page.set(0);
                    }/>
            </label>
            <table>
                <thead><tr>{headers.iter().map(|h| view! { <th>{*h}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {move || {
                        let first = page.get() * page_size;
                        matching
                            .get()
                            .into_iter()
                            .skip(first)
                            .take(page_size)
                            .map(row.clone())
                            .collect_view()
                    }}
                </tbody>
            </table>
            <Show when=move || total() == 0>
                <p class="empty" role="status">"Nothing matches the filter."</p>
            </Show>
            <Show when=move || { pages() > 1 }>
                <nav class="pager" aria-label="Pages">
                    <button type="button" disabled=move || { page.get() == 0 }
                        on:click=move |_| page.update(|p| *p = p.saturating_sub(1))>"Previous"</button>
                    <span>{move || format!("Page {} of {} ({} rows)", page.get() + 1, pages(), total())}</span>
                    // Braces: a bare `>=` would end the tag in the view macro.
                    <button type="button" disabled=move || { page.get() + 1 >= pages() }
                        on:click=move |_| page.update(|p| *p += 1)>"Next"</button>
                </nav>
            </Show>
        </div>
    }
}
