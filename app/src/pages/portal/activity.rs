//! The overview's activity section: requests per environment over 24 hours, rate limits with the
//! rate seen now, and the latest events about the partner.

use leptos::prelude::*;

use super::activity_api::Activity;
use crate::components::{ErrorBox, Line, TimeChart};
use crate::error::ConsoleError;

#[component]
pub fn ActivitySection(activity: Resource<Result<Activity, ConsoleError>>) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading activity…"</p> }>
            {move || Suspend::new(async move {
                match activity.await {
                    Ok(a) => view! { <ActivityView a=a/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ActivityView(a: Activity) -> impl IntoView {
    let steps: Vec<i64> = a
        .environments
        .first()
        .map(|e| e.hours.iter().map(|(t, _)| *t).collect())
        .unwrap_or_default();
    let quiet = a.environments.iter().all(|e| e.requests == 0);
    let lines: Vec<Line> = a
        .environments
        .iter()
        .map(|e| Line {
            name: e.environment.clone(),
            values: e.hours.iter().map(|(_, n)| *n as f64).collect(),
        })
        .collect();
    view! {
        <section aria-label="Usage">
            <h2>"Usage, last 24 hours"</h2>
            <div class="figures">
                {a.environments.iter().map(|e| view! {
                    <div class="figure card" data-testid=format!("usage-{}", e.environment)>
                        <span class="label">{format!("{} requests", e.environment)}</span>
                        <strong>{e.requests}</strong>
                        <span class="meta">{format!("{} tokens · {} refused · {} rate-limited", e.tokens, e.refused, e.rate_limited)}</span>
                    </div>
                }).collect_view()}
            </div>
            {if quiet {
                view! { <p class="empty">"No requests in the last 24 hours. Tokens you get in the sandbox, the playground's included, appear here within a minute."</p> }.into_any()
            } else {
                view! { <TimeChart label="Requests per hour by environment".to_owned() unit="per hour" steps=steps lines=lines/> }.into_any()
            }}
        </section>
        <section aria-label="Rate limits">
            <h2>"Rate limits"</h2>
            <p class="meta">"Requests over a limit are refused with HTTP 429 and a " <code>"Retry-After"</code> " header. Sandbox and production count apart."</p>
            <table>
                <thead><tr><th>"Applies to"</th><th>"Limit"</th><th>"Now (per second)"</th></tr></thead>
                <tbody>
                    {a.limits.into_iter().map(|l| view! {
                        <tr>
                            <td>{l.who} {l.client_id.map(|id| view! { " " <code class="meta">{id}</code> })}</td>
                            <td>{l.limit}</td>
                            <td>{format!("{} allowed, {} refused", l.allowed_now, l.refused_now)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <section aria-label="Recent events">
            <h2>"Recent events"</h2>
            {if a.events.is_empty() {
                view! { <p class="empty">"Nothing has happened yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="events">
                        {a.events.into_iter().map(|e| view! {
                            <li><span class="meta">{e.at}</span> " " <code>{e.action}</code> " by " {e.by}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
