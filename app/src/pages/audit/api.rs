//! Server function of the audit page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub partner: Option<String>,
    /// What changed, in one line.
    pub summary: String,
    /// The changed fields: `-` before, `+` after, ` ` a plain field.
    pub diff: Vec<(char, String)>,
    /// The console page of the object the event is about.
    pub link: Option<String>,
    pub source: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    /// The id to page from for older events, when there are more.
    pub next_before: Option<i64>,
    /// The audit chain's state, in a sentence, and whether it verifies.
    pub chain: String,
    pub chain_ok: bool,
}

/// Filters as the page's form sends them (empty: any); `before` pages to older events.
#[server]
pub async fn list_audit(
    actor: String,
    partner: String,
    action: String,
    since: String,
    until: String,
    before: String,
) -> Result<AuditPage, ConsoleError> {
    use entente_store::audit::AuditFilter;
    authorize("list_audit").await?;
    let q = [
        ("actor", actor),
        ("partner", partner),
        ("action", action),
        ("since", since),
        ("until", until),
        ("before", before),
        ("limit", "50".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let f = AuditFilter::from_query(&q, crate::ssr::now()).map_err(bad_request)?;
    let events = console()?
        .store
        .audit_events(&f)
        .await
        .map_err(user_error)?;
    let (chain, chain_ok) = chain_state().await?;
    let next_before = (events.len() as u64 == f.limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    Ok(AuditPage {
        chain,
        chain_ok,
        next_before,
        rows: events
            .into_iter()
            .map(|e| AuditRow {
                summary: crate::ssr::audit_text::change_line(&e.details),
                diff: crate::ssr::audit_text::diff_lines(&e.details),
                link: crate::ssr::audit_text::object_link(&e.target, e.partner.as_deref()),
                id: e.id,
                at: crate::ssr::format_time(e.at),
                actor: e.actor,
                action: e.action,
                target: e.target,
                partner: e.partner,
                source: e.source,
                request_id: e.request_id,
            })
            .collect(),
    })
}

/// "Verified up to checkpoint N (signed T), and the M events since" — or where it breaks.
#[cfg(feature = "ssr")]
async fn chain_state() -> Result<(String, bool), ConsoleError> {
    use entente_store::audit::ChainState;
    let (last, state) = console()?
        .store
        .audit_chain_since_checkpoint()
        .await
        .map_err(user_error)?;
    Ok(match (last, state) {
        (_, ChainState::Broken(b)) => (
            format!(
                "The audit chain does not verify at event {}: {}. Run entente audit verify --checkpoints with a copy kept elsewhere to see how far it can be trusted.",
                b.seq, b.why
            ),
            false,
        ),
        (Some(c), ChainState::Verified { events, .. }) => (
            format!(
                "Audit chain verified: up to the checkpoint at event {} (signed {}), and {} since.",
                c.seq,
                crate::ssr::format_time(c.at),
                entente_types::words::counted(events, "event", "events")
            ),
            true,
        ),
        (None, ChainState::Verified { events, .. }) => (
            format!(
                "Audit chain verified: {}. The first signed checkpoint comes an hour after the first event.",
                entente_types::words::counted(events, "event", "events")
            ),
            true,
        ),
    })
}
