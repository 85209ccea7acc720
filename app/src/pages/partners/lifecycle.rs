//! A partner's lifecycle controls. The Overview tab moves it forward (promotion to production
//! and reactivation file change requests); the Danger zone tab takes access away — demotion,
//! offboarding, suspension — each naming what it stops and asking for the partner's slug typed
//! out before its button works.

use leptos::prelude::*;

use super::api::{MovePartnerStage, PartnerRow, ReactivatePartner, SuspendPartner};
use crate::components::{ActionDone, ActionError, StageBadge};
use crate::pages::clients::api::ClientRow;
use entente_types::stage::Stage;

/// The actions the partner page owns (their versions reload the page's data).
#[derive(Clone, Copy)]
pub struct LifecycleActions {
    pub stage: ServerAction<MovePartnerStage>,
    /// The Danger zone's own stage moves (demote, offboard): their answers show under their
    /// cards, not under the Overview's form.
    pub takeaway: ServerAction<MovePartnerStage>,
    pub suspend: ServerAction<SuspendPartner>,
    pub reactivate: ServerAction<ReactivatePartner>,
}

impl LifecycleActions {
    pub fn new() -> Self {
        Self {
            stage: ServerAction::new(),
            takeaway: ServerAction::new(),
            suspend: ServerAction::new(),
            reactivate: ServerAction::new(),
        }
    }

