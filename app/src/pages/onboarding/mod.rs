//! A partner's onboarding: the checklist that gates production (agreement, security
//! questionnaire, contacts and escalation path, issuer keys checked by the server, a first
//! token exchange seen) and the partner record the first three come from.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::components::{ActionDone, ActionError, ErrorBox, Field, Layout, Submit};
use crate::pages::partners::api::MovePartnerStage;
use api::{
    AcceptQuestionnaire, CheckIssuerKeys, ChecklistRow, ContactFields, OnboardingView,
    SavePartnerRecord, onboarding,
};

const DATA_CLASSES: [&str; 4] = ["public", "internal", "confidential", "restricted"];

#[component]
pub fn Onboarding() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let save = ServerAction::<SavePartnerRecord>::new();
    let accept = ServerAction::<AcceptQuestionnaire>::new();
    let check = ServerAction::<CheckIssuerKeys>::new();
    let promote = ServerAction::<MovePartnerStage>::new();
    crate::components::refresh_nav_on(move || promote.version().get());
    let data = Resource::new(
        move || {
            (
                slug(),
                save.version().get(),
                accept.version().get(),
                check.version().get(),
                promote.version().get(),
            )
        },
        |(s, ..)| onboarding(s),
    );
    view! {
        <Layout title="Onboarding">
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading the checklist…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(o) => view! { <Checklist o=o accept=accept check=check promote=promote save=save/> }.into_any(),
                        Err(e) => view! { <ErrorBox message=e.to_string()/> }.into_any(),
                    }
                })}
            </Transition>
        </Layout>
    }
}

#[component]
fn Checklist(
    o: OnboardingView,
    accept: ServerAction<AcceptQuestionnaire>,
    check: ServerAction<CheckIssuerKeys>,
    promote: ServerAction<MovePartnerStage>,
    save: ServerAction<SavePartnerRecord>,
) -> impl IntoView {
    let slug = o.partner.slug.clone();
    let done = o.checklist.iter().filter(|i| i.done).count();
    let total = o.checklist.len();
    let ready = done == total;
    // Auditors read the checklist and the record; the controls are for operators and admins.
    let may_change = crate::components::may_change();
    let can_promote = may_change && o.partner.next_stages.iter().any(|s| s == "production");
    let item = {
        let slug = slug.clone();
        move |i: ChecklistRow| {
            let slug = slug.clone();
            let action = match i.key.as_str() {
                _ if !may_change => None,
                "questionnaire" if !i.done => Some(view! {
                    <ActionForm action=accept>
                        <input type="hidden" name="partner" value=slug/>
                        <button type="submit" class="secondary" disabled=move || accept.pending().get()>"Accept questionnaire"</button>
                    </ActionForm>
                }.into_any()),
                "issuer_keys" => Some(view! {
                    <ActionForm action=check>
                        <input type="hidden" name="partner" value=slug/>
                        <button type="submit" class="secondary" disabled=move || check.pending().get()>
                            {move || if check.pending().get() { "Checking…" } else { "Check now" }}
                        </button>
                    </ActionForm>
                }.into_any()),
                _ => None,
            };
            view! {
                <li class=if i.done { "check done" } else { "check open" } id=format!("check-{}", i.key)>
                    <span class="mark" aria-hidden="true">{if i.done { "✓" } else { "○" }}</span>
                    <div>
                        <strong>{i.label}</strong>
                        <span class="visually-hidden">{if i.done { " (done)" } else { " (missing)" }}</span>
                        <p class="meta">{i.detail}</p>
                    </div>
                    {action}
                </li>
            }
        }
    };
    view! {
        <p class="subtitle">
            {o.partner.name.clone()} " (" <code>{slug.clone()}</code> ", " <crate::components::StageBadge stage=o.partner.stage.clone()/> ") · "
            <A href=format!("/partners/{slug}")>"Partner"</A> " · "
            <A href=format!("/partners/{slug}/trust")>"Trust"</A> " · "
            <A href=format!("/changes?partner={slug}")>"Change requests"</A> " · "
            <A href=format!("/audit?partner={slug}")>"Audit"</A>
        </p>
        {o.application.clone().map(|a| view! {
            <section id="application">
                <h2>"Application"</h2>
                <dl class="card facts">
                    <dt>"Organisation"</dt><dd>{a.organisation}</dd>
                    <dt>"Web site"</dt><dd>{if a.website.is_empty() { "—".to_owned() } else { a.website }}</dd>
                    <dt>"Applicant"</dt><dd>{a.contact}</dd>
                    <dt>"Wants to build"</dt><dd class="prose">{a.use_case}</dd>
                    <dt>"Sent"</dt><dd>{a.submitted}</dd>
                </dl>
            </section>
        })}
        <section>
            <h2>"Checklist " <span class="meta">{format!("{done} of {total} done")}</span></h2>
            <ol class="checklist">{o.checklist.into_iter().map(item).collect_view()}</ol>
            {o.questionnaire.clone().map(|q| view! { <p class="meta">"Security questionnaire " {q} "."</p> })}
            <ActionError value=Signal::derive(move || accept.value().get())/>
            <ActionError value=Signal::derive(move || check.value().get())/>
            <ActionDone value=Signal::derive(move || check.value().get())/>
            {can_promote.then(|| {
                let slug = slug.clone();
                view! {
                    <ActionForm action=promote attr:class="card" attr:id="request-production">
                        <input type="hidden" name="partner" value=slug/>
                        <input type="hidden" name="to" value="production"/>
                        <Field label="Reason (shown to the approver)"><input name="reason" required maxlength="1000" placeholder="onboarding complete"/></Field>
                        <Submit label="Request production" busy="Requesting…" pending=promote.pending() blocked=Signal::derive(move || !ready)/>
                        {(!ready).then(|| view! { <p class="meta">"Production can be requested once every item is done."</p> })}
                        <ActionError value=Signal::derive(move || promote.value().get())/>
                        <ActionDone value=Signal::derive(move || promote.value().get())/>
                    </ActionForm>
                }
            })}
        </section>
        <RecordForm slug=slug r=o.record save=save/>
    }
}

