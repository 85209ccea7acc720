//! The audiences page: the APIs Entente issues tokens for, with their scopes.

pub mod api;

use leptos::prelude::*;

use crate::components::{ActionError, ErrorBox, Layout};
use api::{CreateAudience, list_audiences};

#[component]
pub fn Audiences() -> impl IntoView {
    let create = ServerAction::<CreateAudience>::new();
    let audiences = Resource::new(move || create.version().get(), |_| list_audiences());
    let ident = RwSignal::new(String::new());
    let problem = move || {
        let v = ident.read();
        let ok = v.is_empty()
            || ["https://", "http://", "urn:"]
                .iter()
                .any(|p| v.starts_with(p) && v.len() > p.len());
        (!ok).then_some("an absolute URI: https://…, http://… or urn:…")
    };
    view! {
        <Layout title="Audiences and scopes">
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading audiences…"</p> }>
                {move || Suspend::new(async move {
                    match audiences.await {
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="empty">"No audiences yet. Register each API Entente issues tokens for, with its scopes."</p>
                        }.into_any(),
                        Ok(rows) => view! {
                            <table>
                                <thead><tr><th>"Identifier"</th><th>"Name"</th><th>"Scopes"</th><th>"Token lifetime"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|a| view! {
                                        <tr>
                                            <td><code>{a.identifier}</code></td>
                                            <td>{a.name}</td>
                                            <td>{a.scopes.join(" ")}</td>
                                            <td>{format!("{} s", a.token_lifetime)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            <section>
                <h2>"New audience"</h2>
                <ActionForm action=create attr:class="card">
                    <label>"Identifier"
                        <input name="identifier" required placeholder="https://api.example.com"
                            aria-invalid=move || problem().is_some().to_string()
                            on:input=move |ev| ident.set(event_target_value(&ev))/>
                    </label>
                    {move || problem().map(|p| view! { <p class="field-error">{p}</p> })}
                    <label>"Name" <input name="name" placeholder="Orders API"/></label>
                    <label>"Scopes (space-separated)" <input name="scopes" required placeholder="orders:read orders:write"/></label>
                    <label>"Token lifetime (seconds)" <input name="token_lifetime" type="number" min="30" max="86400" value="300" required/></label>
                    <button type="submit" disabled=move || create.pending().get() || problem().is_some()>"Create audience"</button>
                    <ActionError value=Signal::derive(move || create.value().get())/>
                </ActionForm>
            </section>
        </Layout>
    }
}
