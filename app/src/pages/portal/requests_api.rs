//! What a partner asks of the administrators from the portal: production for the organisation,
//! scopes on an audience, a production client. Each is filed as a change request (never
//! applied by the partner, whatever it widens), decided by an administrator on the changes
//! page, and shown here with the decision. Everything is scoped to the caller's partner (G50).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{console, op_error, portal_user, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalRequest {
    pub id: i64,
    pub kind: String,
    pub summary: String,
    pub status: String,
    pub requested_by: String,
    pub requested: String,
    pub reason: String,
    /// "approved on …" / "rejected on …: comment".
    pub decision: Option<String>,
    /// The signed-in user filed it and it is pending: they may withdraw it.
    pub withdrawable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudienceChoice {
    pub identifier: String,
    pub name: String,
    pub environment: String,
    /// Every scope the audience defines, and those the partner holds.
    pub scopes: Vec<String>,
    pub held: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestsPage {
    pub requests: Vec<PortalRequest>,
    pub audiences: Vec<AudienceChoice>,
    pub can_manage: bool,
}

/// The partner's requests filed through the portal (newest first), and the audiences it may
/// ask scopes of: every audience but the admin API's.
#[server]
pub async fn portal_requests() -> Result<RequestsPage, ConsoleError> {
    let (me, p) = portal_user("portal_requests").await?;
    let c = console()?;
    let filter = entente_store::governance::RequestFilter {
        partner: Some(p.slug.clone()),
        limit: 200,
        ..Default::default()
    };
    let mine = format!("portal:{}", me.email);
    let requests = c
        .store
        .list_change_requests(&filter)
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|(r, _)| r)
        // Requests the administrators filed about the partner are their own business.
        .filter(|r| r.requested_by.starts_with("portal:"))
        .map(|r| {
            let status = r.status.to_string();
            PortalRequest {
                decision: r.decided_at.map(|at| {
                    format!(
                        "{status} on {}{}",
                        crate::ssr::format_time(at),
                        r.decision_comment
                            .filter(|c| !c.is_empty())
                            .map(|c| format!(": {c}"))
                            .unwrap_or_default()
                    )
                }),
                withdrawable: status == "pending" && r.requested_by == mine,
                id: r.id,
                kind: r.kind,
                summary: r.summary,
                status,
                requested_by: r.requested_by.trim_start_matches("portal:").to_owned(),
                requested: crate::ssr::format_time(r.requested_at),
                reason: r.reason,
            }
        })
        .collect();
    let held: std::collections::HashMap<String, String> = c
        .store
        .grants_of(&p.id)
        .await
        .map_err(user_error)?
        .into_iter()
        .collect();
    let admin_api = format!("{}/admin/api/v1", c.issuer);
    let audiences = c
        .store
        .list_audiences()
        .await
        .map_err(user_error)?
        .into_iter()
        .filter(|(a, _)| a.enabled && a.identifier.trim_end_matches('/') != admin_api)
        .map(|(a, scopes)| AudienceChoice {
            held: held
                .get(&a.identifier)
                .map(|s| s.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            scopes: scopes.into_iter().map(|s| s.name).collect(),
            environment: a.environment.to_string(),
            identifier: a.identifier,
            name: a.name,
        })
        .collect();
    Ok(RequestsPage {
        requests,
        audiences,
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
    })
}

/// The sentence for a filed request.
#[cfg(feature = "ssr")]
fn filed(r: &entente_store::entities::change_request::Model) -> String {
    format!(
        "Request #{} filed: {}. An administrator will decide it; the decision appears under Requests.",
        r.id, r.summary
    )
}

/// Files the partner's promotion to production (sandbox → production), which an administrator
/// approves once the onboarding checklist is complete.
#[server]
pub async fn portal_request_production(reason: String) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_request_production").await?;
    let r = console()?
        .ops
        .request_production(&me.acting(), &reason, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(filed(&r))
}

/// Asks for `scopes` (space-separated) on `audience`, on top of what the partner holds there.
#[server]
pub async fn portal_request_scopes(
    audience: String,
    scopes: String,
    reason: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_request_scopes").await?;
    let r = console()?
        .ops
        .request_scopes(&me.acting(), audience, &scopes, &reason, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(filed(&r))
}

/// Asks for a production client with `scopes` the partner holds on production audiences. It
/// is created without a secret on approval; the partner issues one on the clients page.
#[server]
pub async fn portal_request_client(
    name: String,
    scopes: String,
    token_exchange: Option<String>,
    jwt_bearer: Option<String>,
    reason: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_request_client").await?;
    let mut grant_types = vec![super::api::PORTAL_GRANT_TYPES[0].0.to_owned()];
    for (on, (grant, _)) in [token_exchange, jwt_bearer]
        .iter()
        .zip(&super::api::PORTAL_GRANT_TYPES[1..])
    {
        if on.is_some() {
            grant_types.push((*grant).to_owned());
        }
    }
    let r = console()?
        .ops
        .request_production_client(
            &me.acting(),
            &name,
            &scopes,
            &grant_types,
            &reason,
            crate::ssr::now(),
        )
        .await
        .map_err(op_error)?;
    Ok(filed(&r))
}

/// Takes back a pending request the signed-in user filed; another partner's request is "not
/// found" (G50).
#[server]
pub async fn portal_withdraw(id: i64) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_withdraw").await?;
    let r = console()?
        .ops
        .withdraw_change_request(&me.acting(), id, crate::ssr::now())
        .await
        .map_err(op_error)?;
    Ok(format!("Request #{} withdrawn.", r.id))
}
