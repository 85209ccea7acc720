//! A partner's lifecycle controls: move along the stages, suspend (the kill switch, with a
//! reason and a confirmation), reactivate. Promotion to production and reactivation file change
//! requests; the sentence under the form says which happened.

use leptos::prelude::*;

use super::api::{MovePartnerStage, PartnerRow, ReactivatePartner, SuspendPartner};
use crate::components::{ActionDone, ActionError, ConfirmSubmit};

/// The actions the partner page owns (their versions reload the page's data).
#[derive(Clone, Copy)]
pub struct LifecycleActions {
    pub stage: ServerAction<MovePartnerStage>,
    pub suspend: ServerAction<SuspendPartner>,
    pub reactivate: ServerAction<ReactivatePartner>,
}

impl LifecycleActions {
    pub fn new() -> Self {
        Self {
            stage: ServerAction::new(),
            suspend: ServerAction::new(),
            reactivate: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes.
    pub fn version(&self) -> (usize, usize, usize) {
        (
            self.stage.version().get(),
            self.suspend.version().get(),
            self.reactivate.version().get(),
        )
    }
}

impl Default for LifecycleActions {
    fn default() -> Self {
        Self::new()
    }
}

#[component]
pub fn Lifecycle(partner: PartnerRow, actions: LifecycleActions) -> impl IntoView {
    let LifecycleActions {
        stage,
        suspend,
        reactivate,
    } = actions;
    let slug = partner.slug.clone();
    let suspended = partner.stage == "suspended";
    let offboarded = partner.stage == "offboarded";
    let reason = RwSignal::new(String::new());
    let next = partner.next_stages.clone();
    if !crate::components::may_change() {
        return view! {
            <section id="lifecycle">
                <h2>"Lifecycle"</h2>
                <p>
                    "Stage: " <span class=format!("state stage-{}", partner.stage)>{partner.stage.clone()}</span>
                    {partner.suspended_reason.clone().map(|r| view! { " — suspended: " {r} })}
                </p>
                <p class="meta">"Operators and administrators move, suspend and reactivate partners."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section id="lifecycle">
            <h2>"Lifecycle"</h2>
            <p>
                "Stage: " <span class=format!("state stage-{}", partner.stage)>{partner.stage.clone()}</span>
                {partner.suspended_reason.clone().map(|r| view! { " — suspended: " {r} })}
            </p>
            <div class="stage-actions">
                {(!next.is_empty()).then(|| {
                    let slug = slug.clone();
                    view! {
                        <ActionForm action=stage attr:class="card" attr:id="move-stage">
                            <input type="hidden" name="partner" value=slug/>
                            <label>"Move to"
                                <select name="to" required>
                                    {next.iter().map(|s| {
                                        let label = if s == "production" { "production (needs approval)".to_owned() } else { s.clone() };
                                        view! { <option value=s.clone()>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>"Reason (shown to the approver)" <input name="reason" maxlength="1000" placeholder="checklist complete"/></label>
                            <ConfirmSubmit label="Move" question="Move this partner to the chosen stage? Offboarding revokes all its tokens and cannot be undone." class=""/>
                            <ActionError value=Signal::derive(move || stage.value().get())/>
                            <ActionDone value=Signal::derive(move || stage.value().get())/>
                        </ActionForm>
                    }
                })}
                {(!suspended && !offboarded).then(|| {
                    let slug = slug.clone();
                    view! {
                        <ActionForm action=suspend attr:class="card" attr:id="suspend">
                            <input type="hidden" name="partner" value=slug/>
                            <label>"Why suspend (required)"
                                <input name="reason" required maxlength="1000" placeholder="credential leak reported"
                                    on:input=move |ev| reason.set(event_target_value(&ev))/>
                            </label>
                            <p class="meta">"Its clients get no new tokens and every token derived from it is revoked at once."</p>
                            <ConfirmSubmit label="Suspend partner" question="Suspend this partner? Every token derived from it stops working within a second." class="danger"/>
                            <ActionError value=Signal::derive(move || suspend.value().get())/>
                            <ActionDone value=Signal::derive(move || suspend.value().get())/>
                        </ActionForm>
                    }
                })}
                {suspended.then(|| {
                    let slug = slug.clone();
                    view! {
                        <ActionForm action=reactivate attr:class="card" attr:id="reactivate">
                            <input type="hidden" name="partner" value=slug/>
                            <label>"Reason (shown to the approver)" <input name="reason" maxlength="1000" placeholder="leaked credential rotated"/></label>
                            <p class="meta">"Reactivation needs a different administrator's approval."</p>
                            <button type="submit" disabled=move || reactivate.pending().get()>"Request reactivation"</button>
                            <ActionError value=Signal::derive(move || reactivate.value().get())/>
                            <ActionDone value=Signal::derive(move || reactivate.value().get())/>
                        </ActionForm>
                    }
                })}
            </div>
        </section>
    }
    .into_any()
}