#[component]
fn ContactFieldset(kind: &'static str, label: &'static str, c: ContactFields) -> impl IntoView {
    view! {
        <fieldset>
            <legend>{label}</legend>
            <Field label="Name"><input name=format!("{kind}[name]") value=c.name maxlength="200" autocomplete="off"/></Field>
            <Field label="E-mail"><input name=format!("{kind}[email]") type="email" value=c.email maxlength="254" autocomplete="off"/></Field>
            <Field label="Phone"><input name=format!("{kind}[phone]") type="tel" value=c.phone maxlength="40" autocomplete="off"/></Field>
        </fieldset>
    }
}

#[component]
fn RecordForm(
    slug: String,
    r: api::RecordFields,
    save: ServerAction<SavePartnerRecord>,
) -> impl IntoView {
    let signed = RwSignal::new(r.signed_on.clone());
    let expires = RwSignal::new(r.expires_on.clone());
    // Client-side twin of the server's rule, for feedback before sending.
    let dates_wrong = move || {
        let (s, e) = (signed.get(), expires.get());
        !s.is_empty() && !e.is_empty() && e <= s
    };
    let class = r.data_class.clone();
    // Set by the escalation rows: a step half filled in blocks saving, said beside the step.
    let escalation_wrong = RwSignal::new(false);
    let blocked = Signal::derive(move || dates_wrong() || escalation_wrong.get());
    let may_change = crate::components::may_change();
    view! {
        <section>
            <h2>"Partner record"</h2>
            <ActionForm action=save attr:class="card record" attr:id="partner-record">
                <input type="hidden" name="partner" value=slug/>
                // Read-only for auditors: every control inside a disabled fieldset is.
                <fieldset class="bare" disabled=!may_change>
                <Field label="Legal name"><input name="legal_name" value=r.legal_name maxlength="200" placeholder="Acme Corporation Ltd"/></Field>
                <fieldset>
                    <legend>"Agreement"</legend>
                    <Field label="Reference"><input name="agreement_reference" value=r.agreement_reference maxlength="100" placeholder="MSA-2026-014"/></Field>
                    <div class="row">
                        <Field label="Signed on"><input name="signed_on" type="date" value=r.signed_on
                            on:input=move |ev| signed.set(event_target_value(&ev))/></Field>
                        <Field label="Expires on"
                            error=Signal::derive(move || dates_wrong().then(|| "The agreement must expire after it was signed.".to_owned()))>
                            <input name="expires_on" type="date" value=r.expires_on
                                aria-invalid=move || dates_wrong().to_string()
                                on:input=move |ev| expires.set(event_target_value(&ev))/>
                        </Field>
                    </div>
                    <Field label="Permitted operations" help="What the partner may do under the agreement, in its words.">
                        <textarea name="permitted_operations" rows="2" maxlength="2000" placeholder="read orders; create shipments">{r.permitted_operations}</textarea>
                    </Field>
                    <Field label="Data-handling class">
                        <select name="data_class">
                            <option value="" selected=class.is_empty()>"— choose —"</option>
                            {DATA_CLASSES.iter().map(|d| view! { <option value=*d selected=class == *d>{*d}</option> }).collect_view()}
                        </select>
                    </Field>
                </fieldset>
                <div class="contacts">
                    <ContactFieldset kind="technical" label="Technical contact" c=r.technical/>
                    <ContactFieldset kind="security" label="Security contact" c=r.security/>
                    <ContactFieldset kind="business" label="Business contact" c=r.business/>
                </div>
                <EscalationPath text=r.escalation problem=escalation_wrong/>
                </fieldset>
                {may_change.then(|| view! {
                    <Submit label="Save record" busy="Saving…" pending=save.pending() blocked=blocked/>
                })}
                <ActionError value=Signal::derive(move || save.value().get())/>
                <ActionDone value=Signal::derive(move || save.value().get())/>
            </ActionForm>
        </section>
    }
}

