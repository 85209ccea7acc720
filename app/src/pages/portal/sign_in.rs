//! The portal's single sign-on page: the partner's people sign in through their own OpenID
//! Connect provider (authorization code + PKCE), set up here by a partner admin.

use leptos::prelude::*;

use super::PortalLayout;
use super::sign_in_api::{PortalSetSignIn, SignInView, portal_sign_in};
use crate::components::{ActionDone, ActionError, Check, CopyButton, ErrorBox, Field, Submit};

#[component]
pub fn PortalSignIn() -> impl IntoView {
    let save = ServerAction::<PortalSetSignIn>::new();
    let data = Resource::new(move || save.version().get(), |_| portal_sign_in());
    view! {
        <PortalLayout title="Single sign-on">
            <p class="subtitle">"Let your people sign in with your organisation's OpenID Connect provider instead of a password."</p>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <Settings v=v save=save/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </PortalLayout>
    }
}

#[component]
fn Settings(v: SignInView, save: ServerAction<PortalSetSignIn>) -> impl IntoView {
    let issuer = RwSignal::new(v.issuer.clone());
    let bad_issuer = move || {
        let i = issuer.read();
        (!i.is_empty() && !i.starts_with("https://") && !i.starts_with("http://")).then(|| {
            "The issuer is the provider's URL, such as https://login.example.com.".to_owned()
        })
    };
    let status = if !v.configured {
        "Not set up yet."
    } else if v.enabled {
        "On."
    } else {
        "Set up, but off."
    };
    view! {
        <section aria-label="Register Entente at your provider">
            <h2>"1. Register Entente at your provider"</h2>
            <dl class="facts card">
                <dt>"Redirect URI"</dt><dd><code class="redirect-uri">{v.redirect_uri.clone()}</code> " " <CopyButton text=v.redirect_uri.clone()/></dd>
                <dt>"Grant"</dt><dd>"authorization code with PKCE (S256); scopes " <code>"openid email"</code></dd>
                <dt>"Client authentication"</dt><dd><code>"client_secret_basic"</code></dd>
            </dl>
        </section>
        <section aria-label="Your provider">
            <h2>"2. Your provider"</h2>
            <p class="meta">{status}</p>
            <ActionForm action=save attr:class="card" attr:id="sign-in-settings">
                <fieldset class="bare" disabled=!v.can_manage>
                    <Field label="Issuer" help="Entente reads {issuer}/.well-known/openid-configuration and checks it when you save."
                        error=Signal::derive(bad_issuer)>
                        <input name="issuer" required value=v.issuer.clone() placeholder="https://login.example.com"
                            aria-invalid=move || bad_issuer().is_some().to_string()
                            on:input=move |ev| issuer.set(event_target_value(&ev))/>
                    </Field>
                    <Field label="Client ID"><input name="client_id" required value=v.client_id.clone() autocomplete="off"/></Field>
                    <Field label="Client secret" help="Stored encrypted and never shown again; leave empty to keep the current one.">
                        <input name="client_secret" type="password" autocomplete="new-password" required=!v.configured/>
                    </Field>
                    <Field label="People without an account" help="Who signs in with an address of the domains below but was never invited.">
                        <select name="join_role">
                            <option value="" selected=v.join_role.is_empty()>"are refused: invite them first"</option>
                            <option value="partner_viewer" selected=v.join_role == "partner_viewer">"join as partner viewers"</option>
                            <option value="partner_admin" selected=v.join_role == "partner_admin">"join as partner admins"</option>
                            <option value="sandbox_tester" selected=v.join_role == "sandbox_tester">"join as sandbox testers (the playground only)"</option>
                        </select>
                    </Field>
                    <Field label="E-mail domains" help="Comma-separated, such as example.com, example.co.uk.">
                        <input name="domains" value=v.domains.clone() placeholder="example.com"/>
                    </Field>
                    <Check name="enabled" label="Single sign-on is on" checked=v.enabled || !v.configured/>
                    <Submit label="Save" busy="Checking the provider…" pending=save.pending()
                        blocked=Signal::derive(move || bad_issuer().is_some())/>
                </fieldset>
                <ActionError value=Signal::derive(move || save.value().get())/>
                <ActionDone value=Signal::derive(move || save.value().get())/>
            </ActionForm>
        </section>
        <section aria-label="Signing in">
            <h2>"3. Your people sign in"</h2>
            <p>"On the sign-in page, under " <em>"Sign in with your organisation"</em> ", or straight from this link:"</p>
            <p><code class="start-url">{v.start_url.clone()}</code> " " <CopyButton text=v.start_url.clone()/></p>
            <p class="meta">"Invited team members are linked to their provider account at their first sign-in, by e-mail address; after that, the provider's account stays theirs even if its address changes."</p>
        </section>
    }
}
