//! The console frame around every signed-in page.

use leptos::prelude::*;
use leptos_router::components::{A, Redirect};

use super::ErrorBox;
use crate::account::{Logout, is_partner_role, me, pending_requests};

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

/// Bumped when an action may have filed or decided a change request: the navigation's count of
/// pending requests follows without a reload. Provided once, by the app.
#[derive(Debug, Clone, Copy)]
pub struct NavRefresh(RwSignal<u64>);

pub fn provide_nav_refresh() {
    provide_context(NavRefresh(RwSignal::new(0)));
}

/// Refreshes the navigation's pending count each time `version` (a server action's) changes.
pub fn refresh_nav_on(version: impl Fn() -> usize + Send + Sync + 'static) {
    if let Some(NavRefresh(n)) = use_context::<NavRefresh>() {
        Effect::new(move |_| {
            if version() > 0 {
                n.update(|v| *v += 1);
            }
        });
    }
}

/// The console frame: navigation for signed-in administrators, a redirect to sign-in otherwise.
/// `heading` replaces `title` in the page's heading where the page names its object (a
/// partner's name, a client's); it renders its own loading state. An `open` page (the 404) is
/// shown without the frame to someone signed out, instead of sending them to sign in.
#[component]
pub fn Layout(
    title: &'static str,
    #[prop(optional, into)] heading: Option<ViewFn>,
    #[prop(optional)] open: bool,
    children: ChildrenFn,
) -> impl IntoView {
    let heading = StoredValue::new(heading);
    let who = Resource::new(|| (), |_| me());
    let refresh = use_context::<NavRefresh>().map(|NavRefresh(n)| n);
    // Only refetched after an action (the first count comes with `me`).
    let pending = Resource::new(
        move || refresh.map(|n| n.get()).unwrap_or(0),
        |n| async move {
            if n == 0 {
                Ok(None)
            } else {
                pending_requests().await.map(Some)
            }
        },
    );
    let logout = ServerAction::<Logout>::new();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match who.await {
                    // Partner users have the portal, never the console; an open page (the
                    // 404) stays what it is, with the way back to the portal.
                    Ok(Some(me)) if is_partner_role(&me.role) && open => view! {
                        <main class="narrow">
                            <h1>{title}</h1>
                            {children.with_value(|c| c())}
                            <p><A href="/portal">"Back to the portal"</A></p>
                        </main>
                    }
                    .into_any(),
                    Ok(Some(me)) if is_partner_role(&me.role) => {
                        view! { <Redirect path="/portal"/> }.into_any()
                    }
                    Ok(Some(me)) => {
                        provide_context(Viewer { role: me.role.clone() });
                        let initial = me.pending_requests;
                        view! {
                        <header class="topbar">
                            <A href="/" attr:class="brand">"Entente"</A>
                            <nav aria-label="Main">
                                <A href="/" exact=true>"Overview"</A>
                                <A href="/partners">"Partners"</A>
                                <A href="/matrix">"Scope matrix"</A>
                                <A href="/audiences">"Audiences"</A>
                                <A href="/keys">"Signing keys"</A>
                                <A href="/usage">"Usage"</A>
                                <A href="/rate-limits">"Rate limits"</A>
                                <A href="/changes">"Change requests"
                                    <Transition fallback=|| ()>
                                        {move || Suspend::new(async move {
                                            let count = match pending.await {
                                                Ok(Some(n)) => n,
                                                _ => initial,
                                            };
                                            (count > 0).then(|| view! {
                                                <span class="nav-count" title="pending">{count}</span>
                                            })
                                        })}
                                    </Transition>
                                </A>
                                <A href="/users">"Users"</A>
                                <A href="/audit">"Audit"</A>
                            </nav>
                            <span class="who" title=format!("Signed in as {}", me.role)>{me.email}</span>
                            <ActionForm action=logout>
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </header>
                        <main>
                            <h1>{heading.with_value(|h| match h {
                                Some(h) => h.run(),
                                None => title.into_any(),
                            })}</h1>
                            {children.with_value(|c| c())}
                        </main>
                    }
                    .into_any()
                    }
                    Ok(None) if open => view! {
                        <main class="narrow">
                            <h1>{title}</h1>
                            {children.with_value(|c| c())}
                        </main>
                    }
                    .into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
