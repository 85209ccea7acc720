//! The audiences page: the APIs Entente issues tokens for, with their scopes.

pub mod api;

use leptos::prelude::*;

use crate::components::{ActionError, ErrorBox, Field, Layout, PagedTable, Submit};
use api::{AudienceList, CreateAudience, PAGE, list_audiences};

/// The server's identifier rule, run in the browser while typing (nothing while empty).
fn identifier_problem(v: &str) -> Option<String> {
    (!v.is_empty())
        .then(|| entente_types::names::check_audience_identifier(v).err())
        .flatten()
}

#[component]
fn AudienceTable(list: AudienceList, offset: RwSignal<u64>, filtered: bool) -> impl IntoView {
    let empty = if filtered {
        "Nothing matches the filter."
    } else {
        "No audiences yet. Register each API Entente issues tokens for, with its scopes."
    };
    view! {
        <PagedTable headings=&["Identifier", "Name", "Environment", "Scopes", "Token lifetime"] total=list.total
            offset=list.offset page=PAGE noun="audiences" empty=empty set_offset=offset>
            {list.rows.into_iter().map(|a| view! {
                <tr>
                    <td><code>{a.identifier}</code></td>
                    <td>{a.name}</td>
                    <td><span class=format!("env env-{}", a.environment)>{a.environment.clone()}</span></td>
                    <td>{a.scopes.join(" ")}</td>
                    <td>{format!("{} s", a.token_lifetime)}</td>
                </tr>
            }).collect_view()}
        </PagedTable>
    }
}

#[component]
pub fn Audiences() -> impl IntoView {
    let create = ServerAction::<CreateAudience>::new();
    let filter = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let audiences = Resource::new(
        move || (filter.get(), offset.get(), create.version().get()),
        |(f, o, _)| list_audiences(f, o),
    );
    let ident = RwSignal::new(String::new());
    let problem = move || identifier_problem(&ident.read());
    view! {
        <Layout title="Audiences and scopes">
            // The filter stays outside the refreshed part: typing never loses focus.
            <label class="filter">"Filter audiences"
                <input type="search" autocomplete="off" placeholder="identifier or name"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        offset.set(0);
                    }/>
            </label>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading audiences…"</p> }>
                {move || Suspend::new(async move {
                    match audiences.await {
                        Ok(list) => {
                            let filtered = !filter.get_untracked().trim().is_empty();
                            view! { <AudienceTable list=list offset=offset filtered=filtered/> }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {crate::components::may_change().then(|| view! {
                <section>
                    <h2>"New audience"</h2>
                    <ActionForm action=create attr:class="card">
                        <Field label="Identifier" help="The value tokens carry in aud: the API's URL, or a URN."
                            error=Signal::derive(problem)>
                            <input name="identifier" required placeholder="https://api.example.com"
                                aria-invalid=move || problem().is_some().to_string()
                                on:input=move |ev| ident.set(event_target_value(&ev))/>
                        </Field>
                        <Field label="Name"><input name="name" placeholder="Orders API"/></Field>
                        <Field label="Scopes (space-separated)" help="Describe them and set their sensitivity on the scope matrix.">
                            <input name="scopes" required placeholder="orders:read orders:write"/>
                        </Field>
                        <Field label="Token lifetime (seconds)" help="30 seconds to 24 hours.">
                            <input name="token_lifetime" type="number" min="30" max="86400" value="300" required/>
                        </Field>
                        <Field label="Environment" help="A sandbox audience takes sandbox tokens only, from sandbox clients; it cannot be changed later.">
                            <select name="environment">
                                <option value="production" selected>"Production"</option>
                                <option value="sandbox">"Sandbox"</option>
                            </select>
                        </Field>
                        <Submit label="Create audience" busy="Creating…" pending=create.pending()
                            blocked=Signal::derive(move || problem().is_some())/>
                        <ActionError value=Signal::derive(move || create.value().get())/>
                    </ActionForm>
                </section>
            })}
        </Layout>
    }
}