/// The escalation path as rows, one per step (name, contact, hours), added and removed in
/// place and each checked as it is typed; the form sends them as the text the server reads.
#[component]
fn EscalationPath(text: String, problem: RwSignal<bool>) -> impl IntoView {
    use entente_types::escalation::{MAX_STEPS, Step, as_text, parse, step_problem};
    let first: Vec<Step> = parse(&text).unwrap_or_default();
    let next_id = StoredValue::new(first.len().max(1));
    let rows = RwSignal::new(if first.is_empty() {
        vec![(0usize, RwSignal::new(Step::default()))]
    } else {
        first
            .into_iter()
            .enumerate()
            .map(|(i, s)| (i, RwSignal::new(s)))
            .collect()
    });
    let joined =
        move || as_text(&rows.with(|r| r.iter().map(|(_, s)| s.get()).collect::<Vec<_>>()));
    Effect::new(move |_| {
        let wrong = rows.with(|r| r.iter().any(|(_, s)| s.with(|s| step_problem(s).is_some())));
        problem.set(wrong);
    });
    let add = move |_| {
        let id = next_id.get_value();
        next_id.set_value(id + 1);
        rows.update(|r| r.push((id, RwSignal::new(Step::default()))));
    };
    view! {
        <fieldset class="escalation">
            <legend>"Escalation path, in order"</legend>
            <input type="hidden" name="escalation" prop:value=joined value=text/>
            <ol>
                <For each=move || rows.get() key=|(id, _)| *id let:row>
                    {
                        let (id, step) = row;
                        let n = move || rows.with(|r| r.iter().position(|(i, _)| *i == id).map_or(0, |p| p + 1));
                        let wrong = move || step.with(step_problem);
                        let field = move |label: &'static str, get: fn(&Step) -> String, set: fn(&mut Step, String)| view! {
                            <label>{move || format!("Step {} {label}", n())}
                                <input maxlength="200" autocomplete="off" prop:value=move || step.with(get)
                                    aria-invalid=move || wrong().is_some().to_string()
                                    on:input=move |ev| step.update(|s| set(s, event_target_value(&ev)))/>
                            </label>
                        };
                        view! {
                            <li class="step">
                                {field("name", |s| s.name.clone(), |s, v| s.name = v)}
                                {field("contact", |s| s.contact.clone(), |s, v| s.contact = v)}
                                {field("hours", |s| s.hours.clone(), |s, v| s.hours = v)}
                                <button type="button" class="secondary"
                                    on:click=move |_| rows.update(|r| r.retain(|(i, _)| *i != id))>
                                    {move || format!("Remove step {}", n())}
                                </button>
                                {move || wrong().map(|p| view! { <p class="field-error" role="alert">{p}</p> })}
                            </li>
                        }
                    }
                </For>
            </ol>
            <button type="button" class="secondary" on:click=add
                disabled=move || rows.with(|r| r.len() >= MAX_STEPS)>"Add a step"</button>
            <p class="help">"Who is called first, then next: a name (“Acme NOC”), how to reach them (“+44 20 7946 0001”) and when (“24x7”)."</p>
        </fieldset>
    }
}
