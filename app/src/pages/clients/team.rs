//! The partner page's "Partner users" section: who of the partner signs in to the portal, and
//! an invitation link for another (usually its first partner admin).

use entente_types::role::Role;
use leptos::prelude::*;

use super::api::{InvitePartnerUser, PartnerPeople, SetPartnerTesterClients};
use crate::components::{
    ActionDone, ActionError, ConfirmSubmit, CopyButton, ErrorBox, Field, Submit,
};
use crate::error::ConsoleError;

/// The section's data, made at the top of the page (resources made inside a layout's children
/// break hydration).
#[derive(Clone, Copy)]
pub struct TeamState {
    pub invite: ServerAction<InvitePartnerUser>,
    pub testers: ServerAction<SetPartnerTesterClients>,
    pub team: Resource<Result<PartnerPeople, ConsoleError>>,
}

impl TeamState {
    pub fn new(slug: Signal<String>) -> Self {
        let invite = ServerAction::<InvitePartnerUser>::new();
        let testers = ServerAction::<SetPartnerTesterClients>::new();
        let team = Resource::new(
            move || (slug.get(), invite.version().get(), testers.version().get()),
            |(s, ..)| super::api::partner_team(s),
        );
        Self {
            invite,
            testers,
            team,
        }
    }
}

#[component]
pub fn PartnerTeam(state: TeamState, slug: Signal<String>) -> impl IntoView {
    let TeamState {
        invite,
        testers,
        team,
    } = state;
    view! {
        <section aria-label="Partner users">
            <h2>"Partner users"</h2>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading partner users…"</p> }>
                {move || Suspend::new(async move {
                    match team.await {
                        Ok(people) => {
                            let sign_in = match people.sign_in {
                                Some(s) => view! {
                                    <p class="meta" data-testid="partner-sso">"Single sign-on with " <code>{s.issuer}</code>
                                        " (client " <code>{s.client_id}</code> "), "
                                        {if s.enabled { "on" } else { "off" }} "; " {s.joining} "."</p>
                                }.into_any(),
                                None => view! { <p class="meta" data-testid="partner-sso">"No single sign-on: the partner's people sign in with passwords."</p> }.into_any(),
                            };
                            let tester_clients = view! { <TesterClients on=people.testers_get_clients slug=slug action=testers/> };
                            let invitations = (!people.invitations.is_empty()).then(|| view! {
                                <p class="meta">"Invited, not joined yet: "
                                    {people.invitations.into_iter().map(|(email, role, until)| format!("{email} ({role}, until {until})")).collect::<Vec<_>>().join("; ")}</p>
                            });
                            if people.users.is_empty() {
                                view! {
                                    <p class="empty">"Nobody of this partner signs in yet. Invite its first partner admin below: they manage their clients and team in the portal."</p>
                                    {invitations}
                                    {sign_in}
                                    {tester_clients}
                                }.into_any()
                            } else {
                                view! {
                                    <table>
                                        <thead><tr><th>"E-mail"</th><th>"Role"</th><th>"Access"</th><th>"Since"</th></tr></thead>
                                        <tbody>
                                            {people.users.into_iter().map(|u| view! {
                                                <tr><td>{u.email}</td><td>{u.role}</td>
                                                    <td>{if u.enabled { "can sign in" } else { "disabled" }}</td><td>{u.created}</td></tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                    {invitations}
                                    {sign_in}
                                    {tester_clients}
                                }.into_any()
                            }
                        }
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
            {crate::components::may_change().then(|| view! {
                <h3>"Invite someone of the partner"</h3>
                <ActionForm action=invite attr:class="card" attr:id="invite-partner-user">
                    <input type="hidden" name="partner" value=move || slug.get()/>
                    <Field label="E-mail" help="Only this address can use the link.">
                        <input type="email" name="email" required autocomplete="off"/>
                    </Field>
                    <Field label="Role">
                        <select name="role">
                            {Role::PARTNER.iter().map(|r| view! { <option value=r.as_str() selected=*r == Role::PartnerAdmin>{r.describe()}</option> }).collect_view()}
                        </select>
                    </Field>
                    <Submit label="Create invitation link" busy="Creating…" pending=invite.pending()/>
                    <ActionError value=Signal::derive(move || invite.value().get())/>
                </ActionForm>
            })}
            {move || invite.value().get().and_then(Result::ok).map(|link| view! {
                <div class="secret card" role="status">
                    <p><strong>"Invitation created."</strong> " It works once, for 72 hours, and is shown only now."</p>
                    <p><code class="invite-link">{link.clone()}</code> " " <CopyButton text=link/></p>
                </div>
            })}
        </section>
    }
}

/// Whether the partner's sandbox testers each get a sandbox client of their own: the switch its
/// admins have on the portal's Team page, for staff answering a partner who asks.
#[component]
fn TesterClients(
    on: bool,
    slug: Signal<String>,
    action: ServerAction<SetPartnerTesterClients>,
) -> impl IntoView {
    view! {
        <section aria-label="Sandbox testers' own clients" class="tester-clients">
            <h3>"Sandbox testers' own clients"</h3>
            <p class="meta">{if on {
                "On: each sandbox tester gets a sandbox client of their own in the playground."
            } else {
                "Off: sandbox testers use the clients the partner gives them."
            }}</p>
            {crate::components::may_change().then(|| view! {
                <ActionForm action=action attr:class="card inline-form" attr:id="tester-clients">
                    <input type="hidden" name="partner" value=move || slug.get()/>
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
