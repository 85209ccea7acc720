//! The portal's team page: the partner's users, invitations (a one-time link valid 72 hours)
//! and role changes, by the partner's admins.

use entente_types::role::Role;
use leptos::prelude::*;

use super::PortalLayout;
use super::api::{PortalInvite, PortalRevokeInvite, PortalSetMember, portal_team};
use super::testers_api::PortalSetTesterClients;
use crate::components::{
    ActionDone, ActionError, ConfirmSubmit, CopyButton, EmailField, ErrorBox, Field, Submit,
    email_problem,
};

/// The roles a partner admin gives: the shared vocabulary's, as the server checks them.
const ROLES: [Role; 3] = Role::PARTNER;

#[component]
pub fn PortalTeam() -> impl IntoView {
    let invite = ServerAction::<PortalInvite>::new();
    let set = ServerAction::<PortalSetMember>::new();
    let revoke = ServerAction::<PortalRevokeInvite>::new();
    let testers = ServerAction::<PortalSetTesterClients>::new();
    let team = Resource::new(
        move || {
            (
                invite.version().get(),
                set.version().get(),
                revoke.version().get() + testers.version().get(),
            )
        },
        |_| portal_team(),
    );
    let email = RwSignal::new(String::new());
    let bad_email = move || email_problem(&email.read());
    // A created invitation starts the form afresh (the link is shown below it).
    Effect::new(move |_| {
        if let Some(Ok(_)) = invite.value().get() {
            email.set(String::new());
        }
    });
    view! {
        <PortalLayout title="Team">
            <ActionError value=Signal::derive(move || set.value().get())/>
            <ActionDone value=Signal::derive(move || set.value().get())/>
            <ActionError value=Signal::derive(move || revoke.value().get())/>
            <ActionDone value=Signal::derive(move || revoke.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your team…"</p> }>
                {move || Suspend::new(async move {
                    match team.await {
                        Ok(t) => {
                            let manage = t.can_manage;
                            view! {
                                <table>
                                    <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Access"</th><th>"Since"</th>{manage.then(|| view! { <th>"Change"</th> })}</tr></thead>
                                    <tbody>
                                        {t.members.into_iter().map(|m| {
                                            let field = format!("role-{}", m.email);
                                            let email = m.email.clone();
                                            let enabled = m.enabled;
                                            let role = m.role.clone();
                                            view! {
                                                <tr>
                                                    <td>{m.email.clone()} {m.me.then_some(" (you)")}</td>
                                                    <td>{m.role.clone()}</td>
                                                    <td>{if m.enabled { "can sign in" } else { "disabled" }}</td>
                                                    <td>{m.created}</td>
                                                    {manage.then(|| if m.me {
                                                        view! { <td class="meta">"Ask another partner admin"</td> }.into_any()
                                                    } else {
                                                        view! {
                                                            <td>
                                                                <ActionForm action=set attr:class="inline">
                                                                    <input type="hidden" name="email" value=email/>
                                                                    <label for=field.clone() class="sr-only">"Role"</label>
                                                                    <select id=field name="role">
                                                                        {ROLES.iter().map(|r| view! { <option value=r.as_str() selected=r.as_str() == role>{r.as_str()}</option> }).collect_view()}
                                                                    </select>
                                                                    <select name="enabled" aria-label="Access">
                                                                        <option value="true" selected=enabled>"can sign in"</option>
                                                                        <option value="false" selected=!enabled>"disabled"</option>
                                                                    </select>
                                                                    <ConfirmSubmit label="Save" class="secondary" question="Change this member's role or access?"/>
                                                                </ActionForm>
                                                            </td>
                                                        }.into_any()
                                                    })}
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {(!t.invitations.is_empty()).then(|| view! {
                                    <section aria-label="Pending invitations">
                                        <h2>"Pending invitations"</h2>
                                        <table>
                                            <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Link valid until"</th>{manage.then(|| view! { <th><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                                            <tbody>
                                                {t.invitations.iter().map(|i| {
                                                    let email = i.email.clone();
                                                    view! {
                                                        <tr>
                                                            <td>{i.email.clone()}</td>
                                                            <td>{i.role.clone()}</td>
                                                            <td>{i.expires.clone()}</td>
                                                            {manage.then(move || view! {
                                                                <td>
                                                                    <ActionForm action=revoke attr:class="inline">
                                                                        <input type="hidden" name="email" value=email/>
                                                                        <ConfirmSubmit label="Withdraw" class="secondary" question="Withdraw this invitation? Its link stops working."/>
                                                                    </ActionForm>
                                                                </td>
                                                            })}
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                })}
                                <TesterClients on=t.testers_get_clients manage=manage action=testers/>
                                {manage.then(|| view! {
                                    <section>
                                        <h2>"Invite a colleague"</h2>
                                        <ActionForm action=invite attr:class="card" attr:id="invite">
                                            <EmailField label="E-mail" value=email
                                                help="They set their own password from the link; only this address can use it."/>
                                            <Field label="Role">
                                                <select name="role">
                                                    {ROLES.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::PartnerViewer>{r.describe()}</option> }).collect_view()}
                                                </select>
                                            </Field>
                                            <Submit label="Create invitation link" busy="Creating…" pending=invite.pending()
                                                blocked=Signal::derive(move || bad_email().is_some())/>
                                            <ActionError value=Signal::derive(move || invite.value().get())/>
                                        </ActionForm>
                                    </section>
                                })}
                            }.into_any()
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {move || invite.value().get().and_then(Result::ok).map(|link| view! {
                <div class="secret card" role="status">
                    <p><strong>"Invitation created."</strong> " Send this link to your colleague: it works once, for 72 hours, and is shown only now."</p>
                    <p><code class="invite-link">{link.clone()}</code> " " <CopyButton text=link/></p>
                </div>
            })}
        </PortalLayout>
    }
}

/// Whether sandbox testers get a sandbox client of their own in the playground (no secret to
/// pass on by hand); turning it off stops the clients they have, which the page says first.
#[component]
fn TesterClients(
    on: bool,
    manage: bool,
    action: ServerAction<PortalSetTesterClients>,
) -> impl IntoView {
    let said = if on {
        "Sandbox testers get a sandbox client of their own in the playground: every scope you hold in the sandbox, client credentials and, where a trust rule allows, token exchange. Each tester sees only their own secret."
    } else {
        "Sandbox testers use the clients you give them. Turn this on to let each get a sandbox client of their own in the playground, without a secret passed on by hand."
    };
    view! {
        <section aria-label="Sandbox testers' own clients">
            <h2>"Sandbox testers' own clients"</h2>
            <p>{said}</p>
            {manage.then(|| view! {
                <ActionForm action=action attr:class="card inline-form" attr:id="tester-clients">
                    <label class="check">
                        <input type="checkbox" name="allowed" checked=on/>
                        " Let each sandbox tester get their own sandbox client"
                    </label>
                    <ConfirmSubmit label="Save" class="secondary"
                        question="Save? Turning this off stops every tester's own client at once."/>
                    <ActionError value=Signal::derive(move || action.value().get())/>
                    <ActionDone value=Signal::derive(move || action.value().get())/>
                </ActionForm>
            })}
        </section>
    }
}
