//! Server function of the console's home: the federation at a glance.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub id: i64,
    pub partner: String,
    pub summary: String,
    pub requested_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recent {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub partner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverviewData {
    /// Every stage in lifecycle order, with its count.
    pub stages: Vec<(String, i64)>,
    pub pending: Vec<Pending>,
    pub pending_total: u64,
    pub recent: Vec<Recent>,
}

#[server]
pub async fn overview() -> Result<OverviewData, ConsoleError> {
    use entente_domain::governance::RequestStatus;
    use entente_domain::lifecycle::Stage;
    use entente_store::audit::AuditFilter;
    use entente_store::governance::RequestFilter;
    authorize("overview").await?;
    let store = console()?.store;
    let counts = store.partners_by_stage().await.map_err(user_error)?;
    let stages = Stage::ALL
        .iter()
        .map(|s| {
            let n = counts
                .iter()
                .find(|(k, _)| k == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s.as_str().to_owned(), n)
        })
        .collect();
    let pending = store
        .list_change_requests(&RequestFilter {
            status: Some(RequestStatus::Pending),
            partner: None,
            limit: 5,
            ..Default::default()
        })
        .await
        .map_err(user_error)?;
    let recent = store
        .audit_events(&AuditFilter {
            limit: 10,
            ..Default::default()
        })
        .await
        .map_err(user_error)?;
    let shown = |a: &str| a.strip_prefix("admin:").unwrap_or(a).to_owned();
    Ok(OverviewData {
        stages,
        pending_total: store.pending_change_requests().await.map_err(user_error)?,
        pending: pending
            .into_iter()
            .map(|(r, partner)| Pending {
                id: r.id,
                partner,
                summary: r.summary,
                requested_by: shown(&r.requested_by),
            })
            .collect(),
        recent: recent
            .into_iter()
            .map(|e| Recent {
                at: crate::ssr::format_time(e.at),
                actor: shown(&e.actor),
                action: e.action,
                target: e.target,
                partner: e.partner,
            })
            .collect(),
    })
}
