//! The console's routes.

use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::pages;

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    crate::components::provide_nav_refresh();
    view! {
        <Title text="Entente console"/>
        <Router>
            <Routes fallback=|| view! { <pages::NotFound/> }>
                <Route path=path!("/login") view=pages::auth::Login/>
                <Route path=path!("/setup") view=pages::auth::Setup/>
                <Route path=path!("/apply") view=pages::apply::Apply/>
                <Route path=path!("/") view=pages::overview::Overview/>
                <Route path=path!("/partners") view=pages::partners::Partners/>
                <Route path=path!("/partners/:slug") view=pages::clients::PartnerClients/>
                <Route path=path!("/partners/:slug/clients/:id") view=pages::clients::detail::ClientPage/>
                <Route path=path!("/partners/:slug/trust") view=pages::trust::TrustRules/>
                <Route path=path!("/partners/:slug/onboarding") view=pages::onboarding::Onboarding/>
                <Route path=path!("/audiences") view=pages::audiences::Audiences/>
                <Route path=path!("/keys") view=pages::keys::Keys/>
                <Route path=path!("/rate-limits") view=pages::limits::RateLimits/>
                <Route path=path!("/usage") view=pages::usage::Usage/>
                <Route path=path!("/changes") view=pages::changes::ChangeRequests/>
                <Route path=path!("/users") view=pages::users::Users/>
                <Route path=path!("/audit") view=pages::audit::Audit/>
                <Route path=path!("/matrix") view=pages::matrix::ScopeMatrix/>
                <Route path=path!("/portal") view=pages::portal::PortalOverview/>
                <Route path=path!("/portal/clients") view=pages::portal::PortalClients/>
                <Route path=path!("/portal/team") view=pages::portal::PortalTeam/>
                <Route path=path!("/portal/requests") view=pages::portal::PortalRequests/>
                <Route path=path!("/portal/sign-in") view=pages::portal::PortalSignIn/>
                <Route path=path!("/portal/issuers") view=pages::portal::PortalIssuers/>
                <Route path=path!("/portal/docs") view=pages::portal::PortalDocs/>
                <Route path=path!("/sandbox") view=pages::playground::Playground/>
            </Routes>
        </Router>
    }
}
