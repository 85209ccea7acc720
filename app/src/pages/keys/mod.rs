//! The signing keys page: every key with its timeline, the rotation policy, "Rotate now", and
//! emergency revocation (the kid typed as confirmation).

pub mod api;

use leptos::prelude::*;

use crate::components::{
    ActionDone, ActionError, Check, ConfirmSubmit, ErrorBox, Field, Layout, Submit,
};
use api::{KeyRow, PolicyView, RevokeKey, RotateKeyNow, SetKeyPolicy, list_keys};

#[component]
pub fn Keys() -> impl IntoView {
    let policy = ServerAction::<SetKeyPolicy>::new();
    let rotate = ServerAction::<RotateKeyNow>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let keys = Resource::new(
        move || {
            (
                policy.version().get(),
                rotate.version().get(),
                revoke.version().get(),
            )
        },
        |_| list_keys(),
    );
    view! {
        <Layout title="Signing keys">
            <p class="subtitle">"Pending keys are published before they sign; retiring keys stay published until every token they signed has expired. Revoked keys leave the JWKS at once."</p>
            <ActionError value=Signal::derive(move || rotate.value().get())/>
            <ActionDone value=Signal::derive(move || rotate.value().get())/>
            <ActionError value=Signal::derive(move || revoke.value().get())/>
            <ActionDone value=Signal::derive(move || revoke.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading keys…"</p> }>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(page) => {
                            let manage = page.can_manage;
                            view! {
                                {[("production", "Production", "/.well-known/jwks.json"), ("sandbox", "Sandbox", "/sandbox/.well-known/jwks.json")]
                                    .into_iter()
                                    .map(|(env, heading, jwks)| {
                                        let mine: Vec<KeyRow> = page.keys.iter().filter(|k| k.environment == env).cloned().collect();
                                        view! {
                                            <section class="environment" id=format!("keys-{env}") aria-label=format!("{heading} keys")>
                                                <h2>{heading} " keys"</h2>
                                                <p class="meta">"Published at " <code>{jwks}</code> {(env == "sandbox").then_some(": sandbox tokens only, never accepted in production.")}</p>
                                                {if mine.is_empty() {
                                                    view! { <p class="empty">"No signing keys yet: the server creates one when it starts."</p> }.into_any()
                                                } else {
                                                    view! {
                                                        <ul class="keys">
                                                            {mine.into_iter().map(|k| view! { <KeyCard k=k manage=manage revoke=revoke/> }).collect_view()}
                                                        </ul>
                                                    }.into_any()
                                                }}
                                            </section>
                                        }
                                    })
                                    .collect_view()}
                                <Policy p=page.policy manage=manage action=policy rotate=rotate/>
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
fn KeyCard(k: KeyRow, manage: bool, revoke: ServerAction<RevokeKey>) -> impl IntoView {
    let revocable = matches!(k.state.as_str(), "pending" | "active" | "retiring");
    let typed = RwSignal::new(String::new());
    let kid = k.kid.clone();
    let matches = move || typed.read().trim() == kid;
    let field = format!("confirm-{}", k.kid);
    let hidden_kid = k.kid.clone();
    view! {
        <li class="card key" id=format!("key-{}", k.kid)>
            <div class="request-head">
                <code>{k.kid.clone()}</code>
                <span class=format!("state state-{}", k.state)>{k.state.clone()}</span>
            </div>
            <p class="meta">{k.algorithm.clone()} " · created " {k.created.clone()} " · " {k.state.clone()} " since " {k.state_since.clone()}</p>
            <ol class="timeline" aria-label="Timeline">
                {k.timeline.into_iter().map(|(at, what)| view! { <li><span class="meta">{at}</span> " " {what}</li> }).collect_view()}
            </ol>
            {(manage && revocable).then(move || view! {
                <details class="danger-zone">
                    <summary>"Emergency revoke"</summary>
                    <ActionForm action=revoke attr:class="revoke">
                        <input type="hidden" name="kid" value=hidden_kid/>
                        <p class="meta">"The key leaves the JWKS at once and every token it signed stops verifying. If it is signing, a new key signs from now on."</p>
                        <label for=field.clone()>"Type the key ID to confirm"</label>
                        <input id=field name="confirm" autocomplete="off" spellcheck="false"
                            on:input=move |ev| typed.set(event_target_value(&ev))/>
                        <ConfirmSubmit label="Revoke this key" class="danger"
                            question="Revoke this signing key now? This cannot be undone."
                            disabled=Signal::derive(move || !matches() || revoke.pending().get())/>
                    </ActionForm>
                </details>
            })}
        </li>
    }
}

#[component]
fn Policy(
    p: PolicyView,
    manage: bool,
    action: ServerAction<SetKeyPolicy>,
    rotate: ServerAction<RotateKeyNow>,
) -> impl IntoView {
    use entente_types::key_policy::{
        check_publish_lead, check_retirement_grace, check_rotation_period,
    };
    let days = RwSignal::new(p.rotation_days.to_string());
    let publish = RwSignal::new(p.publish_minutes.to_string());
    let grace = RwSignal::new(p.grace_minutes.to_string());
    let min = p.min_grace_minutes;
    let minutes =
        |n: i64| entente_types::words::counted(n.max(0).unsigned_abs(), "minute", "minutes");
    let longest = p.longest_token_lifetime;
    // Each field is checked as it is typed, by the rule the server applies, in seconds.
    let seconds = |v: &str, by: i64| v.trim().parse::<i64>().ok().and_then(|n| n.checked_mul(by));
    let whole = || Some("a whole number".to_owned());
    let publish_problem = move || match seconds(&publish.read(), 60) {
        Some(s) => check_publish_lead(s).err(),
        None => whole(),
    };
    let days_problem = move || match seconds(&days.read(), 86_400) {
        Some(s) => check_rotation_period(s, seconds(&publish.read(), 60).unwrap_or(0)).err(),
        None => whole(),
    };
    let grace_problem = move || match seconds(&grace.read(), 60) {
        Some(s) if s < longest + entente_types::key_policy::RETIREMENT_SKEW => Some(format!(
            "At least {}: tokens signed just before retirement must still verify.",
            minutes(min)
        )),
        Some(s) => check_retirement_grace(s, longest).err(),
        None => whole(),
    };
    let blocked = move || {
        days_problem().is_some() || publish_problem().is_some() || grace_problem().is_some()
    };
    view! {
        <section id="policy">
            <h2>"Rotation policy"</h2>
            <p class="meta">
                "New keys use " {p.algorithm.clone()} ". A key signs for the rotation period; its successor is published for the pre-publication window first (longer than the 5-minute JWKS cache), and a retiring key stays published for the retirement grace, which must outlast the longest token lifetime ("
                {minutes(min)} " with skew)."
            </p>
            {if manage {
                view! {
                    <ActionForm action=action attr:class="card policy" attr:id="key-policy">
                        <div class="row3">
                            <Field label="Rotation period (days)" help="An active key older than this gets a successor."
                                error=Signal::derive(days_problem)>
                                <input name="rotation_days" type="number" min="1" max="366" value=p.rotation_days required
                                    aria-invalid=move || days_problem().is_some().to_string()
                                    on:input=move |ev| days.set(event_target_value(&ev))/>
                            </Field>
                            <Field label="Pre-publication window (minutes)" help="At least the 5-minute JWKS cache."
                                error=Signal::derive(publish_problem)>
                                <input name="publish_minutes" type="number" min="5" max="10080" value=p.publish_minutes required
                                    aria-invalid=move || publish_problem().is_some().to_string()
                                    on:input=move |ev| publish.set(event_target_value(&ev))/>
                            </Field>
                            <Field label="Retirement grace (minutes)" help="At least the longest token lifetime and a minute."
                                error=Signal::derive(grace_problem)>
                                <input name="grace_minutes" type="number" min=min max="43200" value=p.grace_minutes required
                                    aria-invalid=move || grace_problem().is_some().to_string()
                                    on:input=move |ev| grace.set(event_target_value(&ev))/>
                            </Field>
                        </div>
                        <Submit label="Save policy" busy="Saving…" pending=action.pending() blocked=Signal::derive(blocked)/>
                        <ActionError value=Signal::derive(move || action.value().get())/>
                        <ActionDone value=Signal::derive(move || action.value().get())/>
                    </ActionForm>
                    <ActionForm action=rotate attr:class="card" attr:id="rotate-now">
                        <Field label="Environment" help="Each environment rotates its own keys under this policy.">
                            <select name="environment">
                                <option value="production" selected>"Production"</option>
                                <option value="sandbox">"Sandbox"</option>
                            </select>
                        </Field>
                        <Check name="immediate" label="Sign with the new key at once (otherwise after the pre-publication window)"/>
                        <ConfirmSubmit label="Rotate now" question="Publish a new signing key now?" class="secondary"/>
                    </ActionForm>
                }.into_any()
            } else {
                view! {
                    <p>"Every " {p.rotation_days} " days, published " {p.publish_minutes} " minutes ahead, retired after " {p.grace_minutes} " minutes."</p>
                }.into_any()
            }}
        </section>
    }
}
