//! Server functions of the change-requests page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: i64,
    pub partner: String,
    pub summary: String,
    /// For a promotion: the partner's production grants and trust rules when it was filed.
    pub details: String,
    /// What the change does: as filed while pending, as approved once approved.
    pub diff: Vec<entente_types::diff::DiffLine>,
    /// A promotion: its onboarding checklist is the evidence the approver reads.
    pub promotion: bool,
    pub reason: String,
    pub status: String,
    pub requested_by: String,
    pub requested_at: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub comment: Option<String>,
    /// The signed-in user filed it (may withdraw, may not decide).
    pub mine: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestPage {
    pub rows: Vec<RequestRow>,
    /// The signed-in user is an administrator (decides others' requests).
    pub can_decide: bool,
    /// Requests matching the filter, on every page.
    pub total: u64,
    pub offset: u64,
}

/// Requests per page of the list.
pub const PAGE: u64 = 20;

/// `status`: pending, approved, rejected, withdrawn, or empty for all; `partner`: a slug or empty;
/// `request`: one request's number, or 0 for any.
#[server]
pub async fn list_change_requests(
    status: String,
    partner: String,
    offset: u64,
    #[server(default)] request: i64,
) -> Result<RequestPage, ConsoleError> {
    use entente_store::governance::RequestFilter;
    let me = authorize("list_change_requests").await?;
    let status = match status.as_str() {
        "" | "all" => None,
        s => Some(s.parse().map_err(bad_request)?),
    };
    let filter = RequestFilter {
        status,
        partner: (!partner.is_empty()).then_some(partner),
        id: (request > 0).then_some(request),
        limit: PAGE,
        offset,
    };
    let store = console()?.store;
    let total = store
        .count_change_requests(&filter)
        .await
        .map_err(user_error)?;
    let rows = store
        .list_change_requests(&filter)
        .await
        .map_err(user_error)?;
    let actor = me.actor().name;
    Ok(RequestPage {
        total,
        offset,
        can_decide: me.role == entente_store::enums::Role::Admin,
        rows: rows
            .into_iter()
            .map(|(r, partner)| RequestRow {
                id: r.id,
                partner,
                diff: r.diff_lines(),
                promotion: r.kind == "promote",
                summary: r.summary,
                details: r.details,
                reason: r.reason,
                status: r.status.to_string(),
                mine: r.requested_by == actor,
                requested_by: shown(&r.requested_by),
                requested_at: crate::ssr::format_time(r.requested_at),
                decided_by: r.decided_by.as_deref().map(shown),
                decided_at: r.decided_at.map(crate::ssr::format_time),
                comment: r.decision_comment,
            })
            .collect(),
    })
}

/// `admin:alice@example.com` → `alice@example.com`; `cli:root` stays as it is.
#[cfg(feature = "ssr")]
fn shown(actor: &str) -> String {
    actor.strip_prefix("admin:").unwrap_or(actor).to_owned()
}

/// `decision`: approve or reject (the button pressed). Rejecting needs a comment.
#[server]
pub async fn decide_change_request(
    id: i64,
    decision: String,
    comment: String,
) -> Result<String, ConsoleError> {
    use entente_domain::governance::Decision;
    let me = authorize("decide_change_request").await?;
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => return Err(bad_request("decide approve or reject")),
    };
    let r = console()?
        .ops
        .decide_change_request(&me.acting(), id, decision, &comment, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Change request #{} {}.", r.id, r.status))
}

#[server]
pub async fn withdraw_change_request(id: i64) -> Result<String, ConsoleError> {
    let me = authorize("withdraw_change_request").await?;
    let r = console()?
        .ops
        .withdraw_change_request(&me.acting(), id, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Change request #{} withdrawn.", r.id))
}
