//! The signing keys page.

pub mod api;

use leptos::prelude::*;

use crate::components::{ErrorBox, Layout};
use api::list_keys;

#[component]
pub fn Keys() -> impl IntoView {
    let keys = Resource::new(|| (), |_| list_keys());
    view! {
        <Layout title="Signing keys">
            <p class="subtitle">"Pending keys are published before they sign; retiring keys stay published until every token they signed has expired."</p>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">"No signing keys yet: the server creates one when it starts."</p> }.into_any(),
                        Ok(rows) => view! {
                            <table>
                                <thead><tr><th>"Key ID (RFC 7638 thumbprint)"</th><th>"Algorithm"</th><th>"State"</th><th>"Created"</th><th>"In this state since"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|k| {
                                        let class = format!("state state-{}", k.state);
                                        view! {
                                            <tr>
                                                <td><code>{k.kid}</code></td>
                                                <td>{k.algorithm}</td>
                                                <td><span class=class>{k.state}</span></td>
                                                <td>{k.created}</td>
                                                <td>{k.state_since}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}
