//! Configuration as code: the federation's catalog as one document (partners with their record,
//! clients, grants, trusted issuers and trust rules; audiences with their scopes), and the plan
//! that turns the catalog as it is into the document. Applying a plan is the store's job.
//!
//! A plan creates and updates; it never deletes. Within a partner the document lists, its
//! grants are what the document says (a grant it omits is removed), and trusted issuers and
//! trust rules it omits are disabled. Partners and audiences it omits are left alone.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::environment::Environment;
use crate::lifecycle::{Stage, check_transition};
use crate::onboarding::PartnerRecord;

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

fn unique<'a, T>(
    items: &'a [T],
    key: impl Fn(&T) -> String,
    what: &str,
) -> Result<BTreeMap<String, &'a T>, String> {
    let mut out = BTreeMap::new();
    for i in items {
        if out.insert(key(i), i).is_some() {
            return Err(format!("{what} {} appears twice", key(i)));
        }
    }
    Ok(out)
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v.dedup();
    v
}

/// The steps that move a partner from `from` to `to`, by allowed transitions only.
fn stage_steps(
    partner: &str,
    from: Stage,
    to: Stage,
    reason: Option<&str>,
) -> Result<Vec<Step>, String> {
    use Stage::*;
    if from == to {
        return Ok(vec![]);
    }
    if to == Suspended {
        let reason = reason.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
            format!("partner {partner}: a suspended partner needs suspended_reason")
        })?;
        return Ok(vec![Step::Suspend {
            partner: partner.into(),
            reason: reason.into(),
        }]);
    }
    if from == Suspended {
        return Err(format!(
            "partner {partner} is suspended: reactivate it (entente partner reactivate) before moving it to {}",
            to.as_str()
        ));
    }
    // The ordinary transitions form a short chain; walk it breadth-first.
    let mut paths: Vec<Vec<Stage>> = vec![vec![from]];
    for _ in 0..Stage::ALL.len() {
        let mut next = vec![];
        for p in &paths {
            let last = *p.last().unwrap_or(&from);
            for s in Stage::ALL {
                if s != Suspended && !p.contains(&s) && check_transition(last, s).is_ok() {
                    let mut q = p.clone();
                    q.push(s);
                    if s == to {
                        return Ok(q
                            .windows(2)
                            .map(|w| Step::MoveStage {
                                partner: partner.into(),
                                from: w[0],
                                to: w[1],
                            })
                            .collect());
                    }
                    next.push(q);
                }
            }
        }
        paths = next;
    }
    Err(format!(
        "partner {partner} cannot move from {} to {}",
        from.as_str(),
        to.as_str()
    ))
}

