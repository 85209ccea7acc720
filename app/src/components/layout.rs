//! The console frame around every signed-in page.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use super::ErrorBox;
use crate::pages::auth::api::{Logout, me};

/// Who is signed in, for pages that leave out controls the role may not use (the server refuses
/// them anyway); provided by `Layout` to every page inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub role: String,
}

impl Viewer {
    /// Operators and administrators change things; auditors only read.
    pub fn may_change(&self) -> bool {
        self.role != "auditor"
    }
}

/// Whether the signed-in user may change things (true outside a `Layout`, where the server
/// decides alone).
pub fn may_change() -> bool {
    use_context::<Viewer>().is_none_or(|v| v.may_change())
}

/// The console frame: navigation for signed-in administrators, a redirect to sign-in otherwise.
#[component]
pub fn Layout(title: &'static str, children: ChildrenFn) -> impl IntoView {
    let who = Resource::new(|| (), |_| me());
    let logout = ServerAction::<Logout>::new();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match who.await {
                    Ok(Some(me)) => {
                        provide_context(Viewer { role: me.role.clone() });
                        view! {
                        <header class="topbar">
                            <A href="/" attr:class="brand">"Entente"</A>
                            <nav aria-label="Main">
                                <A href="/" exact=true>"Overview"</A>
                                <A href="/partners">"Partners"</A>
                                <A href="/matrix">"Scope matrix"</A>
                                <A href="/audiences">"Audiences"</A>
                                <A href="/keys">"Signing keys"</A>
                                <A href="/changes">"Change requests"
                                    {(me.pending_requests > 0).then(|| view! {
                                        <span class="nav-count" title="pending">{me.pending_requests}</span>
                                    })}
                                </A>
                                <A href="/users">"Users"</A>
                                <A href="/audit">"Audit"</A>
                            </nav>
                            <span class="who">{me.email} " · " {me.role}</span>
                            <ActionForm action=logout>
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </header>
                        <main>
                            <h1>{title}</h1>
                            {children.with_value(|c| c())}
                        </main>
                    }
                    .into_any()
                    }
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
