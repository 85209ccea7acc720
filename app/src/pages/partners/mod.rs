//! The partners page: every partner organisation, and a form to add one.

pub mod api;
pub mod lifecycle;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActionError, ErrorBox, Layout};
use api::{CreatePartner, Lane, PAGE, PartnerList, partners_page};

/// Client-side twin of the server's slug rule, for inline feedback while typing.
fn slug_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() {
        return None;
    }
    let ok = (2..=63).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    (!ok).then_some("2–63 characters of a–z, 0–9 and '-', starting with a letter")
}

/// Partners by lifecycle stage, left to right as onboarding proceeds.
#[component]
fn Pipeline(lanes: Vec<Lane>) -> impl IntoView {
    view! {
        <section class="pipeline" aria-label="Pipeline">
            {lanes.into_iter().map(|lane| {
                let more = lane.count.saturating_sub(lane.first.len() as i64);
                view! {
                    <div class=format!("lane lane-{}", lane.stage)>
                        <h3>{lane.stage.replace('_', " ")} " " <span class="count">{lane.count}</span></h3>
                        <ul>
                            {lane.first.into_iter().map(|(slug, name)| view! {
                                <li><A href=format!("/partners/{slug}")>{name}</A></li>
                            }).collect_view()}
                        </ul>
                        {(more > 0).then(|| view! { <p class="meta">"and " {more} " more"</p> })}
                    </div>
                }
            }).collect_view()}
        </section>
    }
}

/// One page of the filtered partners, with a pager when there are more.
#[component]
fn PartnerTable(page: PartnerList, offset: RwSignal<u64>) -> impl IntoView {
    let (from, total) = (page.offset, page.total);
    let pages = total.div_ceil(PAGE).max(1);
    let current = from / PAGE + 1;
    view! {
        {(total == 0).then(|| view! { <p class="empty" role="status">"Nothing matches the filter."</p> })}
        {(total > 0).then(|| view! {
            <table>
                <thead><tr><th>"Slug"</th><th>"Name"</th><th>"Stage"</th><th>"Created"</th></tr></thead>
                <tbody>
                    {page.rows.into_iter().map(|p| view! {
                        <tr>
                            <td><A href=format!("/partners/{}", p.slug)>{p.slug.clone()}</A></td>
                            <td>{p.name}</td>
                            <td><span class=format!("state stage-{}", p.stage)>{p.stage.clone()}</span></td>
                            <td>{p.created}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
        {(pages > 1).then(|| view! {
            <nav class="pager" aria-label="Pages">
                <button type="button" disabled=from == 0 on:click=move |_| offset.set(from.saturating_sub(PAGE))>"Previous"</button>
                <span>{format!("Page {current} of {pages} ({total} partners)")}</span>
                <button type="button" disabled=current == pages on:click=move |_| offset.set(from + PAGE)>"Next"</button>
            </nav>
        })}
    }
}

#[component]
pub fn Partners() -> impl IntoView {
    let create = ServerAction::<CreatePartner>::new();
    let filter = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let partners = Resource::new(
        move || (filter.get(), offset.get(), create.version().get()),
        |(f, o, _)| partners_page(f, o),
    );
    let slug = RwSignal::new(String::new());
    let problem = move || slug_problem(&slug.read());
    view! {
        <Layout title="Partners">
            <section>
                <Transition fallback=|| view! { <p class="loading" role="status">"Loading partners…"</p> }>
                    {move || Suspend::new(async move {
                        match partners.await {
                            Ok(page) if page.pipeline.iter().all(|l| l.count == 0) => view! {
                                <p class="empty">"No partners yet. Create the first one below, then give it a grant and a client."</p>
                            }
                            .into_any(),
                            Ok(page) => view! { <Pipeline lanes=page.pipeline.clone()/> }.into_any(),
                            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                        }
                    })}
                </Transition>
                // The filter stays outside the refreshed part: typing never loses focus.
                <label class="filter">"Filter partners"
                    <input type="search" autocomplete="off" placeholder="slug or name"
                        prop:value=move || filter.get()
                        on:input=move |ev| {
                            filter.set(event_target_value(&ev));
                            offset.set(0);
                        }/>
                </label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match partners.await {
                            Ok(page) => view! { <PartnerTable page=page offset=offset/> }.into_any(),
                            Err(_) => ().into_any(),
                        }
                    })}
                </Transition>
            </section>
            <section>
                <h2>"New partner"</h2>
                <ActionForm action=create attr:class="card" attr:id="new-partner">
                    <label>"Slug"
                        <input name="slug" required placeholder="acme" autocomplete="off"
                            aria-invalid=move || problem().is_some().to_string()
                            on:input=move |ev| slug.set(event_target_value(&ev))/>
                    </label>
                    {move || problem().map(|p| view! { <p class="field-error">{p}</p> })}
                    <label>"Name" <input name="name" required placeholder="Acme Corp"/></label>
                    <label>"Starts as"
                        <select name="stage">
                            <option value="applied">"applied (onboarding begins)"</option>
                            <option value="in_review">"in review"</option>
                            <option value="sandbox">"sandbox (gets test tokens now)"</option>
                        </select>
                    </label>
                    <p class="meta">"Production is reached by promotion, which a second administrator approves."</p>
                    <button type="submit" disabled=move || create.pending().get() || problem().is_some()>
                        {move || if create.pending().get() { "Creating…" } else { "Create partner" }}
                    </button>
                    <ActionError value=Signal::derive(move || create.value().get())/>
                    {move || match create.value().get() {
                        Some(Ok(slug)) => Some(view! { <p class="ok" role="status">"Created partner " {slug} "."</p> }),
                        _ => None,
                    }}
                </ActionForm>
            </section>
        </Layout>
    }
}
