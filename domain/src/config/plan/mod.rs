//! The plan: the steps that turn the catalog as it is into the document.

use std::collections::BTreeMap;

use super::{AudienceConfig, Config, PartnerConfig, RuleConfig, ScopeConfig, Step, VERSION};
use crate::lifecycle::{Stage, check_transition};

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
    plan_audiences(&current.audiences, &desired.audiences, &mut steps)?;
    let have_p = unique(&current.partners, |p| p.slug.clone(), "partner")?;
    let want_p = unique(&desired.partners, |p| p.slug.clone(), "partner")?;
    let every_client = client_owners(&current.partners);
    for (slug, want) in &want_p {
        plan_partner(
            slug,
            have_p.get(slug).copied(),
            want,
            &every_client,
            &mut steps,
        )?;
    }
    Ok(steps)
}

/// Audiences are created with their scopes, or get the scopes they lack: nothing else of an
/// existing one is configuration's to change.
fn plan_audiences(
    current: &[AudienceConfig],
    desired: &[AudienceConfig],
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let have_aud = unique(current, |a| a.identifier.clone(), "audience")?;
    let want_aud = unique(desired, |a| a.identifier.clone(), "audience")?;
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
        plan_scopes(id, have, want, steps);
    }
    Ok(())
}

/// The scopes of an audience that exists: the missing ones added, and each one's description
/// and sensitivity set where they differ (a scope just added has the defaults).
fn plan_scopes(id: &str, have: &AudienceConfig, want: &AudienceConfig, steps: &mut Vec<Step>) {
    let missing: Vec<ScopeConfig> = want
        .scopes
        .iter()
        .filter(|s| !have.scopes.iter().any(|h| h.name == s.name))
        .cloned()
        .collect();
    if !missing.is_empty() {
        steps.push(Step::AddScopes {
            audience: id.to_owned(),
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
                audience: id.to_owned(),
                scope: s.clone(),
            });
        }
    }
}

/// Client IDs are global: which partner holds each one, so a document cannot give a partner
/// another partner's client.
fn client_owners(partners: &[PartnerConfig]) -> BTreeMap<String, String> {
    let mut every_client = BTreeMap::new();
    for p in partners {
        for c in &p.clients {
            every_client.insert(c.client_id.clone(), p.slug.clone());
        }
    }
    every_client
}

fn plan_partner(
    slug: &str,
    have: Option<&PartnerConfig>,
    want: &PartnerConfig,
    every_client: &BTreeMap<String, String>,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let to: Stage = want
        .stage
        .parse()
        .map_err(|e| format!("partner {slug}: {e}"))?;
    let created;
    let have = match have {
        Some(h) => h,
        None => {
            created = create_partner(slug, want, to, steps);
            &created
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
            partner: slug.to_owned(),
            record: record.clone(),
        });
    }
    plan_clients(slug, have, want, every_client, steps)?;
    // Issuers before the rules that name them; disabling before the stage moves on.
    plan_issuers(slug, have, want, steps)?;
    plan_rules(slug, have, want, steps)?;
    plan_grants(slug, have, want, steps)?;
    // The stage last: promotion checks the grants, rules and record set above.
    plan_stage(slug, have, want, to, steps)
}

/// Pushes the creation of a partner the catalog lacks, and returns it as it then is, so the
/// rest of the plan compares the document with that.
fn create_partner(
    slug: &str,
    want: &PartnerConfig,
    to: Stage,
    steps: &mut Vec<Step>,
) -> PartnerConfig {
    // Created where an ordinary start allows, then moved on like any other.
    let start = match to {
        Stage::Applied | Stage::InReview | Stage::Sandbox => to,
        Stage::Offboarded => Stage::Applied,
        _ => Stage::Sandbox,
    };
    steps.push(Step::CreatePartner {
        slug: slug.to_owned(),
        name: want.name.clone(),
        stage: start,
    });
    PartnerConfig {
        slug: slug.to_owned(),
        name: want.name.clone(),
        stage: start.as_str().into(),
        suspended_reason: None,
        record: None,
        clients: vec![],
        grants: vec![],
        issuers: vec![],
        trust_rules: vec![],
    }
}

