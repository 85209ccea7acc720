//! Server functions of the scope matrix: one page of partners × the filtered scopes, and a
//! change set applied as one change per partner (a change request where approval is needed).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

/// Partners per page.
pub const PAGE: u64 = 25;
/// Cell bits: granted, requested (in a pending change request), covered by a trust rule.
pub const GRANTED: u8 = 1;
pub const REQUESTED: u8 = 2;
pub const RULE: u8 = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixColumn {
    pub audience: String,
    pub scope: String,
    pub description: String,
    pub sensitivity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixClientRow {
    pub client_id: String,
    pub name: String,
    pub allowed: Vec<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixPartnerRow {
    pub slug: String,
    pub name: String,
    pub stage: String,
    pub cells: Vec<u8>,
    pub clients: Vec<MatrixClientRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixPage {
    pub columns: Vec<MatrixColumn>,
    pub rows: Vec<MatrixPartnerRow>,
    pub total: u64,
    pub offset: u64,
    /// Every audience, for the filter.
    pub audiences: Vec<String>,
    /// The signed-in user may edit (administrators and operators).
    pub can_edit: bool,
}

/// One edited cell: the partner should (not) hold `scope` on `audience`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub partner: String,
    pub audience: String,
    pub scope: String,
    pub grant: bool,
}

#[server]
pub async fn scope_matrix(
    audience: String,
    sensitivity: String,
    stage: String,
    search: String,
    offset: u64,
) -> Result<MatrixPage, ConsoleError> {
    use entente_store::matrix::MatrixQuery;
    let me = authorize("scope_matrix").await?;
    let store = console()?.store;
    let stage = match stage.as_str() {
        "" => None,
        s => Some(
            s.parse::<entente_domain::lifecycle::Stage>()
                .map_err(bad_request)?
                .into(),
        ),
    };
    let opt = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let m = store
        .scope_matrix(&MatrixQuery {
            audience: opt(audience),
            sensitivity: opt(sensitivity),
            stage,
            search: opt(search),
            offset,
            limit: PAGE,
        })
        .await
        .map_err(user_error)?;
    let audiences = store
        .list_audiences()
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|(a, _)| a.identifier)
        .collect();
    Ok(MatrixPage {
        columns: m
            .columns
            .into_iter()
            .map(|c| MatrixColumn {
                audience: c.audience,
                scope: c.scope,
                description: c.description,
                sensitivity: c.sensitivity,
            })
            .collect(),
        rows: m
            .rows
            .into_iter()
            .map(|r| MatrixPartnerRow {
                slug: r.partner.slug,
                name: r.partner.name,
                stage: r.partner.stage.to_string(),
                cells: r
                    .cells
                    .iter()
                    .map(|c| {
                        (u8::from(c.granted) * GRANTED)
                            | (u8::from(c.requested) * REQUESTED)
                            | (u8::from(c.rule) * RULE)
                    })
                    .collect(),
                clients: r
                    .clients
                    .into_iter()
                    .map(|c| MatrixClientRow {
                        client_id: c.client_id,
                        name: c.name,
                        allowed: c.allowed,
                    })
                    .collect(),
            })
            .collect(),
        total: m.total,
        offset,
        audiences,
        can_edit: me.role != entente_store::enums::Role::Auditor,
    })
}

/// Applies a change set: per partner, one change with every grant it touches (filed as one
/// change request when any of it widens production access). `edits` is JSON.
#[server]
pub async fn apply_matrix(edits: String, reason: String) -> Result<String, ConsoleError> {
    use entente_operations::governance::Outcome;
    use entente_operations::matrix::MatrixEdit;
    let me = authorize("apply_matrix").await?;
    let edits: Vec<Edit> = serde_json::from_str(&edits)
        .map_err(|e| bad_request(format!("the change set cannot be read: {e}")))?;
    let edits = edits
        .into_iter()
        .map(|e| MatrixEdit {
            partner: e.partner,
            audience: e.audience,
            scope: e.scope,
            grant: e.grant,
        })
        .collect();
    let done = console()?
        .ops
        .apply_matrix(&me.acting(), edits, &reason, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    let said: Vec<String> = done
        .into_iter()
        .map(|(partner, out)| match out {
            Outcome::Applied { .. } => format!("{partner}: saved"),
            out => format!("{partner}: {}", crate::ssr::outcome_sentence(out)),
        })
        .collect();
    Ok(said.join(" "))
}

/// A scope's description and sensitivity.
#[server]
pub async fn set_scope_info(
    audience: String,
    scope: String,
    description: String,
    sensitivity: String,
) -> Result<String, ConsoleError> {
    let me = authorize("set_scope_info").await?;
    console()?
        .ops
        .set_scope_info(
            &me.acting(),
            &audience,
            &scope,
            &description,
            &sensitivity,
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Scope {scope} saved."))
}
