//! Change requests: changes that widen production access, waiting for a different
//! administrator. Administrators approve or reject others' requests (rejecting needs a
//! comment); whoever filed a pending request can withdraw it; everyone sees the decisions.

pub mod api;

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::components::{ActionDone, ActionError, ConfirmSubmit, ErrorBox, Field, Layout, Pager};
use entente_types::diff::{DiffLine, Mark, grouped};

use api::{DecideChangeRequest, PAGE, RequestRow, WithdrawChangeRequest, list_change_requests};

#[component]
pub fn ChangeRequests() -> impl IntoView {
    let decide = ServerAction::<DecideChangeRequest>::new();
    let withdraw = ServerAction::<WithdrawChangeRequest>::new();
    crate::components::refresh_nav_on(move || decide.version().get() + withdraw.version().get());
    let query = use_query_map();
    // `?show=all` (an audit event's link) opens on every request, not only the pending ones.
    let status = RwSignal::new(
        query
            .read_untracked()
            .get("show")
            .filter(|s| {
                ["pending", "approved", "rejected", "withdrawn", "all"].contains(&s.as_str())
            })
            .unwrap_or_else(|| "pending".to_owned()),
    );
    let offset = RwSignal::new(0u64);
    let partner = move || query.read().get("partner").unwrap_or_default();
    // An audit event's link names one request, however old.
    let request = move || {
        query
            .read()
            .get("request")
            .and_then(|r| r.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let data = Resource::new(
        move || {
            (
                status.get(),
                partner(),
                offset.get(),
                request(),
                decide.version().get(),
                withdraw.version().get(),
            )
        },
        |(s, p, o, r, ..)| list_change_requests(s, p, o, r),
    );
    view! {
        <Layout title="Change requests">
            <p class="subtitle">
                "Promoting a partner to production, widening a production partner's grants or trust rules, "
                "and reactivating a suspended partner wait here until a different administrator approves."
            </p>
            {move || (!partner().is_empty() && request() == 0).then(|| view! {
                <p>"Partner " <code>{partner()}</code> " · " <A href="/changes">"all partners"</A></p>
            })}
            {move || (request() > 0).then(|| {
                let others = if partner().is_empty() {
                    "/changes?show=all".to_owned()
                } else {
                    format!("/changes?show=all&partner={}", partner())
                };
                view! {
                    <p>"Request " <code>{format!("#{}", request())}</code> " · "
                        <A href=others>{if partner().is_empty() { "all requests".to_owned() } else { format!("all of {}'s requests", partner()) }}</A></p>
                }
            })}
            <label class="filter-inline">"Show"
                <select on:change=move |ev| { status.set(event_target_value(&ev)); offset.set(0); } prop:value=move || status.get()>
                    <option value="pending" selected=move || status.get() == "pending">"Pending"</option>
                    <option value="all" selected=move || status.get() == "all">"All"</option>
                    <option value="approved" selected=move || status.get() == "approved">"Approved"</option>
                    <option value="rejected" selected=move || status.get() == "rejected">"Rejected"</option>
                    <option value="withdrawn" selected=move || status.get() == "withdrawn">"Withdrawn"</option>
                </select>
            </label>
            <ActionError value=Signal::derive(move || decide.value().get())/>
            <ActionDone value=Signal::derive(move || decide.value().get())/>
            <ActionError value=Signal::derive(move || withdraw.value().get())/>
            <ActionDone value=Signal::derive(move || withdraw.value().get())/>
            <Transition fallback=|| view! { <p class="loading" role="status">"Loading change requests…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) if page.rows.is_empty() => view! {
                            <p class="empty">{if status.get_untracked() == "pending" {
                                "Nothing waits for approval."
                            } else {
                                "No change requests here."
                            }}</p>
                        }.into_any(),
                        Ok(page) => {
                            let can_decide = page.can_decide;
                            view! {
                                <ul class="requests">
                                    {page.rows.into_iter().map(|r| view! {
                                        <Request r=r can_decide=can_decide decide=decide withdraw=withdraw/>
                                    }).collect_view()}
                                </ul>
                                <Pager total=page.total offset=page.offset page=PAGE noun="requests" set_offset=offset/>
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
fn Request(
    r: RequestRow,
    can_decide: bool,
    decide: ServerAction<DecideChangeRequest>,
    withdraw: ServerAction<WithdrawChangeRequest>,
) -> impl IntoView {
    let pending = r.status == "pending";
    let comment = RwSignal::new(String::new());
    let id = r.id.to_string();
    let state_class = format!("state state-{}", r.status);
    let comment_id = format!("comment-{}", r.id);
    let evidence = r.promotion.then(|| {
        (
            format!("/partners/{}/onboarding", r.partner),
            format!("{}'s onboarding checklist", r.partner),
        )
    });
    view! {
        <li class="card request" id=format!("request-{}", r.id)>
            <div class="request-head">
                <strong>"#" {r.id} " " {r.summary.clone()}</strong>
                <span class=state_class>{r.status.clone()}</span>
            </div>
            <p class="meta">
                "Partner " <A href=format!("/partners/{}", r.partner)>{r.partner.clone()}</A>
                " · filed by " {r.requested_by.clone()} " on " {r.requested_at.clone()}
            </p>
            {(!r.reason.is_empty()).then(|| view! { <p>"Reason: " {r.reason.clone()}</p> })}
            {(!r.diff.is_empty()).then(|| view! { <Diff lines=r.diff.clone() pending=pending/> })}
            {evidence.map(|(href, text)| view! {
                <p class="meta">"Evidence: " <A href=href>{text}</A></p>
            })}
            {r.decided_by.clone().map(|by| view! {
                <p class="decision">
                    {r.status.clone()} " by " {by} " on " {r.decided_at.clone().unwrap_or_default()}
                    {r.comment.clone().map(|c| view! { ": “" {c} "”" })}
                </p>
            })}
            {(pending && can_decide && !r.mine).then({
                let id = id.clone();
                move || view! {
                <ActionForm action=decide attr:class="decide">
                    <input type="hidden" name="id" value=id/>
                    <Field label="Comment (required to reject)" help="The requester reads it with the decision.">
                        <textarea id=comment_id.clone() name="comment" rows="2" maxlength="1000"
                            on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                    </Field>
                    <div class="actions">
                        <ConfirmSubmit label="Approve" name="decision" value="approve"
                            question="Approve this change request? It takes effect at once."
                            disabled=Signal::derive(move || decide.pending().get())/>
                        <button type="submit" name="decision" value="reject" class="danger"
                            disabled=move || decide.pending().get() || comment.read().trim().is_empty()
                            title="Say why in the comment to reject">"Reject"</button>
                    </div>
                </ActionForm>
            }})}
            {(pending && r.mine).then(|| view! {
                <p class="meta">"You filed this request: a different administrator decides it."</p>
                <ActionForm action=withdraw>
                    <input type="hidden" name="id" value=id/>
                    <ConfirmSubmit label="Withdraw" question="Withdraw this change request?" class="secondary"/>
                </ActionForm>
            })}
            {(pending && !can_decide && !r.mine).then(|| view! {
                <p class="meta">"Waiting for an administrator."</p>
            })}
        </li>
    }
}

/// Before → after, a group per heading: added lines marked +, removed −, the rest as context.
#[component]
fn Diff(lines: Vec<DiffLine>, pending: bool) -> impl IntoView {
    let groups: Vec<(String, Vec<DiffLine>)> = grouped(&lines)
        .into_iter()
        .map(|(g, ls)| (g.to_owned(), ls.into_iter().cloned().collect()))
        .collect();
    let heading = if pending {
        "What approving changes"
    } else {
        "What it changed"
    };
    view! {
        <div class="request-diff">
            <p class="diff-title">{heading}</p>
            {groups.into_iter().map(|(g, ls)| view! {
                <p class="diff-group">{g}</p>
                <ul class="diff">
                    {ls.into_iter().map(|l| {
                        let (class, said) = match l.mark {
                            Mark::Added => ("add", "added"),
                            Mark::Removed => ("remove", "removed"),
                            Mark::Kept => ("keep", "unchanged"),
                        };
                        view! {
                            <li class=class>
                                <span class="sign" aria-hidden="true">{l.mark.sign()}</span>
                                <span class="visually-hidden">{said} ": "</span>
                                {l.text}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }).collect_view()}
        </div>
    }
}
