//! Configuration as code, in the store: the catalog as a `Config` document (read in bulk, so
//! ten thousand partners export in a handful of queries), and a plan applied in one
//! transaction: every step audited as itself, changes that need approval refused or filed.

use std::collections::HashMap;

use entente_domain::ScopeSet;
use entente_domain::config::{
    AudienceConfig, ClientConfig, Config, GrantConfig, IssuerConfig, PartnerConfig, RuleConfig,
    ScopeConfig, Step, VERSION,
};
use entente_domain::federation::rules::{
    TokenKind, format_claim_passes, format_scope_mappings, parse_claim_passes, parse_scope_mappings,
};
use entente_domain::lifecycle::Stage;
use entente_domain::onboarding::PartnerRecord;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::catalog::{
    NewAudience, NewClient, NewPartner, audience_by_identifier_in, create_audience_in,
    create_client_in, create_partner_in, partner_by_slug_in, set_partner_stage_in,
    suspend_partner_in,
};
use crate::changes::{publish, topic};
use crate::entities::{
    audience, change_request, client, client_jwks, grant, partner, partner_record, scope,
    trust_rule, trusted_issuer,
};
use crate::enums::ClientKind;
use crate::enums::RequestStatusColumn;
use crate::federation::{
    NewTrustRule, NewTrustedIssuer, create_trusted_issuer_in, set_trust_rule_enabled_in,
    set_trusted_issuer_enabled_in,
};
use crate::governance::{Change, Submitted, submit_in};
use crate::matrix::set_scope_info_in;
use crate::onboarding::set_partner_record_in;
use crate::{Actor, Result, Store, StoreError, audit};

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn invalid(e: impl Into<String>) -> StoreError {
    StoreError::Invalid(e.into())
}

/// What one step became.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    Applied,
    /// Filed as this change request.
    Requested(i64),
}

/// A rule as the document states it, as the store sets it.
pub fn rule_of_config(r: &RuleConfig) -> std::result::Result<NewTrustRule, String> {
    let scopes = ScopeSet::parse(&r.scopes).map_err(|e| e.description.to_string())?;
    let mut n = NewTrustRule::new(scopes);
    n.claims = parse_claim_passes(&r.claims)?;
    n.mappings = parse_scope_mappings(&r.mappings)?;
    n.pairwise = r.pairwise;
    n.delegation = r.delegation;
    n.delegation_only = r.delegation_only;
    n.max_depth = r.max_depth;
    n.refresh = r.refresh;
    n.lifetime = r.lifetime;
    n.refresh_lifetime = r.refresh_lifetime;
    Ok(n)
}

fn issuer_of_config(i: &IssuerConfig) -> std::result::Result<NewTrustedIssuer, String> {
    Ok(NewTrustedIssuer {
        issuer: i.issuer.clone(),
        jwks_uri: i.jwks_uri.clone(),
        jwks: i.jwks.clone(),
        algorithms: i.algorithms.join(" "),
        audiences: i.audiences.clone(),
        kinds: i
            .kinds
            .iter()
            .map(|k| {
                TokenKind::parse(k).ok_or_else(|| {
                    format!("token kind {k:?} is access_token, id_token or assertion")
                })
            })
            .collect::<std::result::Result<_, _>>()?,
        max_age: i.max_age,
        skew: i.skew,
        subject_claim: i.subject_claim.clone(),
        subject_claim_guaranteed: i.subject_claim_guaranteed,
        access_tokens_typed_jwt: i.access_tokens_typed_jwt,
    })
}

