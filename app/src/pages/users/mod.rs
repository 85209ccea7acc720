//! Console users: everyone who may sign in, with their role. Administrators change roles,
//! disable access (after a confirmation) and invite new users with a one-time link.

pub mod api;

use entente_types::role::Role;
use leptos::prelude::*;

use crate::components::{
    ActionDone, ActionError, ConfirmSubmit, CopyButton, EmailField, ErrorBox, Field, Layout,
    PagedTable, Submit, email_problem,
};
use api::{
    InvitationRow, InviteConsoleUser, PAGE, RevokeConsoleInvite, SetUserAccess, UserRow,
    list_console_users,
};

/// Console users' roles: the shared vocabulary's, as the server checks them.
const ROLES: [Role; 3] = Role::STAFF;

#[component]
pub fn Users() -> impl IntoView {
    let set = ServerAction::<SetUserAccess>::new();
    let invite = ServerAction::<InviteConsoleUser>::new();
    let revoke = ServerAction::<RevokeConsoleInvite>::new();
    let filter = RwSignal::new(String::new());
    let offset = RwSignal::new(0u64);
    let data = Resource::new(
        move || {
            (
                filter.get(),
                offset.get(),
                set.version().get(),
                invite.version().get(),
                revoke.version().get(),
            )
        },
        |(f, o, ..)| list_console_users(f, o),
    );
    view! {
        <Layout title="Console users">
            <label class="filter">"Filter users"
                <input type="search" autocomplete="off" placeholder="e-mail or role"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        offset.set(0);
                    }/>
            </label>
            <ActionError value=Signal::derive(move || set.value().get())/>
            <ActionDone value=Signal::derive(move || set.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading console users…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => {
                            let manage = page.can_manage;
                            let headings: &'static [&'static str] = if manage {
                                &["E-mail", "Role", "Access", "Since", "Change"]
                            } else {
                                &["E-mail", "Role", "Access", "Since"]
                            };
                            view! {
                                <PagedTable id="users" headings=headings total=page.total offset=page.offset
                                    page=PAGE noun="users" empty="Nothing matches the filter." set_offset=offset>
                                    {page.users.into_iter().map(|u| view! { <UserLine u=u manage=manage set=set/> }).collect_view()}
                                </PagedTable>
                                <Invitations rows=page.invitations manage=manage revoke=revoke/>
                                {manage.then(|| view! { <Invite invite=invite/> })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

#[component]
fn UserLine(u: UserRow, manage: bool, set: ServerAction<SetUserAccess>) -> impl IntoView {
    let editable = manage && !u.me;
    let role = u.role.clone();
    let email = u.email.clone();
    view! {
        <tr>
            <td>{u.email.clone()} {u.me.then(|| view! { <span class="meta">" (you)"</span> })}</td>
            <td>{u.role.clone()}</td>
            <td>{if u.enabled { "can sign in" } else { "disabled" }}</td>
            <td>{u.created.clone()}</td>
            {manage.then(|| if editable {
                let email2 = email.clone();
                view! {
                    <td class="user-actions">
                        <ActionForm action=set>
                            <input type="hidden" name="email" value=email.clone()/>
                            <input type="hidden" name="enabled" value=u.enabled.to_string()/>
                            <label class="inline">"Role "
                                <select name="role">
                                    {ROLES.iter().map(|r| view! { <option value=r.as_str() selected=role == r.as_str()>{r.describe()}</option> }).collect_view()}
                                </select>
                            </label>
                            <button type="submit" class="secondary">"Save role"</button>
                        </ActionForm>
                        <ActionForm action=set>
                            <input type="hidden" name="email" value=email2/>
                            <input type="hidden" name="role" value=u.role.clone()/>
                            <input type="hidden" name="enabled" value=(!u.enabled).to_string()/>
                            <ConfirmSubmit
                                label=if u.enabled { "Disable" } else { "Enable" }
                                question="Disable this console user? They are signed out at once and cannot sign in."
                                ask=u.enabled
                                class=if u.enabled { "danger" } else { "secondary" }
                            />
                        </ActionForm>
                    </td>
                }.into_any()
            } else {
                view! { <td class="meta">"—"</td> }.into_any()
            })}
        </tr>
    }
}

/// Invitations not used yet, each withdrawable (after a confirmation) by an administrator.
#[component]
fn Invitations(
    rows: Vec<InvitationRow>,
    manage: bool,
    revoke: ServerAction<RevokeConsoleInvite>,
) -> impl IntoView {
    view! {
        <section aria-label="Pending invitations">
            <h2>"Pending invitations"</h2>
            <ActionError value=Signal::derive(move || revoke.value().get())/>
            <ActionDone value=Signal::derive(move || revoke.value().get())/>
            {if rows.is_empty() {
                view! { <p class="empty">"No invitation waits to be used."</p> }.into_any()
            } else {
                view! {
                    <table id="invitations">
                        <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Link valid until"</th>
                            {manage.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                        <tbody>
                            {rows.into_iter().map(|i| view! {
                                <tr>
                                    <td>{i.email.clone()}</td>
                                    <td>{i.role}</td>
                                    <td>{i.expires}</td>
                                    {manage.then(|| view! {
                                        <td>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="email" value=i.email.clone()/>
                                                <ConfirmSubmit label="Revoke" class="danger"
                                                    question="Revoke this invitation? Its link stops working at once."/>
                                            </ActionForm>
                                        </td>
                                    })}
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Invite(invite: ServerAction<InviteConsoleUser>) -> impl IntoView {
    let email = RwSignal::new(String::new());
    view! {
        <section>
            <h2>"Invite a console user"</h2>
            <ActionForm action=invite attr:class="card" attr:id="invite">
                <EmailField label="E-mail" value=email
                    help="Only this address can use the link: four eyes count people by their address."/>
                <Field label="Role" help="The link works once, for three days; the new user sets their password.">
                    <select name="role">
                        {ROLES.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::Operator>{r.describe()}</option> }).collect_view()}
                    </select>
                </Field>
                <Submit label="Create invitation link" busy="Creating…" pending=invite.pending()
                    blocked=Signal::derive(move || email_problem(&email.read()).is_some())/>
                <ActionError value=Signal::derive(move || invite.value().get())/>
            </ActionForm>
            {move || match invite.value().get() {
                Some(Ok(link)) => Some(view! {
                    <div class="secret card" role="status">
                        <p><strong>"Invitation created."</strong> " Send this link to the person; it works once, for three days, and is not shown again."</p>
                        <p><code class="invite-link">{link.clone()}</code> " " <CopyButton text=link/></p>
                    </div>
                }),
                _ => None,
            }}
        </section>
    }
}
