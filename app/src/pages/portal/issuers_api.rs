//! Server functions of the portal's trusted issuers page: the partner registers its identity
//! providers (what its users' and workloads' tokens are signed by), trusts the sandbox's test
//! IdP in one step, and validates a sample token against the real policy. What the partner's
//! tokens may be exchanged for stays the administrators' decision (trust rules), except for the
//! sandbox test IdP on sandbox APIs, whose tokens are never production access (G50: always the
//! caller's partner).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
use crate::pages::trust::api::Explanation;
#[cfg(feature = "ssr")]
use crate::ssr::{bad_request, console, portal_user, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalIssuer {
    pub issuer: String,
    pub keys: String,
    pub kinds: String,
    pub enabled: bool,
    pub test_idp: bool,
    /// "audience: scopes" of each enabled rule under it.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuersPage {
    pub issuers: Vec<PortalIssuer>,
    pub test_idp: String,
    pub test_idp_trusted: bool,
    /// The partner's sandbox clients (id, name) and the sandbox APIs it holds scopes on.
    pub clients: Vec<(String, String)>,
    pub audiences: Vec<String>,
    pub can_manage: bool,
}

#[server]
pub async fn portal_issuers() -> Result<IssuersPage, ConsoleError> {
    let (me, p) = portal_user("portal_issuers").await?;
    let c = console()?;
    let (test_idp, _) = c.sandbox.0.test_idp();
    let rules = c
        .store
        .list_trust_rules(Some(&p.id))
        .await
        .map_err(user_error)?;
    let audiences: std::collections::HashMap<String, String> = c
        .store
        .list_audiences()
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|(a, _)| (a.id, a.identifier))
        .collect();
    let issuers: Vec<PortalIssuer> = c
        .store
        .list_trusted_issuers(Some(&p.id))
        .await
        .map_err(user_error)?
        .into_iter()
        .map(|i| PortalIssuer {
            rules: rules
                .iter()
                .filter(|r| r.issuer_id == i.id && r.enabled)
                .map(|r| {
                    format!(
                        "{}: {}",
                        audiences.get(&r.audience_id).cloned().unwrap_or_default(),
                        r.scopes
                    )
                })
                .collect(),
            keys: match (&i.jwks_uri, &i.jwks) {
                (Some(u), _) => format!("fetched from {u}"),
                _ => "registered JWKS".into(),
            },
            kinds: i.kinds.replace(' ', ", "),
            enabled: i.enabled,
            test_idp: i.issuer == test_idp,
            issuer: i.issuer,
        })
        .collect();
    let sandbox = entente_store::enums::EnvironmentColumn::Sandbox;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?
        .into_iter()
        .filter(|m| m.environment == sandbox && m.enabled)
        .map(|m| (m.client_id, m.name))
        .collect();
    Ok(IssuersPage {
        test_idp_trusted: issuers.iter().any(|i| i.test_idp),
        issuers,
        test_idp,
        clients,
        audiences: super::api::sandbox_grants(&c, &p.id)
            .await?
            .into_iter()
            .map(|(a, _)| a)
            .collect(),
        can_manage: me.role == entente_store::enums::Role::PartnerAdmin,
    })
}

/// Registers the partner's identity provider: its issuer identifier and its keys (a JWKS URL,
/// checked against the SSRF rules now, or a pasted JWKS of public keys). Its tokens are
/// exchanged only under trust rules the administrators set.
#[server]
pub async fn portal_add_issuer(
    issuer: String,
    jwks_uri: String,
    jwks: String,
) -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_add_issuer").await?;
    let c = console()?;
    let mut new = entente_store::federation::NewTrustedIssuer::new(issuer, c.issuer.clone());
    new.jwks_uri = Some(jwks_uri);
    new.jwks = Some(jwks);
    let m = c
        .ops
        .add_trusted_issuer(&me.acting(), None, new, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "{} registered. Your Entente administrators decide what its tokens may be exchanged for.",
        m.issuer
    ))
}

/// Registers the sandbox test IdP for the partner, with a rule on each sandbox API it holds
/// scopes on: the test IdP's tokens (for made-up users) may be exchanged there for those scopes,
/// passing the `email` claim. Sandbox only: production never accepts them.
#[server]
pub async fn portal_trust_test_idp() -> Result<String, ConsoleError> {
    let (me, _) = portal_user("portal_trust_test_idp").await?;
    let c = console()?;
    let (_, jwks) = c.sandbox.0.test_idp();
    let added = c
        .ops
        .trust_test_idp(&me.acting(), jwks, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "The sandbox test IdP is trusted for your sandbox APIs ({}). Mint its tokens in the playground.",
        entente_types::words::counted(added as u64, "new rule", "new rules")
    ))
}

/// Evaluates a token exchange of `token` by one of the partner's sandbox clients for
/// `audience`, without issuing anything: the decision and every check's trace.
#[server]
pub async fn portal_validate_token(
    client_id: String,
    audience: String,
    token: String,
) -> Result<Explanation, ConsoleError> {
    let (me, _) = portal_user("portal_validate_token").await?;
    let c = console()?;
    c.ops
        .client_for(
            &me.acting(),
            entente_operations::Operation::ValidateToken,
            &client_id,
        )
        .await
        .map_err(crate::ssr::op_error)?;
    if token.trim().is_empty() {
        return Err(bad_request("paste a token"));
    }
    use entente_domain::federation::explain::ExplainRequest;
    let req = ExplainRequest {
        client_id,
        grant_type: entente_domain::federation::GRANT_TOKEN_EXCHANGE.to_owned(),
        subject_token: Some(token.trim().to_owned()),
        subject_token_type: Some(entente_domain::federation::TT_ACCESS_TOKEN.to_owned()),
        audience: Some(entente_domain::jws::OneOrMany::One(audience)),
        ..Default::default()
    };
    let answer = c.sandbox.0.explain(req, false).await;
    Ok(Explanation {
        allowed: answer.allowed,
        summary: match &answer.granted {
            Some(g) if answer.allowed => format!(
                "Accepted: it would be exchanged for {} with scope \"{}\" (subject {})",
                g.audience, g.scope, g.sub
            ),
            _ => format!(
                "Refused: {} — {}",
                answer.error.unwrap_or(""),
                answer.error_description.as_deref().unwrap_or("")
            ),
        },
        trace: answer
            .trace
            .0
            .iter()
            .map(|s| crate::pages::trust::api::TraceRow {
                step: s.step.to_owned(),
                outcome: s.outcome.as_str().to_owned(),
                detail: s.detail.clone(),
            })
            .collect(),
    })
}
