//! The partners page: every partner organisation, and a form to add one.

pub mod api;
pub mod lifecycle;
pub mod tabs;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActionError, ErrorBox, Field, Layout, PagedTable, StageBadge, Submit};
use api::{CreatePartner, Lane, PAGE, PartnerList, partners_page};

/// The server's slug rule, run in the browser while typing (nothing while empty).
fn slug_problem(s: &str) -> Option<String> {
    (!s.is_empty())
        .then(|| entente_types::names::check_slug(s).err())
        .flatten()
}

/// Partners by lifecycle stage, left to right as onboarding proceeds.
#[component]
fn Pipeline(lanes: Vec<Lane>) -> impl IntoView {
    view! {
        <section class="pipeline" aria-label="Pipeline">
            <h2 class="visually-hidden">"Pipeline"</h2>
            {lanes.into_iter().map(|lane| {
                let more = lane.count.saturating_sub(lane.first.len() as i64);
                view! {
                    <div class=format!("lane lane-{}", lane.stage)>
                        <h3>{entente_types::stage::Stage::label_of(&lane.stage)} " " <span class="count">{lane.count}</span></h3>
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
    view! {
        <PagedTable headings=&["Slug", "Name", "Stage", "Created"] total=page.total offset=page.offset
            page=PAGE noun="partners" empty="Nothing matches the filter." set_offset=offset>
            {page.rows.into_iter().map(|p| view! {
                <tr>
                    <td><A href=format!("/partners/{}", p.slug)>{p.slug.clone()}</A></td>
                    <td>{p.name}</td>
                    <td><StageBadge stage=p.stage.clone()/></td>
                    <td>{p.created}</td>
                </tr>
            }).collect_view()}
        </PagedTable>
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
    // A successful create starts the form afresh.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (create.value().get(), form.get()) {
            f.reset();
            slug.set(String::new());
        }
    });
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
            {crate::components::may_change().then(|| view! {
                <section>
                    <h2>"New partner"</h2>
                    <ActionForm action=create attr:class="card" attr:id="new-partner" node_ref=form>
                        <Field label="Slug" help="How URLs, the CLI and the API name the partner; it never changes."
                            error=Signal::derive(problem)>
                            <input name="slug" required placeholder="acme" autocomplete="off"
                                aria-invalid=move || problem().is_some().to_string()
                                on:input=move |ev| slug.set(event_target_value(&ev))/>
                        </Field>
                        <Field label="Name"><input name="name" required placeholder="Acme Corp"/></Field>
                        <Field label="Starts as" help="Production is reached by promotion, which a second administrator approves.">
                            <select name="stage">
                                <option value="applied">"Applied (onboarding begins)"</option>
                                <option value="in_review">"In review"</option>
                                <option value="sandbox">"Sandbox (gets test tokens now)"</option>
                            </select>
                        </Field>
                        <Submit label="Create partner" busy="Creating…" pending=create.pending()
                            blocked=Signal::derive(move || problem().is_some())/>
                        <ActionError value=Signal::derive(move || create.value().get())/>
                        {move || match create.value().get() {
                            Some(Ok(slug)) => Some(view! { <p class="ok" role="status">"Created partner " {slug} "."</p> }),
                            _ => None,
                        }}
                    </ActionForm>
                </section>
            })}
        </Layout>
    }
}
