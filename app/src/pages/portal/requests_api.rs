//! What a partner asks of the administrators from the portal: production for the organisation,
//! scopes on an audience, a production client. Each is filed as a change request (never
//! applied by the partner, whatever it widens), decided by an administrator on the changes
//! page, and shown here with the decision. Everything is scoped to the caller's partner (G50).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{bad_request, console, portal_user, user_error};

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
    let (me, p) = portal_user("portal_request_production").await?;
    if p.stage != entente_store::enums::PartnerStage::Sandbox {
        return Err(bad_request(format!(
            "production can be requested from the sandbox; your organisation is in {}",
            p.stage
        )));
    }
    let r = console()?
        .store
        .file_request(
            &me.actor(),
            entente_store::governance::Change::Promote { partner: p.slug },
            &reason,
            crate::ssr::now(),
        )
        .await
        .map_err(user_error)?;
    Ok(filed(&r))
}

/// Asks for `scopes` (space-separated) on `audience`, on top of what the partner holds there.
#[server]
pub async fn portal_request_scopes(
    audience: String,
    scopes: String,
    reason: String,
) -> Result<String, ConsoleError> {
    let (me, p) = portal_user("portal_request_scopes").await?;
    let c = console()?;
    // The admin API's audience is managed from the host: to a partner, it does not exist.
    if audience.trim_end_matches('/') == format!("{}/admin/api/v1", c.issuer) {
        return Err(crate::ssr::fail(ConsoleError::not_found(format!(
            "audience {audience} not found"
        ))));
    }
    let asked = entente_domain::ScopeSet::parse(&scopes).map_err(|e| bad_request(e.description))?;
    if asked.is_empty() {
        return Err(bad_request("pick at least one scope"));
    }
    let Some((_, defined)) = c
        .store
        .list_audiences()
        .await
        .map_err(user_error)?
        .into_iter()
        .find(|(a, _)| a.identifier == audience && a.enabled)
    else {
        return Err(crate::ssr::fail(ConsoleError::not_found(format!(
            "audience {audience} not found"
        ))));
    };
    if let Some(s) = asked.iter().find(|s| !defined.iter().any(|d| d.name == *s)) {
        return Err(bad_request(format!("{audience} has no scope {s}")));
    }
    let held = c
        .store
        .grants_of(&p.id)
        .await
        .map_err(user_error)?
        .into_iter()
        .find(|(a, _)| *a == audience)
        .map(|(_, s)| entente_domain::ScopeSet::from_tokens(s.split_whitespace()))
        .unwrap_or_default();
    if asked.is_subset(&held) {
        return Err(bad_request("you already hold these scopes"));
    }
    // Only what is new: the administrator approves these on top of the grant as it is then.
    let scopes = entente_domain::ScopeSet::from_tokens(
        asked
            .iter()
            .filter(|s| !held.contains(s))
            .map(str::to_owned),
    );
    let r = c
        .store
        .file_request(
            &me.actor(),
            entente_store::governance::Change::AddScopes {
                partner: p.slug,
                audience,
                scopes,
            },
            &reason,
            crate::ssr::now(),
        )
        .await
        .map_err(user_error)?;
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
    let (me, p) = portal_user("portal_request_client").await?;
    if p.stage != entente_store::enums::PartnerStage::Production {
        return Err(bad_request(
            "production clients come once your organisation is in production: request production on the overview first",
        ));
    }
    entente_domain::names::check_display_name(&name).map_err(bad_request)?;
    let c = console()?;
    let asked = entente_domain::ScopeSet::parse(&scopes).map_err(|e| bad_request(e.description))?;
    if asked.is_empty() {
        return Err(bad_request("pick at least one scope"));
    }
    let held = super::api::production_scopes(&c, &p.id).await?;
    if let Some(missing) = asked.iter().find(|s| !held.contains(s)) {
        return Err(bad_request(format!(
            "{missing} is not granted to you in production; request it under Requests first"
        )));
    }
    let grant_types = super::api::portal_grant_types(
        &c,
        &p.id,
        token_exchange,
        jwt_bearer,
        entente_store::enums::EnvironmentColumn::Production,
    )
    .await?;
    let r = c
        .store
        .file_request(
            &me.actor(),
            entente_store::governance::Change::ProductionClient {
                partner: p.slug,
                name: name.trim().to_owned(),
                scopes: asked,
                grant_types,
            },
            &reason,
            crate::ssr::now(),
        )
        .await
        .map_err(user_error)?;
    Ok(filed(&r))
}

/// Takes back a pending request the signed-in user filed; another partner's request is "not
/// found" (G50).
#[server]
pub async fn portal_withdraw(id: i64) -> Result<String, ConsoleError> {
    let (me, p) = portal_user("portal_withdraw").await?;
    let c = console()?;
    let not_found = || {
        crate::ssr::fail(ConsoleError::not_found(format!(
            "change request #{id} not found"
        )))
    };
    match c.store.change_request(id).await {
        Ok(r) if r.partner_id == p.id => {}
        Ok(_) | Err(entente_store::StoreError::NotFound(_)) => return Err(not_found()),
        Err(e) => return Err(user_error(e)),
    }
    let r = c
        .store
        .withdraw_change_request(&me.actor(), id, crate::ssr::now())
        .await
        .map_err(user_error)?;
    Ok(format!("Request #{} withdrawn.", r.id))
}
