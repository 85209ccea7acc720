//! The audiences page: the APIs Entente issues tokens for, with their scopes.

pub mod api;

use leptos::prelude::*;

use crate::components::{
    ActionDone, ActionError, ConfirmSubmit, ErrorBox, Field, Layout, PagedTable, Submit,
};
use crate::pages::matrix::api::SetScopeInfo;
use api::{
    AddAudienceScopes, AudienceList, AudienceRow, CreateAudience, DeleteAudience, PAGE,
    RemoveAudienceScope, list_audiences,
};

/// The changes an audience's row offers.
#[derive(Clone, Copy)]
struct Edits {
    add: ServerAction<AddAudienceScopes>,
    describe: ServerAction<SetScopeInfo>,
    remove: ServerAction<RemoveAudienceScope>,
    delete: ServerAction<DeleteAudience>,
}

impl Edits {
    fn version(&self) -> (usize, usize, usize) {
        (
            self.add.version().get() + self.describe.version().get(),
            self.remove.version().get(),
            self.delete.version().get(),
        )
    }
}

/// The server's scope-list rule, run in the browser while typing (nothing while empty).
fn scopes_problem(v: &str) -> Option<String> {
    (!v.trim().is_empty())
        .then(|| entente_types::names::check_scope_list(v).err())
        .flatten()
}

/// The server's identifier rule, run in the browser while typing (nothing while empty).
fn identifier_problem(v: &str) -> Option<String> {
    (!v.is_empty())
        .then(|| entente_types::names::check_audience_identifier(v).err())
        .flatten()
}

#[component]
fn AudienceTable(
    list: AudienceList,
    offset: RwSignal<u64>,
    filtered: bool,
    edits: Edits,
) -> impl IntoView {
    let change = crate::components::may_change();
    let empty = if filtered {
        "Nothing matches the filter."
    } else {
        "No audiences yet. Register each API Entente issues tokens for, with its scopes."
    };
    view! {
        <PagedTable headings=if change { &["Identifier", "Name", "Environment", "Scopes", "Token lifetime", "Change"] } else { &["Identifier", "Name", "Environment", "Scopes", "Token lifetime"] } total=list.total
            offset=list.offset page=PAGE noun="audiences" empty=empty set_offset=offset>
            {list.rows.into_iter().map(|a| {
                let edit = change.then(|| view! { <td><EditAudience a=a.clone() edits=edits/></td> });
                view! {
                    <tr>
                        <td><code>{a.identifier}</code></td>
                        <td>{a.name}</td>
                        <td><span class=format!("env env-{}", a.environment)>{a.environment.clone()}</span></td>
                        <td>{a.scopes.join(" ")}</td>
                        <td>{format!("{} s", a.token_lifetime)}</td>
                        {edit}
                    </tr>
                }
            }).collect_view()}
        </PagedTable>
    }
}

/// An audience's scopes added and removed, and the audience deleted, each asking first where
/// it cannot be undone; the server refuses what is in use and says by whom.
#[component]
fn EditAudience(a: AudienceRow, edits: Edits) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let problem = Signal::derive(move || scopes_problem(&typed.read()));
    let id = a.identifier.clone();
    let chips = a
        .scopes
        .clone()
        .into_iter()
        .map(|s| {
            let id = id.clone();
            view! {
                <li>
                    <ActionForm action=edits.remove attr:class="chip-form">
                        <input type="hidden" name="audience" value=id/>
                        <input type="hidden" name="scope" value=s.clone()/>
                        <code>{s.clone()}</code>
                        <ConfirmSubmit label=format!("Remove {s}") class="secondary" question="Remove this scope? Only a scope no grant or trust rule uses can go."/>
                    </ActionForm>
                </li>
            }
        })
        .collect_view();
    let (add_id, delete_id) = (id.clone(), id);
    view! {
        <details class="edit">
            <summary>{format!("Edit {}", a.name)}</summary>
            <ActionForm action=edits.add attr:class="inline-form">
                <input type="hidden" name="audience" value=add_id/>
                <Field label="Add scopes" error=problem>
                    <input name="scopes" required placeholder="orders:cancel" spellcheck="false"
                        aria-invalid=move || problem.get().is_some().to_string()
                        on:input=move |ev| typed.set(event_target_value(&ev))/>
                </Field>
                <Submit label="Add" busy="Adding…" pending=edits.add.pending() blocked=Signal::derive(move || problem.get().is_some())/>
            </ActionForm>
            <ul class="scope-chips">{chips}</ul>
            <Describe a=a.clone() describe=edits.describe/>
            <ActionForm action=edits.delete>
                <input type="hidden" name="audience" value=delete_id/>
                <ConfirmSubmit label=format!("Delete {}", a.name) class="danger"
                    question="Delete this audience and its scopes? Only an audience no grant, trust rule or API client uses can go."/>
            </ActionForm>
        </details>
    }
}

