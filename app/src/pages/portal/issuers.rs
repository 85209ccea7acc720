//! The portal's trusted issuers page: the partner's identity providers, the sandbox test IdP in
//! one step, and "validate a sample token" with the policy's decision trace.

use leptos::prelude::*;

use super::PortalLayout;
use super::issuers_api::{
    IssuersPage, PortalAddIssuer, PortalTrustTestIdp, PortalValidateToken, portal_issuers,
};
use crate::components::{ActionDone, ActionError, ErrorBox, Field, Submit};

#[component]
pub fn PortalIssuers() -> impl IntoView {
    let add = ServerAction::<PortalAddIssuer>::new();
    let trust = ServerAction::<PortalTrustTestIdp>::new();
    let validate = ServerAction::<PortalValidateToken>::new();
    let data = Resource::new(
        move || (add.version().get(), trust.version().get()),
        |_| portal_issuers(),
    );
    view! {
        <PortalLayout title="Trusted issuers">
            <p class="subtitle">"The identity providers whose tokens you exchange for Entente tokens."</p>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading your issuers…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <Issuers page=page add=add trust=trust validate=validate/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

#[component]
fn Issuers(
    page: IssuersPage,
    add: ServerAction<PortalAddIssuer>,
    trust: ServerAction<PortalTrustTestIdp>,
    validate: ServerAction<PortalValidateToken>,
) -> impl IntoView {
    let manage = page.can_manage;
    let list = if page.issuers.is_empty() {
        view! { <p class="empty">"No identity provider registered yet. Register yours below, or try exchanges with the sandbox test IdP."</p> }.into_any()
    } else {
        view! {
            <table>
                <thead><tr><th>"Issuer"</th><th>"Keys"</th><th>"Token kinds"</th><th>"Exchanged for (set by your administrators)"</th><th>"State"</th></tr></thead>
                <tbody>
                    {page.issuers.into_iter().map(|i| view! {
                        <tr>
                            <td><code>{i.issuer}</code>{i.test_idp.then(|| view! { <span class="meta">" (sandbox test IdP)"</span> })}</td>
                            <td>{i.keys}</td>
                            <td>{i.kinds}</td>
                            <td>{if i.rules.is_empty() { "nothing yet".to_owned() } else { i.rules.join("; ") }}</td>
                            <td>{if i.enabled { "enabled" } else { "disabled" }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    let keys_wrong = RwSignal::new(false);
    let clients = page.clients.clone();
    let audiences = page.audiences.clone();
    view! {
        <section aria-label="Your identity providers">
            <h2>"Your identity providers"</h2>
            {list}
        </section>
        {manage.then(|| view! {
            <section aria-label="Register an identity provider">
                <h2>"Register an identity provider"</h2>
                <ActionForm action=add attr:class="card" attr:id="add-issuer">
                    <Field label="Issuer" help="Exactly the iss of its tokens."><input name="issuer" required placeholder="https://login.example.com"/></Field>
                    <crate::components::KeyFields blocked=keys_wrong
                        uri_help="Entente fetches and caches its keys; https, public addresses only."
                        jwks_label="…or its JWKS (public keys)" jwks_help="For a provider whose keys are not published."/>
                    <Submit label="Register" busy="Registering…" pending=add.pending() blocked=Signal::derive(move || keys_wrong.get())/>
                    <ActionError value=Signal::derive(move || add.value().get())/>
                    <ActionDone value=Signal::derive(move || add.value().get())/>
                </ActionForm>
            </section>
            <section aria-label="Sandbox test IdP">
                <h2>"Sandbox test IdP"</h2>
                <p>"Entente's own test identity provider (" <code>{page.test_idp.clone()}</code>
                    ") issues tokens for made-up users with the claims you choose, in the playground, so you can try token exchange and jwt-bearer before wiring your own. Its tokens are accepted in the sandbox only."</p>
                {if page.test_idp_trusted {
                    view! { <p class="ok">"Trusted for your sandbox APIs."</p> }.into_any()
                } else {
                    view! {
                        <ActionForm action=trust attr:id="trust-test-idp">
                            <button type="submit" class="secondary" disabled=move || trust.pending().get()>"Trust the sandbox test IdP"</button>
                        </ActionForm>
                    }.into_any()
                }}
                <ActionError value=Signal::derive(move || trust.value().get())/>
                <ActionDone value=Signal::derive(move || trust.value().get())/>
            </section>
        })}
        <section aria-label="Validate a sample token">
            <h2>"Validate a sample token"</h2>
            {if clients.is_empty() || audiences.is_empty() {
                view! { <p class="empty">"You need a sandbox client and scopes on a sandbox API to validate a token."</p> }.into_any()
            } else {
                view! {
                    <ActionForm action=validate attr:class="card" attr:id="validate-token">
                        <Field label="As client"><select name="client_id">
                            {clients.iter().map(|(id, name)| view! { <option value=id.clone()>{format!("{name} ({id})")}</option> }).collect_view()}
                        </select></Field>
                        <Field label="For API"><select name="audience">
                            {audiences.iter().map(|a| view! { <option value=a.clone()>{a.clone()}</option> }).collect_view()}
                        </select></Field>
                        <Field label="Token" help="An access token of one of your identity providers; nothing is issued.">
                            <textarea name="token" rows="4" required></textarea>
                        </Field>
                        <Submit label="Validate" busy="Evaluating…" pending=validate.pending()/>
                        <ActionError value=Signal::derive(move || validate.value().get())/>
                    </ActionForm>
                }.into_any()
            }}
            {move || match validate.value().get() {
                Some(Ok(x)) => Some(view! { <crate::pages::trust::DecisionTrace x=x/> }),
                _ => None,
            }}
        </section>
    }
}
