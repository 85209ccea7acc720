//! The console's home: partners by stage, change requests waiting, and what happened lately.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;

use crate::components::{ErrorBox, Layout};
use api::overview;

#[component]
pub fn Overview() -> impl IntoView {
    let data = Resource::new(|| (), |_| overview());
    view! {
        <Layout title="Overview">
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the overview…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(o) => {
                            let total: i64 = o.stages.iter().map(|(_, n)| n).sum();
                            view! {
                                <section aria-label="Partners by stage">
                                    <h2>"Partners " <span class="meta">{total} " in all · "</span> <A href="/partners">"see all"</A></h2>
                                    <div class="stage-counts">
                                        {o.stages.into_iter().map(|(stage, n)| view! {
                                            <div class=format!("stage-count lane-{stage}")>
                                                <span class="n">{n}</span>
                                                <span class="label">{entente_types::stage::Stage::label_of(&stage)}</span>
                                            </div>
                                        }).collect_view()}
                                    </div>
                                    {(total == 0).then(|| view! {
                                        <p class="empty">"No partners yet. " <A href="/partners">"Create the first one"</A> "."</p>
                                    })}
                                </section>
                                <section aria-label="Waiting for approval">
                                    <h2>"Waiting for approval " <span class="meta">{o.pending_total}</span></h2>
                                    {if o.pending.is_empty() {
                                        view! { <p class="empty">"Nothing waits for approval."</p> }.into_any()
                                    } else {
                                        view! {
                                            <ul class="plain">
                                                {o.pending.into_iter().map(|p| view! {
                                                    <li>
                                                        <A href=format!("/changes?partner={}", p.partner)>"#" {p.id} " " {p.summary}</A>
                                                        <span class="meta">" — " {p.requested_by}</span>
                                                    </li>
                                                }).collect_view()}
                                            </ul>
                                            <p><A href="/changes">"All change requests"</A></p>
                                        }.into_any()
                                    }}
                                </section>
                                <section aria-label="Recent events">
                                    <h2>"Recent events"</h2>
                                    {if o.recent.is_empty() {
                                        view! { <p class="empty">"Nothing has happened yet."</p> }.into_any()
                                    } else {
                                        view! {
                                            <table>
                                                <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th></tr></thead>
                                                <tbody>
                                                    {o.recent.into_iter().map(|e| view! {
                                                        <tr>
                                                            <td class="nowrap">{e.at}</td>
                                                            <td>{e.actor}</td>
                                                            <td><code>{e.action}</code></td>
                                                            <td>{match e.partner {
                                                                Some(p) => view! { <A href=format!("/partners/{p}")>{e.target}</A> }.into_any(),
                                                                None => view! { <span>{e.target}</span> }.into_any(),
                                                            }}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                            <p><A href="/audit">"The whole audit log"</A></p>
                                        }.into_any()
                                    }}
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}