/// What applying `desired` to a catalog that is `current` does, in order. An error when the
/// document is inconsistent or asks for what configuration cannot change.
pub fn plan(current: &Config, desired: &Config) -> Result<Vec<Step>, String> {
    if desired.version != VERSION {
        return Err(format!("version is {VERSION}, not {}", desired.version));
    }
    let mut steps = vec![];
    let have_aud = unique(&current.audiences, |a| a.identifier.clone(), "audience")?;
    let want_aud = unique(&desired.audiences, |a| a.identifier.clone(), "audience")?;
    for (id, want) in &want_aud {
        unique(&want.scopes, |s| s.name.clone(), &format!("{id}: scope"))?;
        let Some(have) = have_aud.get(id) else {
            steps.push(Step::CreateAudience((*want).clone()));
            for s in want
                .scopes
                .iter()
                .filter(|s| !(s.description.is_empty() && s.sensitivity == "medium"))
            {
                steps.push(Step::SetScopeInfo {
                    audience: id.clone(),
                    scope: s.clone(),
                });
            }
            continue;
        };
        if have.name != want.name
            || have.token_lifetime != want.token_lifetime
            || have.environment != want.environment
        {
            return Err(format!(
                "audience {id}: its name, token lifetime and environment cannot be changed by configuration"
            ));
        }
        let missing: Vec<ScopeConfig> = want
            .scopes
            .iter()
            .filter(|s| !have.scopes.iter().any(|h| h.name == s.name))
            .cloned()
            .collect();
        if !missing.is_empty() {
            steps.push(Step::AddScopes {
                audience: id.clone(),
                scopes: missing.clone(),
            });
        }
        for s in &want.scopes {
            let before = have.scopes.iter().find(|h| h.name == s.name);
            let default = ScopeConfig {
                name: s.name.clone(),
                description: String::new(),
                sensitivity: "medium".into(),
            };
            if before.unwrap_or(&default) != s {
                steps.push(Step::SetScopeInfo {
                    audience: id.clone(),
                    scope: s.clone(),
                });
            }
        }
    }
    let have_p = unique(&current.partners, |p| p.slug.clone(), "partner")?;
    let want_p = unique(&desired.partners, |p| p.slug.clone(), "partner")?;
    // Client IDs are global.
    let mut every_client = BTreeMap::new();
    for p in &current.partners {
        for c in &p.clients {
            every_client.insert(c.client_id.clone(), p.slug.clone());
        }
    }
    for (slug, want) in &want_p {
        let to: Stage = want
            .stage
            .parse()
            .map_err(|e| format!("partner {slug}: {e}"))?;
        let empty;
        let have = match have_p.get(slug) {
            Some(h) => *h,
            None => {
                // Created where an ordinary start allows, then moved on like any other.
                let start = match to {
                    Stage::Applied | Stage::InReview | Stage::Sandbox => to,
                    Stage::Offboarded => Stage::Applied,
                    _ => Stage::Sandbox,
                };
                steps.push(Step::CreatePartner {
                    slug: slug.clone(),
                    name: want.name.clone(),
                    stage: start,
                });
                empty = PartnerConfig {
                    slug: slug.clone(),
                    name: want.name.clone(),
                    stage: start.as_str().into(),
                    suspended_reason: None,
                    record: None,
                    clients: vec![],
                    grants: vec![],
                    issuers: vec![],
                    trust_rules: vec![],
                };
                &empty
            }
        };
        if have.name != want.name {
            return Err(format!(
                "partner {slug}: its name cannot be changed by configuration"
            ));
        }
        if let Some(record) = &want.record
            && have.record.clone().unwrap_or_default() != *record
        {
            steps.push(Step::SetRecord {
                partner: slug.clone(),
                record: record.clone(),
            });
        }
        // Clients: created when new; an existing one must match (configuration does not edit
        // clients: rotate secrets and change scopes with their own verbs).
        let have_c = unique(&have.clients, |c| c.client_id.clone(), "client")?;
        for c in unique(&want.clients, |c| c.client_id.clone(), "client")?.values() {
            match have_c.get(&c.client_id) {
                Some(h) if *h == *c => {}
                Some(_) => {
                    return Err(format!(
                        "client {} of {slug} differs from the document; configuration creates clients but does not edit them",
                        c.client_id
                    ));
                }
                None => {
                    if let Some(other) = every_client.get(&c.client_id) {
                        return Err(format!("client {} belongs to partner {other}", c.client_id));
                    }
                    steps.push(Step::CreateClient {
                        partner: slug.clone(),
                        client: (*c).clone(),
                    });
                }
            }
        }
        // Issuers before the rules that name them; disabling before the stage moves on.
        let have_i = unique(&have.issuers, |i| i.issuer.clone(), "issuer")?;
        let want_i = unique(&want.issuers, |i| i.issuer.clone(), "issuer")?;
        for (name, i) in &want_i {
            match have_i.get(name) {
                None => {
                    steps.push(Step::CreateIssuer {
                        partner: slug.clone(),
                        issuer: i.definition(),
                    });
                    if !i.enabled {
                        steps.push(Step::SetIssuerEnabled {
                            partner: slug.clone(),
                            issuer: name.clone(),
                            enabled: false,
                        });
                    }
                }
                Some(h) if h.definition() != i.definition() => {
                    return Err(format!(
                        "issuer {name} of {slug} differs from the document; configuration adds issuers and turns them on or off, but does not edit them"
                    ));
                }
                Some(h) if h.enabled != i.enabled => steps.push(Step::SetIssuerEnabled {
                    partner: slug.clone(),
                    issuer: name.clone(),
                    enabled: i.enabled,
                }),
                Some(_) => {}
            }
        }
        for (name, h) in &have_i {
            if !want_i.contains_key(name) && h.enabled {
                steps.push(Step::SetIssuerEnabled {
                    partner: slug.clone(),
                    issuer: name.clone(),
                    enabled: false,
                });
            }
        }
        let key = |r: &RuleConfig| format!("{} → {}", r.issuer, r.audience);
        let have_r = unique(&have.trust_rules, key, "trust rule")?;
        let want_r = unique(&want.trust_rules, key, "trust rule")?;
        for (k, r) in &want_r {
            let before = have_r.get(k);
            if before.map(|b| b.definition()) != Some(r.definition()) {
                steps.push(Step::SetRule {
                    partner: slug.clone(),
                    rule: r.definition(),
                });
            }
            // Setting a rule keeps its enabled flag; a new one starts enabled.
            let was_enabled = before.is_none_or(|b| b.enabled);
            if r.enabled != was_enabled {
                steps.push(Step::SetRuleEnabled {
                    partner: slug.clone(),
                    issuer: r.issuer.clone(),
                    audience: r.audience.clone(),
                    enabled: r.enabled,
                });
            }
        }
        for (k, h) in &have_r {
            if !want_r.contains_key(k) && h.enabled {
                steps.push(Step::SetRuleEnabled {
                    partner: slug.clone(),
                    issuer: h.issuer.clone(),
                    audience: h.audience.clone(),
                    enabled: false,
                });
            }
        }
        let have_g: BTreeMap<String, Vec<String>> = have
            .grants
            .iter()
            .map(|g| (g.audience.clone(), sorted(&g.scopes)))
            .collect();
        let want_g = unique(&want.grants, |g| g.audience.clone(), "grant")?;
        for (aud, g) in &want_g {
            let after = sorted(&g.scopes);
            let before = have_g.get(aud).cloned().unwrap_or_default();
            if before != after {
                steps.push(Step::SetGrant {
                    partner: slug.clone(),
                    audience: aud.clone(),
                    before,
                    after,
                });
            }
        }
        for (aud, before) in &have_g {
            if !want_g.contains_key(aud) && !before.is_empty() {
                steps.push(Step::SetGrant {
                    partner: slug.clone(),
                    audience: aud.clone(),
                    before: before.clone(),
                    after: vec![],
                });
            }
        }
        // The stage last: promotion checks the grants, rules and record set above.
        let from: Stage = have
            .stage
            .parse()
            .map_err(|e| format!("partner {slug}: {e}"))?;
        if from == Stage::Suspended && to != Stage::Suspended {
            steps.push(Step::Reactivate {
                partner: slug.clone(),
            });
        } else {
            steps.extend(stage_steps(
                slug,
                from,
                to,
                want.suspended_reason.as_deref(),
            )?);
        }
    }
    Ok(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn partner(slug: &str, stage: &str) -> PartnerConfig {
        PartnerConfig {
            slug: slug.into(),
            name: slug.to_uppercase(),
            stage: stage.into(),
            suspended_reason: None,
            record: None,
            clients: vec![],
            grants: vec![],
            issuers: vec![],
            trust_rules: vec![],
        }
    }

    fn config(partners: Vec<PartnerConfig>) -> Config {
        Config {
            version: VERSION,
            audiences: vec![AudienceConfig {
                identifier: "https://api.example".into(),
                name: "API".into(),
                token_lifetime: 300,
                environment: Environment::Production,
                scopes: vec![ScopeConfig {
                    name: "read".into(),
                    description: String::new(),
                    sensitivity: "medium".into(),
                }],
            }],
            partners,
        }
    }

    #[test]
    fn the_same_catalog_plans_nothing() {
        let mut p = partner("acme", "sandbox");
        p.grants.push(GrantConfig {
            audience: "https://api.example".into(),
            scopes: vec!["read".into()],
        });
        let c = config(vec![p]);
        assert_eq!(plan(&c, &c).unwrap(), vec![]);
    }

    #[test]
    fn a_new_partner_is_created_then_walked_to_its_stage() {
        let steps = plan(
            &Config {
                version: 1,
                ..Default::default()
            },
            &config(vec![partner("acme", "production")]),
        )
        .unwrap();
        let text: Vec<String> = steps.iter().map(ToString::to_string).collect();
        assert_eq!(
            text[0],
            "+ audience https://api.example (1 scopes, 300 s tokens)"
        );
        assert_eq!(text[1], "+ partner acme (sandbox)");
        assert_eq!(text.last().unwrap(), "~ partner acme: sandbox → production");
    }

    #[test]
    fn stages_move_only_by_allowed_transitions() {
        let steps = plan(
            &config(vec![partner("acme", "applied")]),
            &config(vec![partner("acme", "sandbox")]),
        )
        .unwrap();
        assert_eq!(
            steps.iter().map(ToString::to_string).collect::<Vec<_>>(),
            [
                "~ partner acme: applied → in_review",
                "~ partner acme: in_review → sandbox"
            ]
        );
        let mut s = partner("acme", "suspended");
        assert!(
            plan(
                &config(vec![partner("acme", "sandbox")]),
                &config(vec![s.clone()])
            )
            .is_err(),
            "suspension needs a reason"
        );
        s.suspended_reason = Some("breach".into());
        assert_eq!(
            plan(&config(vec![partner("acme", "sandbox")]), &config(vec![s])).unwrap(),
            vec![Step::Suspend {
                partner: "acme".into(),
                reason: "breach".into()
            }]
        );
    }

    #[test]
    fn omitted_grants_are_removed_and_omitted_rules_disabled() {
        let mut before = partner("acme", "sandbox");
        before.grants.push(GrantConfig {
            audience: "https://api.example".into(),
            scopes: vec!["read".into()],
        });
        before.trust_rules.push(RuleConfig {
            issuer: "https://idp".into(),
            audience: "https://api.example".into(),
            scopes: "read".into(),
            claims: String::new(),
            mappings: String::new(),
            pairwise: false,
            delegation: false,
            delegation_only: false,
            max_depth: 1,
            refresh: false,
            lifetime: None,
            refresh_lifetime: 3600,
            enabled: true,
        });
        let steps = plan(
            &config(vec![before]),
            &config(vec![partner("acme", "sandbox")]),
        )
        .unwrap();
        assert!(steps.contains(&Step::SetGrant {
            partner: "acme".into(),
            audience: "https://api.example".into(),
            before: vec!["read".into()],
            after: vec![]
        }));
        assert!(steps.contains(&Step::SetRuleEnabled {
            partner: "acme".into(),
            issuer: "https://idp".into(),
            audience: "https://api.example".into(),
            enabled: false
        }));
    }

    #[test]
    fn an_absent_record_is_left_alone() {
        let mut with = partner("acme", "sandbox");
        with.record = Some(PartnerRecord {
            legal_name: "Acme Ltd".into(),
            ..Default::default()
        });
        assert_eq!(
            plan(
                &config(vec![with.clone()]),
                &config(vec![partner("acme", "sandbox")])
            )
            .unwrap(),
            vec![]
        );
        let mut changed = with.clone();
        changed.record = Some(PartnerRecord::default());
        assert_eq!(
            plan(&config(vec![with]), &config(vec![changed]))
                .unwrap()
                .len(),
            1,
            "an explicit empty record clears it"
        );
    }

    #[test]
    fn inconsistent_documents_are_refused() {
        let c = config(vec![partner("acme", "sandbox"), partner("acme", "sandbox")]);
        assert!(plan(&Config::default(), &c).unwrap_err().contains("twice"));
        assert!(
            plan(
                &Config::default(),
                &Config {
                    version: 2,
                    ..Default::default()
                }
            )
            .is_err()
        );
        let mut renamed = config(vec![]);
        renamed.audiences[0].token_lifetime = 600;
        assert!(plan(&config(vec![]), &renamed).is_err());
    }
}
