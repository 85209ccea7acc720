//! The changes that may need approval: what each names, and how it reads to people.

use entente_domain::ScopeSet;
use serde::{Deserialize, Serialize};

use crate::federation::NewTrustRule;

/// A change that may need approval, as filed and as applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Sandbox → production.
    Promote { partner: String },
    /// Suspended → the stage it was suspended from.
    Reactivate { partner: String },
    /// Set (replace) the partner's grant on an audience.
    Grant {
        partner: String,
        audience: String,
        scopes: ScopeSet,
    },
    /// Set (create or replace) the rule for `issuer`'s tokens exchanged for `audience`.
    TrustRule {
        partner: String,
        issuer: String,
        audience: String,
        rule: NewTrustRule,
    },
    /// Several grants of one partner at once (a scope-matrix change set).
    Grants {
        partner: String,
        grants: Vec<GrantSet>,
    },
    /// Turn a disabled trust rule on.
    EnableTrustRule { rule_id: String },
    /// Turn a disabled trusted issuer on again (every rule under it resumes).
    EnableIssuer { partner: String, issuer: String },
    /// Add scopes to the partner's grant on an audience (what a partner asks for in the portal):
    /// applied on top of the grant as it is at approval, so nothing revoked meanwhile returns.
    AddScopes {
        partner: String,
        audience: String,
        scopes: ScopeSet,
    },
    /// A production client a partner asked for in the portal. It is created without a secret:
    /// the partner issues one in the portal after approval, so nobody else ever sees it.
    ProductionClient {
        partner: String,
        name: String,
        scopes: ScopeSet,
        grant_types: Vec<String>,
    },
}

/// One audience's grant in a set of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantSet {
    pub audience: String,
    pub scopes: ScopeSet,
}

impl Change {
    /// The partner's slug, when the change names it (a rule is named by its id alone).
    pub fn partner(&self) -> Option<&str> {
        match self {
            Self::Promote { partner }
            | Self::Reactivate { partner }
            | Self::Grant { partner, .. }
            | Self::TrustRule { partner, .. }
            | Self::Grants { partner, .. }
            | Self::EnableIssuer { partner, .. }
            | Self::AddScopes { partner, .. }
            | Self::ProductionClient { partner, .. } => Some(partner),
            Self::EnableTrustRule { .. } => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Self::Promote { .. } => "promote",
            Self::Reactivate { .. } => "reactivate",
            Self::Grant { .. } => "grant",
            Self::Grants { .. } => "grants",
            Self::TrustRule { .. } => "trust_rule",
            Self::EnableTrustRule { .. } => "enable_trust_rule",
            Self::EnableIssuer { .. } => "enable_issuer",
            Self::ProductionClient { .. } => "production_client",
            Self::AddScopes { .. } => "add_scopes",
        }
    }

    /// What the change is about; at most one pending request per target.
    pub fn target(&self) -> String {
        match self {
            Self::Promote { partner } | Self::Reactivate { partner } => {
                format!("partner:{partner}")
            }
            Self::Grant {
                partner, audience, ..
            } => format!("grant:{partner}:{audience}"),
            Self::TrustRule {
                partner,
                issuer,
                audience,
                ..
            } => format!("trust_rule:{partner}:{issuer}:{audience}"),
            Self::EnableTrustRule { rule_id, .. } => format!("trust_rule:{rule_id}"),
            Self::Grants { partner, .. } => format!("grants:{partner}"),
            Self::EnableIssuer { partner, issuer } => format!("issuer:{partner}:{issuer}"),
            Self::ProductionClient { partner, name, .. } => format!("client:{partner}:{name}"),
            Self::AddScopes {
                partner, audience, ..
            } => format!("grant:{partner}:{audience}"),
        }
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        match self {
            Self::Promote { partner } => format!("promote {partner} to production"),
            Self::Reactivate { partner } => format!("reactivate {partner}"),
            Self::Grant {
                partner,
                audience,
                scopes,
            } => format!("grant {partner} \"{scopes}\" on {audience}"),
            Self::TrustRule {
                partner,
                issuer,
                audience,
                rule,
            } => format!(
                "let {partner}'s tokens from {issuer} be exchanged for \"{}\" on {audience}",
                rule.scopes
            ),
            Self::EnableTrustRule { rule_id } => format!("enable trust rule {rule_id}"),
            Self::Grants { partner, grants } => format!(
                "grant {partner}: {}",
                grants
                    .iter()
                    .map(|g| format!("\"{}\" on {}", g.scopes, g.audience))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Self::EnableIssuer { partner, issuer } => {
                format!("enable {partner}'s trusted issuer {issuer} again")
            }
            Self::AddScopes {
                partner,
                audience,
                scopes,
            } => format!("add \"{scopes}\" to {partner}'s grant on {audience}"),
            Self::ProductionClient {
                partner,
                name,
                scopes,
                grant_types,
            } => format!(
                "create {partner}'s production client \"{name}\" for \"{scopes}\" ({})",
                grant_types
                    .iter()
                    .map(|g| g.rsplit(':').next().unwrap_or(g))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}
