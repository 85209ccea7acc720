//! Server functions of the partner's "Trust rules" page: trusted issuers, trust rules and the
//! "try a token" panel (explain). Each checks the caller's role; all are POST.
// A server function's arguments are its form fields; the rule form simply has many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
use crate::pages::partners::api::PartnerRow;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, submit_change, user_error};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerRow {
    pub issuer: String,
    pub keys: String,
    pub kinds: String,
    pub audiences: String,
    pub enabled: bool,
    /// Its access tokens come typed `JWT` (Keycloak, Entra ID, Auth0) rather than `at+jwt`.
    pub typed_jwt: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleRow {
    pub id: String,
    pub issuer: String,
    pub audience: String,
    pub scopes: String,
    pub claims: String,
    /// Claim values that unlock scopes: `groups:admins=orders:write`.
    pub mappings: String,
    /// Access token lifetime in seconds; `None`: the audience's.
    pub lifetime: Option<i64>,
    pub delegation: String,
    pub pairwise: bool,
    pub refresh: bool,
    pub enabled: bool,
    /// The rule as the form edits it, to fill the form when this issuer and audience are chosen.
    pub form: RuleForm,
}

/// A rule's fields as the rule form shows and sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RuleForm {
    pub scopes: String,
    /// `email groups=teams`: claims passed through, renamed where `from=to`.
    pub claims: String,
    pub mappings: String,
    pub delegation: bool,
    pub delegation_only: bool,
    pub max_depth: u8,
    pub pairwise: bool,
    pub refresh: bool,
    /// Seconds; empty: the audience's.
    pub lifetime: String,
    pub refresh_lifetime: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustData {
    pub partner: PartnerRow,
    pub issuers: Vec<IssuerRow>,
    pub rules: Vec<RuleRow>,
    /// (client_id, name) of clients that may exchange tokens.
    pub clients: Vec<(String, String)>,
    pub audiences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceRow {
    pub step: String,
    pub outcome: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    pub allowed: bool,
    pub summary: String,
    pub trace: Vec<TraceRow>,
}

#[server]
pub async fn trust_overview(partner: String) -> Result<TrustData, ConsoleError> {
    authorize("trust_overview").await?;
    let c = console()?;
    let p = c
        .store
        .partner_by_slug(&partner)
        .await
        .map_err(user_error)?;
    let issuers = c
        .store
        .list_trusted_issuers(Some(&p.id))
        .await
        .map_err(user_error)?;
    let rules = c
        .store
        .list_trust_rules(Some(&p.id))
        .await
        .map_err(user_error)?;
    let audiences = c.store.list_audiences().await.map_err(user_error)?;
    let clients = c
        .store
        .list_clients(Some(&p.id))
        .await
        .map_err(user_error)?;
    let issuer_of = |id: &str| {
        issuers
            .iter()
            .find(|i| i.id == id)
            .map_or_else(|| id.to_owned(), |i| i.issuer.clone())
    };
    let audience_of = |id: &str| {
        audiences
            .iter()
            .find(|(a, _)| a.id == id)
            .map_or_else(|| id.to_owned(), |(a, _)| a.identifier.clone())
    };
    let names = |json: &str, key: &str| -> String {
        serde_json::from_str::<Vec<serde_json::Value>>(json)
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.get(key).and_then(|x| x.as_str()).map(str::to_owned))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Ok(TrustData {
        rules: rules
            .iter()
            .map(|r| RuleRow {
                id: r.id.clone(),
                issuer: issuer_of(&r.issuer_id),
                audience: audience_of(&r.audience_id),
                scopes: r.scopes.clone(),
                claims: names(&r.claims, "to"),
                mappings: serde_json::from_str(&r.mappings)
                    .map(|m: Vec<entente_domain::federation::rules::ScopeMapping>| {
                        entente_domain::federation::rules::format_scope_mappings(&m)
                    })
                    .unwrap_or_default(),
                lifetime: r.lifetime,
                delegation: match (r.delegation, r.delegation_only) {
                    (false, _) => "no".into(),
                    (true, false) => format!("allowed, depth ≤ {}", r.max_depth),
                    (true, true) => format!("required, depth ≤ {}", r.max_depth),
                },
                pairwise: r.pairwise,
                refresh: r.refresh,
                enabled: r.enabled,
                form: RuleForm {
                    scopes: r.scopes.clone(),
                    claims: serde_json::from_str(&r.claims)
                        .map(|c: Vec<entente_domain::federation::rules::ClaimPass>| {
                            entente_domain::federation::rules::format_claim_passes(&c)
                        })
                        .unwrap_or_default(),
                    mappings: serde_json::from_str(&r.mappings)
                        .map(|m: Vec<entente_domain::federation::rules::ScopeMapping>| {
                            entente_domain::federation::rules::format_scope_mappings(&m)
                        })
                        .unwrap_or_default(),
                    delegation: r.delegation,
                    delegation_only: r.delegation_only,
                    max_depth: u8::try_from(r.max_depth).unwrap_or(1),
                    pairwise: r.pairwise,
                    refresh: r.refresh,
                    lifetime: r.lifetime.map(|l| l.to_string()).unwrap_or_default(),
                    refresh_lifetime: r.refresh_lifetime,
                },
            })
            .collect(),
        issuers: issuers
            .into_iter()
            .map(|i| IssuerRow {
                keys: i.jwks_uri.unwrap_or_else(|| "static JWKS".into()),
                issuer: i.issuer,
                kinds: if i.access_tokens_typed_jwt {
                    format!("{} (access tokens typed JWT)", i.kinds)
                } else {
                    i.kinds
                },
                audiences: i.audiences,
                enabled: i.enabled,
                typed_jwt: i.access_tokens_typed_jwt,
            })
            .collect(),
        clients: clients
            .into_iter()
            .filter(|cl| {
                cl.grant_types
                    .split(' ')
                    .any(|g| g == entente_types::grant_type::GRANT_TOKEN_EXCHANGE)
            })
            .map(|cl| (cl.client_id, cl.name))
            .collect(),
        audiences: audiences.into_iter().map(|(a, _)| a.identifier).collect(),
        partner: PartnerRow::from(p),
    })
}

#[server]
pub async fn add_trusted_issuer(
    partner: String,
    issuer: String,
    jwks_uri: String,
    jwks: String,
    access_tokens: Option<String>,
    id_tokens: Option<String>,
    assertions: Option<String>,
    access_tokens_typed_jwt: Option<String>,
) -> Result<String, ConsoleError> {
    use entente_domain::federation::rules::TokenKind;
    let admin = authorize("add_trusted_issuer").await?;
    let c = console()?;
    let mut new = entente_store::federation::NewTrustedIssuer::new(
        issuer.trim().to_owned(),
        c.issuer.clone(),
    );
    new.jwks_uri = Some(jwks_uri);
    new.jwks = Some(jwks);
    let kinds: Vec<TokenKind> = [
        (access_tokens, TokenKind::AccessToken),
        (id_tokens, TokenKind::IdToken),
        (assertions, TokenKind::Assertion),
    ]
    .into_iter()
    .filter_map(|(on, k)| on.map(|_| k))
    .collect();
    // None ticked is refused by the store ("at least one token kind is required"), as
    // through every other door.
    new.kinds = kinds;
    new.access_tokens_typed_jwt = access_tokens_typed_jwt.is_some();
    let m = c
        .ops
        .add_trusted_issuer(&admin.acting(), Some(&partner), new, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(m.issuer)
}

#[server]
pub async fn set_trust_rule(
    partner: String,
    issuer: String,
    audience: String,
    scopes: String,
    claims: String,
    delegation: Option<String>,
    max_depth: u8,
    pairwise: Option<String>,
    refresh: Option<String>,
    reason: String,
    /// `claim:value=scope` items.
    mappings: Option<String>,
    delegation_only: Option<String>,
    /// Seconds; blank or absent: the audience's.
    lifetime: Option<String>,
    /// Seconds a refresh-token family lives; absent: 8 hours.
    refresh_lifetime: Option<i64>,
) -> Result<String, ConsoleError> {
    use entente_domain::federation::rules;
    let admin = authorize("set_trust_rule").await?;
    // The rule is judged only for a caller who may set it on this partner (403/404 first).
    console()?
        .ops
        .may(
            &admin.acting(),
            entente_operations::Operation::SetTrustRule,
            Some(&partner),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    let bad = |m: String| bad_request(m);
    let scopes =
        entente_domain::ScopeSet::parse(&scopes).map_err(|e| bad(e.description.to_string()))?;
    let mut r = entente_store::federation::NewTrustRule::new(scopes);
    r.claims = rules::parse_claim_passes(&claims).map_err(bad)?;
    r.delegation = delegation.is_some();
    r.max_depth = max_depth;
    r.pairwise = pairwise.is_some();
    r.refresh = refresh.is_some();
    // The form sends every field of the rule (filled from the rule it replaces): what is
    // absent is the default, as for the admin API's PUT and the CLI.
    r.mappings = rules::parse_scope_mappings(mappings.as_deref().unwrap_or("")).map_err(bad)?;
    r.delegation_only = delegation_only.is_some();
    r.lifetime = entente_types::names::check_rule_lifetime(lifetime.as_deref().unwrap_or(""))
        .map_err(bad)?;
    if let Some(l) = refresh_lifetime {
        r.refresh_lifetime = l;
    }
    let change = entente_store::governance::Change::TrustRule {
        partner,
        issuer,
        audience,
        rule: r,
    };
    submit_change(&admin, change, &reason).await
}

/// Whether the issuer's access tokens are typed `JWT` rather than `at+jwt` (as `entente issuer
/// update --access-tokens-typed-jwt` sets it). `typed_jwt`: "true" or "false".
#[server]
pub async fn set_issuer_typed_jwt(
    partner: String,
    issuer: String,
    typed_jwt: String,
) -> Result<String, ConsoleError> {
    let admin = authorize("set_issuer_typed_jwt").await?;
    let c = console()?;
    c.ops
        .may(
            &admin.acting(),
            entente_operations::Operation::UpdateTrustedIssuer,
            Some(&partner),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    let typed = match typed_jwt.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("typed_jwt is true or false")),
    };
    c.ops
        .set_issuer_typed_jwt(&admin.acting(), &partner, &issuer, typed, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(if typed {
        format!(
            "{issuer}: access tokens typed JWT are accepted (as Keycloak, Entra ID and Auth0 send them)."
        )
    } else {
        format!("{issuer}: access tokens must be typed at+jwt (RFC 9068).")
    })
}

/// Turns a trusted issuer off (at once: its tokens are refused within a second) or on again
/// (a request when it widens production access). `enabled`: "true" or "false".
#[server]
pub async fn set_issuer_state(
    partner: String,
    issuer: String,
    enabled: String,
    reason: Option<String>,
) -> Result<String, ConsoleError> {
    let admin = authorize("set_issuer_state").await?;
    // The partner is settled before the input is judged (403/404 first).
    console()?
        .ops
        .may(
            &admin.acting(),
            entente_operations::Operation::SetIssuerEnabled,
            Some(&partner),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    let enabled = match enabled.as_str() {
        "true" => true,
        "false" => false,
        _ => return Err(bad_request("enabled is true or false")),
    };
    let out = console()?
        .ops
        .set_issuer_enabled(
            &admin.acting(),
            &partner,
            &issuer,
            enabled,
            reason.as_deref().unwrap_or(""),
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    if enabled {
        return Ok(crate::ssr::outcome_sentence(out));
    }
    Ok(format!(
        "{issuer} disabled: its tokens are refused from now on."
    ))
}

#[server]
pub async fn set_rule_enabled(rule_id: String, enabled: bool) -> Result<String, ConsoleError> {
    let admin = authorize("set_rule_enabled").await?;
    let out = console()?
        .ops
        .set_trust_rule_enabled(&admin.acting(), &rule_id, enabled, "", crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    if enabled {
        return Ok(crate::ssr::outcome_sentence(out));
    }
    Ok("Rule disabled.".into())
}

#[server]
pub async fn explain_token(
    client_id: String,
    subject_token: String,
    subject_token_type: String,
    actor_token: String,
    audience: String,
    scope: String,
) -> Result<Explanation, ConsoleError> {
    authorize("explain_token").await?;
    let c = console()?;
    use entente_domain::federation::explain::ExplainRequest;
    use entente_domain::jws::OneOrMany;
    let opt = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let actor = opt(&actor_token);
    let req = ExplainRequest {
        client_id,
        grant_type: entente_domain::federation::GRANT_TOKEN_EXCHANGE.to_owned(),
        subject_token: opt(&subject_token),
        subject_token_type: Some(subject_token_type),
        actor_token_type: actor
            .is_some()
            .then(|| entente_domain::federation::TT_ACCESS_TOKEN.to_owned()),
        actor_token: actor,
        audience: opt(&audience).map(OneOrMany::One),
        scope: opt(&scope),
        ..Default::default()
    };
    let answer = c.sandbox.0.explain(req, true).await;
    let summary = match &answer.granted {
        Some(g) if answer.allowed => format!(
            "Allowed: {} for {} with scope \"{}\", {} s, subject {}",
            g.issued_token_type, g.audience, g.scope, g.expires_in, g.sub
        ),
        _ => format!(
            "Denied: {} — {}{}",
            answer.error.unwrap_or(""),
            answer.error_description.as_deref().unwrap_or(""),
            answer
                .diagnosis
                .as_deref()
                .map(|d| format!(". Why: {d}"))
                .unwrap_or_default()
        ),
    };
    let trace = answer
        .trace
        .0
        .iter()
        .map(|s| TraceRow {
            step: s.step.to_owned(),
            outcome: s.outcome.as_str().to_owned(),
            detail: s.detail.clone(),
        })
        .collect();
    let allowed = answer.allowed;
    Ok(Explanation {
        allowed,
        summary,
        trace,
    })
}