/// Clients: created when new; an existing one must match (configuration does not edit
/// clients: rotate secrets and change scopes with their own verbs).
fn plan_clients(
    slug: &str,
    have: &PartnerConfig,
    want: &PartnerConfig,
    every_client: &BTreeMap<String, String>,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
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
                    partner: slug.to_owned(),
                    client: (*c).clone(),
                });
            }
        }
    }
    Ok(())
}

fn plan_issuers(
    slug: &str,
    have: &PartnerConfig,
    want: &PartnerConfig,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let have_i = unique(&have.issuers, |i| i.issuer.clone(), "issuer")?;
    let want_i = unique(&want.issuers, |i| i.issuer.clone(), "issuer")?;
    for (name, i) in &want_i {
        match have_i.get(name) {
            None => {
                steps.push(Step::CreateIssuer {
                    partner: slug.to_owned(),
                    issuer: i.definition(),
                });
                if !i.enabled {
                    steps.push(Step::SetIssuerEnabled {
                        partner: slug.to_owned(),
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
                partner: slug.to_owned(),
                issuer: name.clone(),
                enabled: i.enabled,
            }),
            Some(_) => {}
        }
    }
    for (name, h) in &have_i {
        if !want_i.contains_key(name) && h.enabled {
            steps.push(Step::SetIssuerEnabled {
                partner: slug.to_owned(),
                issuer: name.clone(),
                enabled: false,
            });
        }
    }
    Ok(())
}

fn plan_rules(
    slug: &str,
    have: &PartnerConfig,
    want: &PartnerConfig,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let key = |r: &RuleConfig| format!("{} → {}", r.issuer, r.audience);
    let have_r = unique(&have.trust_rules, key, "trust rule")?;
    let want_r = unique(&want.trust_rules, key, "trust rule")?;
    for (k, r) in &want_r {
        let before = have_r.get(k);
        if before.map(|b| b.definition()) != Some(r.definition()) {
            steps.push(Step::SetRule {
                partner: slug.to_owned(),
                rule: r.definition(),
            });
        }
        // Setting a rule keeps its enabled flag; a new one starts enabled.
        let was_enabled = before.is_none_or(|b| b.enabled);
        if r.enabled != was_enabled {
            steps.push(Step::SetRuleEnabled {
                partner: slug.to_owned(),
                issuer: r.issuer.clone(),
                audience: r.audience.clone(),
                enabled: r.enabled,
            });
        }
    }
    for (k, h) in &have_r {
        if !want_r.contains_key(k) && h.enabled {
            steps.push(Step::SetRuleEnabled {
                partner: slug.to_owned(),
                issuer: h.issuer.clone(),
                audience: h.audience.clone(),
                enabled: false,
            });
        }
    }
    Ok(())
}

fn plan_grants(
    slug: &str,
    have: &PartnerConfig,
    want: &PartnerConfig,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
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
                partner: slug.to_owned(),
                audience: aud.clone(),
                before,
                after,
            });
        }
    }
    for (aud, before) in &have_g {
        if !want_g.contains_key(aud) && !before.is_empty() {
            steps.push(Step::SetGrant {
                partner: slug.to_owned(),
                audience: aud.clone(),
                before: before.clone(),
                after: vec![],
            });
        }
    }
    Ok(())
}

fn plan_stage(
    slug: &str,
    have: &PartnerConfig,
    want: &PartnerConfig,
    to: Stage,
    steps: &mut Vec<Step>,
) -> Result<(), String> {
    let from: Stage = have
        .stage
        .parse()
        .map_err(|e| format!("partner {slug}: {e}"))?;
    if from == Stage::Suspended && to != Stage::Suspended {
        steps.push(Step::Reactivate {
            partner: slug.to_owned(),
        });
    } else {
        steps.extend(stage_steps(
            slug,
            from,
            to,
            want.suspended_reason.as_deref(),
        )?);
    }
    Ok(())
}

#[cfg(test)]
mod tests;
