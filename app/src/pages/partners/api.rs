//! Server functions of the partners page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, console, op_error, outcome_sentence, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRow {
    pub slug: String,
    pub name: String,
    /// Lifecycle stage: applied, in_review, sandbox, production, suspended, offboarded.
    pub stage: String,
    /// The stages an ordinary stage change may move it to now (production: by request).
    pub next_stages: Vec<String>,
    /// Whether suspension is possible from its stage (the domain's rule).
    pub may_suspend: bool,
    pub suspended_reason: Option<String>,
    pub enabled: bool,
    pub created: String,
}

#[cfg(feature = "ssr")]
impl From<entente_store::entities::partner::Model> for PartnerRow {
    fn from(p: entente_store::entities::partner::Model) -> Self {
        use entente_domain::lifecycle::{Stage, check_suspend, check_transition};
        let from: Stage = p.stage.into();
        Self {
            slug: p.slug,
            name: p.name,
            stage: p.stage.to_string(),
            next_stages: Stage::ALL
                .into_iter()
                .filter(|to| check_transition(from, *to).is_ok())
                .map(|to| to.as_str().to_owned())
                .collect(),
            may_suspend: check_suspend(from).is_ok(),
            suspended_reason: p.suspended_reason,
            enabled: p.enabled,
            created: crate::ssr::format_time(p.created_at),
        }
    }
}

/// Partners per page of the list.
pub const PAGE: u64 = 20;
/// Partners named in each pipeline lane.
pub const LANE: u64 = 6;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lane {
    pub stage: String,
    pub count: i64,
    /// (slug, name) of the first partners in the stage.
    pub first: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerList {
    pub rows: Vec<PartnerRow>,
    /// Partners matching the filter.
    pub total: u64,
    pub offset: u64,
    /// Every partner, by stage.
    pub pipeline: Vec<Lane>,
}

/// One page of partners, filtered on the server, and the pipeline.
#[server]
pub async fn partners_page(filter: String, offset: u64) -> Result<PartnerList, ConsoleError> {
    use entente_domain::lifecycle::Stage;
    authorize("partners_page").await?;
    let store = console()?.store;
    let (rows, total) = store
        .partners_page(Some(&filter), offset, PAGE)
        .await
        .map_err(user_error)?;
    let counts = store.partners_by_stage().await.map_err(user_error)?;
    let mut pipeline = vec![];
    for stage in Stage::ALL {
        let count = counts
            .iter()
            .find(|(k, _)| k == stage.as_str())
            .map_or(0, |(_, n)| *n);
        let first = if count == 0 {
            vec![]
        } else {
            store
                .partners_in_stage(stage.into(), LANE)
                .await
                .map_err(user_error)?
                .into_iter()
                .map(|p| (p.slug, p.name))
                .collect()
        };
        pipeline.push(Lane {
            stage: stage.as_str().to_owned(),
            count,
            first,
        });
    }
    Ok(PartnerList {
        rows: rows.into_iter().map(PartnerRow::from).collect(),
        total,
        offset,
        pipeline,
    })
}

#[server]
pub async fn list_partners() -> Result<Vec<PartnerRow>, ConsoleError> {
    authorize("list_partners").await?;
    let ps = console()?.store.list_partners().await.map_err(user_error)?;
    Ok(ps.into_iter().map(PartnerRow::from).collect())
}

#[server]
pub async fn create_partner(
    slug: String,
    name: String,
    stage: String,
) -> Result<String, ConsoleError> {
    let admin = authorize("create_partner").await?;
    let p = console()?
        .ops
        .create_partner(&admin.acting(), slug, name, Some(&stage), crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(p.slug)
}

/// An ordinary stage change; promotion to production becomes a change request.
#[server]
pub async fn move_partner_stage(
    partner: String,
    to: String,
    reason: String,
) -> Result<String, ConsoleError> {
    use entente_operations::partners::StageMoved;
    let admin = authorize("move_partner_stage").await?;
    let moved = console()?
        .ops
        .move_partner_stage(&admin.acting(), &partner, &to, &reason, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(match moved {
        StageMoved::Moved(p) => format!(
            "{} is now {}.",
            p.slug,
            entente_types::stage::Stage::label_of(&p.stage.to_string()).to_lowercase()
        ),
        StageMoved::Submitted(out) => outcome_sentence(out),
    })
}

/// The kill switch (no approval: it only takes access away).
#[server]
pub async fn suspend_partner(partner: String, reason: String) -> Result<String, ConsoleError> {
    let admin = authorize("suspend_partner").await?;
    let p = console()?
        .ops
        .suspend_partner(&admin.acting(), &partner, &reason, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(format!(
        "{} is suspended: its clients get no new tokens and every token derived from it is revoked.",
        p.slug
    ))
}

/// Reactivation restores access, so it is a change request.
#[server]
pub async fn reactivate_partner(partner: String, reason: String) -> Result<String, ConsoleError> {
    let admin = authorize("reactivate_partner").await?;
    let out = console()?
        .ops
        .reactivate_partner(&admin.acting(), &partner, &reason, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(outcome_sentence(out))
}
