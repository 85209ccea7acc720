//! The partners page: every partner organisation, and a form to add one.

pub mod api;
pub mod lifecycle;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ActionError, DataTable, ErrorBox, Layout};
use api::{CreatePartner, PartnerRow, list_partners};

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

const STAGES: [&str; 6] = [
    "applied",
    "in_review",
    "sandbox",
    "production",
    "suspended",
    "offboarded",
];
/// Partners named per stage column; the rest are counted.
const SHOWN: usize = 6;

/// Partners by lifecycle stage, left to right as onboarding proceeds.
#[component]
fn Pipeline(rows: Vec<PartnerRow>) -> impl IntoView {
    view! {
        <section class="pipeline" aria-label="Pipeline">
            {STAGES.iter().map(|stage| {
                let here: Vec<(String, String)> = rows
                    .iter()
                    .filter(|p| p.stage == *stage)
                    .map(|p| (p.slug.clone(), p.name.clone()))
                    .collect();
                let count = here.len();
                let more = count.saturating_sub(SHOWN);
                view! {
                    <div class=format!("lane lane-{stage}")>
                        <h3>{stage.replace('_', " ")} " " <span class="count">{count}</span></h3>
                        <ul>
                            {here.into_iter().take(SHOWN).map(|(slug, name)| view! {
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

#[component]
pub fn Partners() -> impl IntoView {
    let create = ServerAction::<CreatePartner>::new();
    let partners = Resource::new(move || create.version().get(), |_| list_partners());
    let slug = RwSignal::new(String::new());
    let problem = move || slug_problem(&slug.read());
    view! {
        <Layout title="Partners">
            <section>
                <Transition fallback=|| view! { <p class="loading" role="status">"Loading partners…"</p> }>
                    {move || Suspend::new(async move {
                        match partners.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <p class="empty">"No partners yet. Create the first one below, then give it a grant and a client."</p>
                            }
                            .into_any(),
                            Ok(rows) => view! {
                                <Pipeline rows=rows.clone()/>
                                <DataTable
                                    rows=rows
                                    label="Filter partners"
                                    headers=&["Slug", "Name", "Stage", "Created"]
                                    text=|p: &PartnerRow| format!("{} {} {}", p.slug, p.name, p.stage)
                                    row=|p: PartnerRow| {
                                        let href = format!("/partners/{}", p.slug);
                                        view! {
                                            <tr>
                                                <td><A href=href>{p.slug}</A></td>
                                                <td>{p.name}</td>
                                                <td><span class=format!("state stage-{}", p.stage)>{p.stage.clone()}</span></td>
                                                <td>{p.created}</td>
                                            </tr>
                                        }
                                    }
                                />
                            }
                            .into_any(),
                            Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
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