/// A scope's description (what partners read in the portal and the matrix shows on its column)
/// and sensitivity, chosen from the audience's scopes and prefilled with what is saved.
#[component]
fn Describe(a: AudienceRow, describe: ServerAction<SetScopeInfo>) -> impl IntoView {
    let scopes = StoredValue::new(
        a.scopes
            .iter()
            .cloned()
            .zip(a.described.iter().cloned())
            .collect::<Vec<_>>(),
    );
    let chosen = RwSignal::new(a.scopes.first().cloned().unwrap_or_default());
    let saved = move || {
        scopes.with_value(|all| {
            all.iter()
                .find(|(s, _)| *s == chosen.get())
                .map(|(_, d)| d.clone())
                .unwrap_or_default()
        })
    };
    let description = RwSignal::new(String::new());
    let sensitivity = RwSignal::new(String::new());
    Effect::new(move || {
        let (d, s) = saved();
        description.set(d);
        sensitivity.set(if s.is_empty() { "low".into() } else { s });
    });
    let too_long = Signal::derive(move || {
        (description.read().chars().count() > 500).then(|| "at most 500 characters".to_owned())
    });
    let ids = format!(
        "describe-{}",
        a.identifier
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    (!a.scopes.is_empty()).then(|| view! {
        <ActionForm action=describe attr:class="inline-form describe-scope" attr:aria-label=format!("Describe a scope of {}", a.name)>
            <input type="hidden" name="audience" value=a.identifier.clone()/>
            <label for=format!("{ids}-scope")>"Describe scope"
                <select id=format!("{ids}-scope") name="scope" prop:value=move || chosen.get()
                    on:change=move |ev| chosen.set(event_target_value(&ev))>
                    {a.scopes.iter().map(|s| view! { <option value=s.clone()>{s.clone()}</option> }).collect_view()}
                </select>
            </label>
            <Field label="Description" error=too_long>
                <input name="description" maxlength="500" placeholder="Read orders and their lines"
                    prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))/>
            </Field>
            <label for=format!("{ids}-sensitivity")>"Sensitivity"
                <select id=format!("{ids}-sensitivity") name="sensitivity" prop:value=move || sensitivity.get()
                    on:change=move |ev| sensitivity.set(event_target_value(&ev))>
                    <option value="low">"low"</option>
                    <option value="medium">"medium"</option>
                    <option value="high">"high"</option>
                </select>
            </label>
            <Submit label="Save description" busy="Saving…" pending=describe.pending() blocked=Signal::derive(move || too_long.get().is_some())/>
        </ActionForm>
    })
}

#[component]
pub fn Audiences() -> impl IntoView {
    let create = ServerAction::<CreateAudience>::new();
    let edits = Edits {
        add: ServerAction::new(),
        describe: ServerAction::new(),
        remove: ServerAction::new(),
        delete: ServerAction::new(),
    };
    let filter = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let audiences = Resource::new(
        move || {
            (
                filter.get(),
                offset.get(),
                create.version().get(),
                edits.version(),
            )
        },
        |(f, o, ..)| list_audiences(f, o),
    );
    let ident = RwSignal::new(String::new());
    let problem = move || identifier_problem(&ident.read());
    let typed = RwSignal::new(String::new());
    let scopes_error = Signal::derive(move || scopes_problem(&typed.read()));
    // A successful create starts the form afresh, ready for the next API.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let (Some(Ok(_)), Some(f)) = (create.value().get(), form.get()) {
            f.reset();
            ident.set(String::new());
            typed.set(String::new());
        }
    });
    view! {
        <Layout title="Audiences and scopes">
            // What the last change did, above the list it changed.
            <ActionDone value=Signal::derive(move || edits.add.value().get())/>
            <ActionError value=Signal::derive(move || edits.add.value().get())/>
            <ActionDone value=Signal::derive(move || edits.describe.value().get())/>
            <ActionError value=Signal::derive(move || edits.describe.value().get())/>
            <ActionDone value=Signal::derive(move || edits.remove.value().get())/>
            <ActionError value=Signal::derive(move || edits.remove.value().get())/>
            <ActionDone value=Signal::derive(move || edits.delete.value().get())/>
            <ActionError value=Signal::derive(move || edits.delete.value().get())/>
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
                            view! { <AudienceTable list=list offset=offset filtered=filtered edits=edits/> }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {crate::components::may_change().then(|| view! {
                <section>
                    <h2>"New audience"</h2>
                    <ActionForm action=create attr:class="card" node_ref=form>
                        <Field label="Identifier" help="The value tokens carry in aud: the API's URL, or a URN."
                            error=Signal::derive(problem)>
                            <input name="identifier" required placeholder="https://api.example.com"
                                aria-invalid=move || problem().is_some().to_string()
                                on:input=move |ev| ident.set(event_target_value(&ev))/>
                        </Field>
                        <Field label="Name"><input name="name" placeholder="Orders API"/></Field>
                        <Field label="Scopes (space-separated)" help="Describe them and set their sensitivity from the audience's Edit; the scope matrix shows both on each column."
                            error=scopes_error>
                            <input name="scopes" required placeholder="orders:read orders:write" spellcheck="false"
                                aria-invalid=move || scopes_error.get().is_some().to_string()
                                on:input=move |ev| typed.set(event_target_value(&ev))/>
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
                            blocked=Signal::derive(move || problem().is_some() || scopes_error.get().is_some())/>
                        <ActionError value=Signal::derive(move || create.value().get())/>
                    </ActionForm>
                </section>
            })}
        </Layout>
    }
}