impl Store {
    /// The catalog as a document: partner clients (never secrets), not resource servers.
    pub async fn export_config(&self) -> Result<Config> {
        let db = self.db();
        let audiences = audience::Entity::find()
            .order_by_asc(audience::Column::Identifier)
            .all(db)
            .await?;
        let mut scopes: HashMap<String, Vec<scope::Model>> = HashMap::new();
        for s in scope::Entity::find()
            .order_by_asc(scope::Column::Name)
            .all(db)
            .await?
        {
            scopes.entry(s.audience_id.clone()).or_default().push(s);
        }
        let aud_name: HashMap<String, String> = audiences
            .iter()
            .map(|a| (a.id.clone(), a.identifier.clone()))
            .collect();
        let records: HashMap<String, PartnerRecord> = partner_record::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                (
                    r.partner_id,
                    serde_json::from_str(&r.record).unwrap_or_default(),
                )
            })
            .collect();
        let jwks: HashMap<String, client_jwks::Model> = client_jwks::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|j| (j.client_id.clone(), j))
            .collect();
        let mut clients: HashMap<String, Vec<ClientConfig>> = HashMap::new();
        for c in client::Entity::find()
            .filter(client::Column::Kind.eq(ClientKind::Partner))
            .order_by_asc(client::Column::ClientId)
            .all(db)
            .await?
        {
            let Some(pid) = c.partner_id.clone() else {
                continue;
            };
            clients.entry(pid).or_default().push(ClientConfig {
                jwks: jwks
                    .get(&c.client_id)
                    .filter(|j| j.jwks_uri.is_none())
                    .map(|j| j.jwks.clone()),
                jwks_uri: jwks.get(&c.client_id).and_then(|j| j.jwks_uri.clone()),
                client_id: c.client_id,
                name: c.name,
                auth_method: c.auth_method.to_string(),
                grant_types: words(&c.grant_types),
                scopes: words(&c.allowed_scopes),
                enabled: c.enabled,
                environment: c.environment.into(),
            });
        }
        let mut grants: HashMap<String, Vec<GrantConfig>> = HashMap::new();
        for g in grant::Entity::find().all(db).await? {
            if g.scopes.trim().is_empty() {
                continue;
            }
            if let Some(a) = aud_name.get(&g.audience_id) {
                grants.entry(g.partner_id).or_default().push(GrantConfig {
                    audience: a.clone(),
                    scopes: words(&g.scopes),
                });
            }
        }
        let mut issuer_name = HashMap::new();
        let mut issuers: HashMap<String, Vec<IssuerConfig>> = HashMap::new();
        for i in trusted_issuer::Entity::find()
            .order_by_asc(trusted_issuer::Column::Issuer)
            .all(db)
            .await?
        {
            issuer_name.insert(i.id.clone(), i.issuer.clone());
            issuers
                .entry(i.partner_id.clone())
                .or_default()
                .push(IssuerConfig {
                    issuer: i.issuer,
                    jwks_uri: i.jwks_uri,
                    jwks: i.jwks,
                    algorithms: words(&i.algorithms),
                    audiences: words(&i.audiences),
                    kinds: words(&i.kinds),
                    max_age: i.max_age,
                    skew: i.skew,
                    subject_claim: i.subject_claim,
                    subject_claim_guaranteed: i.subject_claim_guaranteed,
                    access_tokens_typed_jwt: i.access_tokens_typed_jwt,
                    enabled: i.enabled,
                });
        }
        let mut rules: HashMap<String, Vec<RuleConfig>> = HashMap::new();
        for r in trust_rule::Entity::find().all(db).await? {
            let (Some(issuer), Some(audience)) =
                (issuer_name.get(&r.issuer_id), aud_name.get(&r.audience_id))
            else {
                continue;
            };
            let claims = serde_json::from_str::<Vec<_>>(&r.claims).unwrap_or_default();
            let mappings = serde_json::from_str::<Vec<_>>(&r.mappings).unwrap_or_default();
            rules
                .entry(r.partner_id.clone())
                .or_default()
                .push(RuleConfig {
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                    scopes: r.scopes,
                    claims: format_claim_passes(&claims),
                    mappings: format_scope_mappings(&mappings),
                    pairwise: r.pairwise,
                    delegation: r.delegation,
                    delegation_only: r.delegation_only,
                    max_depth: u8::try_from(r.max_depth).unwrap_or(u8::MAX),
                    refresh: r.refresh,
                    lifetime: r.lifetime,
                    refresh_lifetime: r.refresh_lifetime,
                    enabled: r.enabled,
                });
        }
        let partners = partner::Entity::find()
            .order_by_asc(partner::Column::Slug)
            .all(db)
            .await?
            .into_iter()
            .map(|p| {
                let mut g = grants.remove(&p.id).unwrap_or_default();
                g.sort_by(|a, b| a.audience.cmp(&b.audience));
                let mut r = rules.remove(&p.id).unwrap_or_default();
                r.sort_by(|a, b| (&a.issuer, &a.audience).cmp(&(&b.issuer, &b.audience)));
                PartnerConfig {
                    record: records
                        .get(&p.id)
                        .filter(|r| **r != PartnerRecord::default())
                        .cloned(),
                    clients: clients.remove(&p.id).unwrap_or_default(),
                    issuers: issuers.remove(&p.id).unwrap_or_default(),
                    grants: g,
                    trust_rules: r,
                    stage: p.stage.to_string(),
                    suspended_reason: p.suspended_reason,
                    slug: p.slug,
                    name: p.name,
                }
            })
            .collect();
        Ok(Config {
            version: VERSION,
            audiences: audiences
                .into_iter()
                .map(|a| AudienceConfig {
                    scopes: scopes
                        .remove(&a.id)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|s| ScopeConfig {
                            name: s.name,
                            description: s.description,
                            sensitivity: s.sensitivity,
                        })
                        .collect(),
                    identifier: a.identifier,
                    name: a.name,
                    token_lifetime: a.token_lifetime,
                    environment: a.environment.into(),
                })
                .collect(),
            partners,
        })
    }

    /// Applies `steps` in one transaction. `clients` holds each new client as the caller
    /// prepared it (secret hashed, JWKS checked), by client ID. Without a `filer`, a step that
    /// needs approval fails the whole apply (`NeedsApproval`); with one, the step is filed as a
    /// change request by the filer and the rest applies. Applying the same document again while
    /// its request waits finds that request instead of failing.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply_config(
        &self,
        actor: &Actor,
        filer: Option<&Actor>,
        steps: &[Step],
        mut clients: HashMap<String, NewClient>,
        reason: &str,
        now: i64,
    ) -> Result<Vec<Done>> {
        let txn = self.write().await?;
        let mut done = vec![];
        let submit = async |txn: &sea_orm::DatabaseTransaction, change: Change| -> Result<Done> {
            if filer.is_some() {
                let payload = serde_json::to_string(&change)
                    .map_err(|e| invalid(format!("the change cannot be recorded: {e}")))?;
                if let Some(open) = change_request::Entity::find()
                    .filter(change_request::Column::Target.eq(change.target()))
                    .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
                    .one(txn)
                    .await?
                    .filter(|r| r.payload == payload)
                {
                    return Ok(Done::Requested(open.id));
                }
            }
            let by = filer.unwrap_or(actor);
            Ok(
                match submit_in(txn, by, change, reason, filer.is_some(), now).await? {
                    Submitted::Applied { .. } => Done::Applied,
                    Submitted::Requested(r) => Done::Requested(r.id),
                },
            )
        };
        for step in steps {
            let d = match step {
                Step::CreateAudience(a) => {
                    create_audience_in(
                        &txn,
                        actor,
                        NewAudience {
                            identifier: a.identifier.clone(),
                            name: a.name.clone(),
                            scopes: a.scopes.iter().map(|s| s.name.clone()).collect(),
                            token_lifetime: a.token_lifetime,
                            environment: a.environment,
                        },
                        now,
                    )
                    .await?;
                    Done::Applied
                }
                Step::AddScopes { audience, scopes } => {
                    add_scopes_in(&txn, actor, audience, scopes, now).await?;
                    Done::Applied
                }
                Step::SetScopeInfo { audience, scope } => {
                    set_scope_info_in(
                        &txn,
                        actor,
                        audience,
                        &scope.name,
                        &scope.description,
                        &scope.sensitivity,
                        now,
                    )
                    .await?;
                    Done::Applied
                }
                Step::CreatePartner { slug, name, stage } => {
                    create_partner_in(
                        &txn,
                        actor,
                        NewPartner {
                            slug: slug.clone(),
                            name: name.clone(),
                            stage: *stage,
                        },
                        now,
                    )
                    .await?;
                    Done::Applied
                }
                Step::MoveStage {
                    partner,
                    to: Stage::Production,
                    ..
                } => {
                    submit(
                        &txn,
                        Change::Promote {
                            partner: partner.clone(),
                        },
                    )
                    .await?
                }
                Step::MoveStage { partner, to, .. } => {
                    set_partner_stage_in(&txn, actor, partner, *to, now).await?;
                    Done::Applied
                }
                Step::Suspend { partner, reason } => {
                    suspend_partner_in(&txn, actor, partner, reason, now).await?;
                    Done::Applied
                }
                Step::Reactivate { partner } => {
                    submit(
                        &txn,
                        Change::Reactivate {
                            partner: partner.clone(),
                        },
                    )
                    .await?
                }
                Step::SetRecord { partner, record } => {
                    set_partner_record_in(&txn, actor, partner, record.clone(), now).await?;
                    Done::Applied
                }
                Step::CreateClient { partner, client } => {
                    if !client.enabled {
                        return Err(invalid(format!(
                            "client {}: configuration creates enabled clients only",
                            client.client_id
                        )));
                    }
                    let mut new = clients.remove(&client.client_id).ok_or_else(|| {
                        invalid(format!("client {} was not prepared", client.client_id))
                    })?;
                    let pid = partner_by_slug_in(&txn, partner).await?.id;
                    crate::catalog::check_client_cap(
                        &txn,
                        actor,
                        &pid,
                        self.caps().clients_per_partner,
                    )
                    .await?;
                    new.partner_id = Some(pid);
                    create_client_in(&txn, actor, new, client.client_id.clone(), now).await?;
                    Done::Applied
                }
                Step::SetGrant {
                    partner,
                    audience,
                    after,
                    ..
                } => {
                    let scopes =
                        ScopeSet::parse(&after.join(" ")).map_err(|e| invalid(e.description))?;
                    submit(
                        &txn,
                        Change::Grant {
                            partner: partner.clone(),
                            audience: audience.clone(),
                            scopes,
                        },
                    )
                    .await?
                }
                Step::CreateIssuer { partner, issuer } => {
                    let new = issuer_of_config(issuer).map_err(invalid)?;
                    create_trusted_issuer_in(&txn, actor, partner, new, now).await?;
                    Done::Applied
                }
                Step::SetIssuerEnabled {
                    partner,
                    issuer,
                    enabled: true,
                } => {
                    submit(
                        &txn,
                        Change::EnableIssuer {
                            partner: partner.clone(),
                            issuer: issuer.clone(),
                        },
                    )
                    .await?
                }
                Step::SetIssuerEnabled {
                    partner, issuer, ..
                } => {
                    set_trusted_issuer_enabled_in(&txn, actor, partner, issuer, false, now).await?;
                    Done::Applied
                }
                Step::SetRule { partner, rule } => {
                    let new = rule_of_config(rule).map_err(invalid)?;
                    submit(
                        &txn,
                        Change::TrustRule {
                            partner: partner.clone(),
                            issuer: rule.issuer.clone(),
                            audience: rule.audience.clone(),
                            rule: new,
                        },
                    )
                    .await?
                }
                Step::SetRuleEnabled {
                    partner,
                    issuer,
                    audience,
                    enabled,
                } => {
                    let p = partner_by_slug_in(&txn, partner).await?;
                    let i = crate::federation::trusted_issuer_in(&txn, &p.id, issuer).await?;
                    let a = audience_by_identifier_in(&txn, audience).await?;
                    let rule = trust_rule::Entity::find()
                        .filter(trust_rule::Column::IssuerId.eq(&i.id))
                        .filter(trust_rule::Column::AudienceId.eq(&a.id))
                        .one(&txn)
                        .await?
                        .ok_or_else(|| {
                            StoreError::NotFound(format!("trust rule {issuer} → {audience}"))
                        })?;
                    if *enabled {
                        submit(&txn, Change::EnableTrustRule { rule_id: rule.id }).await?
                    } else {
                        set_trust_rule_enabled_in(&txn, actor, &rule.id, false, now).await?;
                        Done::Applied
                    }
                }
            };
            done.push(d);
        }
        let filed: Vec<i64> = done
            .iter()
            .filter_map(|d| match d {
                Done::Requested(id) => Some(*id),
                Done::Applied => None,
            })
            .collect();
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ConfigApply,
            "config",
            json!({"steps": steps.len(), "change_requests": filed, "reason": reason}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(done)
    }
}

/// New scopes on an existing audience (default sensitivity medium; later steps set info).
async fn add_scopes_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    audience: &str,
    scopes: &[ScopeConfig],
    now: i64,
) -> Result<()> {
    let a = audience_by_identifier_in(txn, audience).await?;
    let names: Vec<String> = scopes.iter().map(|s| s.name.clone()).collect();
    let set = ScopeSet::parse(&names.join(" ")).map_err(|e| invalid(e.description))?;
    crate::catalog::insert_scopes_in(txn, &a, &set).await?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::AudienceScopes,
        &format!("audience:{audience}"),
        json!({"added": set.to_string()}),
        now,
    )
    .await?;
    publish(txn, topic::CATALOG, now).await?;
    Ok(())
}