    /// Changes whenever one of them completes.
    pub fn version(&self) -> (usize, usize, usize) {
        (
            self.stage.version().get() + self.takeaway.version().get(),
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

/// A move that takes access away: it belongs in the Danger zone.
pub fn is_destructive(from: &str, to: &str) -> bool {
    to == Stage::Offboarded.as_str()
        || (from == Stage::Production.as_str() && to == Stage::Sandbox.as_str())
}

/// "acme's 1 production client stops" / "acme's 3 clients stop" / "acme has no client, so none
/// stops": the clients that lose tokens, counted from the enabled ones — none when the partner's
/// stage (`from`) gets no tokens anyway (applied, in review, suspended).
fn losing(slug: &str, from: &str, clients: &[ClientRow], environment: Option<&str>) -> String {
    let holds = from.parse::<Stage>().is_ok_and(|s| s.holds_tokens());
    if !holds {
        return format!(
            "{slug} is {} and gets no tokens now, so no client stops",
            Stage::label_of(from).to_lowercase()
        );
    }
    let n = clients
        .iter()
        .filter(|c| c.enabled && environment.is_none_or(|e| c.environment == e))
        .count();
    let kind = environment.map(|e| format!("{e} ")).unwrap_or_default();
    match n {
        0 => format!("{slug} has no enabled {kind}client, so none stops"),
        1 => format!("{slug}'s 1 {kind}client stops"),
        n => format!("{slug}'s {n} {kind}clients stop"),
    }
}

/// What a destructive move does, in the words the confirmation shows.
pub fn consequence(slug: &str, from: &str, to: &str, clients: &[ClientRow]) -> String {
    if to == Stage::Offboarded.as_str() {
        format!(
            "{} getting tokens, every token derived from {slug} is revoked, and offboarding cannot be undone.",
            losing(slug, from, clients, None)
        )
    } else if from == Stage::Production.as_str() && to == Stage::Sandbox.as_str() {
        format!(
            "{} getting tokens; its sandbox clients keep working. Promoting it again needs a second administrator's approval.",
            losing(slug, from, clients, Some("production"))
        )
    } else {
        String::new()
    }
}

/// What suspension does.
pub fn suspension_consequence(slug: &str, from: &str, clients: &[ClientRow]) -> String {
    format!(
        "{} getting tokens and every token derived from {slug} is revoked within a second. Reactivation needs a second administrator's approval.",
        losing(slug, from, clients, None)
    )
}

/// The stage line and the forward moves (Overview tab).
#[component]
pub fn Lifecycle(partner: PartnerRow, actions: LifecycleActions) -> impl IntoView {
    let LifecycleActions {
        stage, reactivate, ..
    } = actions;
    let slug = partner.slug.clone();
    let suspended = partner.stage == Stage::Suspended.as_str();
    let forward: Vec<String> = partner
        .next_stages
        .iter()
        .filter(|to| !is_destructive(&partner.stage, to))
        .cloned()
        .collect();
    let may_change = crate::components::may_change();
    view! {
        <section id="lifecycle">
            <h2>"Lifecycle"</h2>
            <p>
                "Stage: " <StageBadge stage=partner.stage.clone()/>
                {partner.suspended_reason.clone().map(|r| view! { " — suspended: " {r} })}
            </p>
            {(!may_change).then(|| view! {
                <p class="meta">"Operators and administrators move, suspend and reactivate partners."</p>
            })}
            <div class="stage-actions">
                {(may_change && !forward.is_empty()).then(|| {
                    let slug = slug.clone();
                    let to_production = RwSignal::new(false);
                    view! {
                        <ActionForm action=stage attr:class="card" attr:id="move-stage">
                            <input type="hidden" name="partner" value=slug/>
                            <label>"Move to"
                                <select name="to" required on:change=move |ev| to_production.set(event_target_value(&ev) == Stage::Production.as_str())>
                                    // No destination is chosen for the user.
                                    <option value="" selected disabled>"Choose a stage…"</option>
                                    {forward.iter().map(|s| {
                                        let label = Stage::label_of(s);
                                        let label = if s == Stage::Production.as_str() { format!("{label} (needs approval)") } else { label };
                                        view! { <option value=s.clone()>{label}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                            <label>{move || if to_production.get() { "Reason (required: the approver reads it)" } else { "Reason (kept in the audit log)" }}
                                <input name="reason" maxlength="1000" placeholder="checklist complete" required=move || to_production.get()/></label>
                            <button type="submit" disabled=move || stage.pending().get()>"Move"</button>
                            <ActionError value=Signal::derive(move || stage.value().get())/>
                            <ActionDone value=Signal::derive(move || stage.value().get())/>
                        </ActionForm>
                    }
                })}
                {(may_change && suspended).then(|| {
                    let slug = slug.clone();
                    view! {
                        <ActionForm action=reactivate attr:class="card" attr:id="reactivate">
                            <input type="hidden" name="partner" value=slug/>
                            <label>"Reason (shown to the approver)" <input name="reason" required maxlength="1000" placeholder="leaked credential rotated"/></label>
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
}

/// A text box that must hold the partner's slug before the form's button works; it has no
/// `name`, so it is never sent.
#[component]
fn TypeToConfirm(slug: String, typed: RwSignal<String>) -> impl IntoView {
    view! {
        <label><span>"Type " <code>{slug.clone()}</code> " to confirm"</span>
            <input autocomplete="off" spellcheck="false" prop:value=move || typed.get()
                on:input=move |ev| typed.set(event_target_value(&ev))/>
        </label>
    }
}

/// Demotion, offboarding and suspension (Danger zone tab).
#[component]
pub fn DangerZone(
    partner: PartnerRow,
    clients: Vec<ClientRow>,
    actions: LifecycleActions,
) -> impl IntoView {
    let LifecycleActions {
        takeaway, suspend, ..
    } = actions;
    if !crate::components::may_change() {
        return view! {
            <section id="danger-zone" class="danger-zone">
                <h2>"Danger zone"</h2>
                <p class="meta">"Operators and administrators demote, offboard and suspend partners."</p>
            </section>
        }
        .into_any();
    }
    let slug = partner.slug.clone();
    let from = partner.stage.clone();
    let moves: Vec<(String, String)> = partner
        .next_stages
        .iter()
        .filter(|to| is_destructive(&from, to))
        .map(|to| (to.clone(), consequence(&slug, &from, to, &clients)))
        .collect();
    let may_suspend = partner.may_suspend;
    let suspend_says = suspension_consequence(&slug, &from, &clients);
    let nothing = moves.is_empty() && !may_suspend;
    // Which of the cards sharing `takeaway` was sent last (by the stage it moves to).
    let sent = RwSignal::new(String::new());
    view! {
        <section id="danger-zone" class="danger-zone">
            <h2>"Danger zone"</h2>
            {nothing.then(|| view! { <p class="empty">"Nothing to take away: the partner is offboarded."</p> })}
            {may_suspend.then(|| {
                let slug = slug.clone();
                let typed = RwSignal::new(String::new());
                let matches = {
                    let slug = slug.clone();
                    move || typed.read() == slug
                };
                view! {
                    <ActionForm action=suspend attr:class="card danger" attr:id="suspend">
                        <h3>"Suspend"</h3>
                        <p class="consequence">{suspend_says}</p>
                        <input type="hidden" name="partner" value=slug.clone()/>
                        <label>"Why suspend (required)"
                            <input name="reason" required maxlength="1000" placeholder="credential leak reported"/>
                        </label>
                        <TypeToConfirm slug=slug typed=typed/>
                        <button type="submit" class="danger" disabled=move || suspend.pending().get() || !matches()>"Suspend partner"</button>
                        <ActionError value=Signal::derive(move || suspend.value().get())/>
                        <ActionDone value=Signal::derive(move || suspend.value().get())/>
                    </ActionForm>
                }
            })}
            {moves.into_iter().map(|(to, says)| {
                let slug = slug.clone();
                let typed = RwSignal::new(String::new());
                let matches = {
                    let slug = slug.clone();
                    move || typed.read() == slug
                };
                let offboard = to == Stage::Offboarded.as_str();
                // This card's answer only: the last card sent is remembered.
                let here = {
                    let to = to.clone();
                    Signal::derive(move || sent.get() == to)
                };
                let answer = Signal::derive(move || here.get().then(|| takeaway.value().get()).flatten());
                let click = {
                    let to = to.clone();
                    move |_| sent.set(to.clone())
                };
                let (title, button, id) = if offboard {
                    ("Offboard", "Offboard partner", "offboard")
                } else {
                    ("Demote to sandbox", "Demote partner", "demote")
                };
                view! {
                    <ActionForm action=takeaway attr:class="card danger" attr:id=id>
                        <h3>{title}</h3>
                        <p class="consequence">{says}</p>
                        <input type="hidden" name="partner" value=slug.clone()/>
                        <input type="hidden" name="to" value=to/>
                        <label>"Reason (kept in the audit log)" <input name="reason" maxlength="1000" placeholder="contract ended"/></label>
                        <TypeToConfirm slug=slug typed=typed/>
                        <button type="submit" class="danger" disabled=move || takeaway.pending().get() || !matches() on:click=click>{button}</button>
                        <ActionError value=answer/>
                        <ActionDone value=answer/>
                    </ActionForm>
                }
            }).collect_view()}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(environment: &str, enabled: bool) -> ClientRow {
        ClientRow {
            client_id: "c".into(),
            name: "c".into(),
            auth_method: "client_secret_basic".into(),
            scopes: String::new(),
            created: String::new(),
            environment: environment.into(),
            enabled,
        }
    }

    #[test]
    fn consequences_count_the_clients_that_lose_tokens() {
        let clients = [
            client("production", true),
            client("sandbox", true),
            client("production", false),
        ];
        assert!(
            consequence("acme", "production", "sandbox", &clients)
                .starts_with("acme's 1 production client stops getting tokens;")
        );
        assert!(
            consequence("acme", "sandbox", "offboarded", &clients).starts_with(
                "acme's 2 clients stop getting tokens, every token derived from acme is revoked"
            )
        );
        assert!(
            suspension_consequence("acme", "sandbox", &[])
                .starts_with("acme has no enabled client, so none stops getting tokens")
        );
        assert!(
            consequence("acme", "suspended", "offboarded", &clients).starts_with(
                "acme is suspended and gets no tokens now, so no client stops getting tokens"
            )
        );
        assert!(is_destructive("production", "sandbox"));
        assert!(is_destructive("applied", "offboarded"));
        assert!(!is_destructive("in_review", "sandbox"));
        assert!(!is_destructive("sandbox", "production"));
    }
}
