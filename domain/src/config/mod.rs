//! Configuration as code: the federation's catalog as one document (partners with their record,
//! clients, grants, trusted issuers and trust rules; audiences with their scopes), and the plan
//! that turns the catalog as it is into the document. Applying a plan is the store's job.
//!
//! A plan creates and updates; it never deletes. Within a partner the document lists, its
//! grants are what the document says (a grant it omits is removed), and trusted issuers and
//! trust rules it omits are disabled. Partners and audiences it omits are left alone.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::environment::Environment;
use crate::lifecycle::Stage;
use crate::onboarding::PartnerRecord;

mod plan;

pub use plan::plan;

pub const VERSION: u32 = 1;

fn is_false(b: &bool) -> bool {
    !*b
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_production(e: &Environment) -> bool {
    *e == Environment::Production
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub version: u32,
    #[serde(default)]
    pub audiences: Vec<AudienceConfig>,
    #[serde(default)]
    pub partners: Vec<PartnerConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceConfig {
    pub identifier: String,
    pub name: String,
    pub token_lifetime: i64,
    #[serde(default)]
    pub scopes: Vec<ScopeConfig>,
    /// production (when absent) or sandbox; fixed once the audience exists.
    #[serde(default, skip_serializing_if = "is_production")]
    pub environment: Environment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScopeConfig {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// low, medium or high.
    pub sensitivity: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerConfig {
    pub slug: String,
    pub name: String,
    pub stage: String,
    /// Why a suspended partner is suspended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_reason: Option<String>,
    /// Absent: the record is left as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<PartnerRecord>,
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    #[serde(default)]
    pub grants: Vec<GrantConfig>,
    #[serde(default)]
    pub issuers: Vec<IssuerConfig>,
    #[serde(default)]
    pub trust_rules: Vec<RuleConfig>,
}

/// A client; its secret is never part of the document (a new one is generated and shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub client_id: String,
    pub name: String,
    /// client_secret or private_key_jwt.
    pub auth_method: String,
    pub grant_types: Vec<String>,
    pub scopes: Vec<String>,
    /// The public JWKS of a private_key_jwt client, or
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    /// the address it publishes it at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// production (when absent) or sandbox. A partner not yet in production has sandbox
    /// clients only.
    #[serde(default, skip_serializing_if = "is_production")]
    pub environment: Environment,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantConfig {
    pub audience: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    pub issuer: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<String>,
    pub algorithms: Vec<String>,
    pub audiences: Vec<String>,
    pub kinds: Vec<String>,
    pub max_age: i64,
    pub skew: i64,
    pub subject_claim: String,
    /// The issuer guarantees that `subject_claim` never changes and is never reassigned; only
    /// then may it be a mutable claim such as `email`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub subject_claim_guaranteed: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub access_tokens_typed_jwt: bool,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

impl IssuerConfig {
    /// Everything but `enabled`: what only a new issuer can set.
    fn definition(&self) -> Self {
        Self {
            enabled: true,
            ..self.clone()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    pub issuer: String,
    pub audience: String,
    /// The ceiling, space-separated.
    pub scopes: String,
    /// `email groups=partner_groups`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub claims: String,
    /// `groups:admins=orders:write`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mappings: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub pairwise: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub delegation: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub delegation_only: bool,
    pub max_depth: u8,
    #[serde(default, skip_serializing_if = "is_false")]
    pub refresh: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<i64>,
    pub refresh_lifetime: i64,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
}

impl RuleConfig {
    fn definition(&self) -> Self {
        Self {
            enabled: true,
            ..self.clone()
        }
    }
}

/// One thing a plan does, in the order it must be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    CreateAudience(AudienceConfig),
    AddScopes {
        audience: String,
        scopes: Vec<ScopeConfig>,
    },
    SetScopeInfo {
        audience: String,
        scope: ScopeConfig,
    },
    /// Created in `stage` (applied, in_review or sandbox); later steps move it on.
    CreatePartner {
        slug: String,
        name: String,
        stage: Stage,
    },
    /// An ordinary stage change (`to` production waits for approval).
    MoveStage {
        partner: String,
        from: Stage,
        to: Stage,
    },
    Suspend {
        partner: String,
        reason: String,
    },
    /// Back to the stage it was suspended from (waits for approval).
    Reactivate {
        partner: String,
    },
    SetRecord {
        partner: String,
        record: PartnerRecord,
    },
    CreateClient {
        partner: String,
        client: ClientConfig,
    },
    /// Replace the grant; empty scopes remove it.
    SetGrant {
        partner: String,
        audience: String,
        before: Vec<String>,
        after: Vec<String>,
    },
    CreateIssuer {
        partner: String,
        issuer: IssuerConfig,
    },
    SetIssuerEnabled {
        partner: String,
        issuer: String,
        enabled: bool,
    },
    SetRule {
        partner: String,
        rule: RuleConfig,
    },
    SetRuleEnabled {
        partner: String,
        issuer: String,
        audience: String,
        enabled: bool,
    },
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let on_off = |b: bool| if b { "enable" } else { "disable" };
        match self {
            Self::CreateAudience(a) => write!(
                f,
                "+ audience {} ({} scopes, {} s tokens{})",
                a.identifier,
                a.scopes.len(),
                a.token_lifetime,
                if is_production(&a.environment) {
                    ""
                } else {
                    ", sandbox"
                }
            ),
            Self::AddScopes { audience, scopes } => write!(
                f,
                "+ scopes {} on {audience}",
                scopes
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            Self::SetScopeInfo { audience, scope } => write!(
                f,
                "~ scope {} of {audience}: {} sensitivity, description {:?}",
                scope.name, scope.sensitivity, scope.description
            ),
            Self::CreatePartner { slug, stage, .. } => {
                write!(f, "+ partner {slug} ({})", stage.as_str())
            }
            Self::MoveStage { partner, from, to } => write!(
                f,
                "~ partner {partner}: {} → {}",
                from.as_str(),
                to.as_str()
            ),
            Self::Suspend { partner, reason } => {
                write!(f, "~ partner {partner}: suspend ({reason})")
            }
            Self::Reactivate { partner } => write!(f, "~ partner {partner}: reactivate"),
            Self::SetRecord { partner, .. } => write!(f, "~ partner {partner}: record"),
            Self::CreateClient { partner, client } => write!(
                f,
                "+ client {} of {partner} ({}, {})",
                client.client_id, client.name, client.auth_method
            ),
            Self::SetGrant {
                partner,
                audience,
                before,
                after,
            } => write!(
                f,
                "~ grant {partner} → {audience}: [{}] → [{}]",
                before.join(" "),
                after.join(" ")
            ),
            Self::CreateIssuer { partner, issuer } => {
                write!(f, "+ issuer {} of {partner}", issuer.issuer)
            }
            Self::SetIssuerEnabled {
                partner,
                issuer,
                enabled,
            } => write!(f, "~ issuer {issuer} of {partner}: {}", on_off(*enabled)),
            Self::SetRule { partner, rule } => write!(
                f,
                "~ trust rule {partner}: {} → {} [{}]",
                rule.issuer, rule.audience, rule.scopes
            ),
            Self::SetRuleEnabled {
                partner,
                issuer,
                audience,
                enabled,
            } => write!(
                f,
                "~ trust rule {partner}: {issuer} → {audience}: {}",
                on_off(*enabled)
            ),
        }
    }
}
