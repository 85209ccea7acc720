//! Change requests: a change that widens production access is filed instead of applied, and a
//! different administrator approves (the change is applied in the same transaction) or rejects
//! it. What needs approval is decided by `entente_domain::governance`; this module reads the
//! state it compares and keeps the requests.

use entente_domain::ScopeSet;
use entente_domain::federation::rules::{ClaimPass, ScopeMapping};
use entente_domain::governance::{self, Decision, RequestStatus, RuleReach};
use entente_domain::lifecycle::Stage;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{
    audience_by_identifier_in, partner_by_slug_in, reactivate_partner_in, set_grant_in,
    set_partner_stage_in,
};
use crate::entities::{audience, change_request, grant, partner, trust_rule, trusted_issuer};
use crate::enums::{EnvironmentColumn, PartnerStage, RequestStatusColumn};
use crate::federation::{
    NewTrustRule, set_trust_rule_enabled_in, set_trust_rule_in, set_trusted_issuer_enabled_in,
    trusted_issuer_in,
};
use crate::people::person_in;
use crate::{Actor, Result, Store, StoreError, audit};

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

/// What `Store::submit` did.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// Nothing needed approval: the change is in effect (`id`: the trust rule it set, if any).
    Applied { id: Option<String> },
    /// The change waits for approval as this request.
    Requested(Box<change_request::Model>),
}

/// A page of change requests.
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<RequestStatus>,
    pub partner: Option<String>,
    pub limit: u64,
    /// Newest requests to skip.
    pub offset: u64,
}

fn invalid(e: impl Into<String>) -> StoreError {
    StoreError::Invalid(e.into())
}

fn refused(r: governance::Refusal) -> StoreError {
    match r {
        governance::Refusal::Decided(m) => StoreError::Stale(m),
        governance::Refusal::NotAllowed(m) => StoreError::Forbidden(m),
    }
}

async fn slug_of(db: &impl ConnectionTrait, r: &change_request::Model) -> Result<Option<String>> {
    Ok(partner::Entity::find_by_id(r.partner_id.clone())
        .one(db)
        .await?
        .map(|p| p.slug))
}

fn reach_of(m: &trust_rule::Model) -> RuleReach {
    let claims: Vec<ClaimPass> = serde_json::from_str(&m.claims).unwrap_or_default();
    let mappings: Vec<ScopeMapping> = serde_json::from_str(&m.mappings).unwrap_or_default();
    RuleReach {
        enabled: m.enabled,
        scopes: ScopeSet::from_tokens(m.scopes.split_whitespace()),
        claims: claims.iter().map(claim_name).collect(),
        mappings: mappings.iter().map(mapping_name).collect(),
        pairwise: m.pairwise,
        delegation: m.delegation,
        delegation_only: m.delegation_only,
        max_depth: u8::try_from(m.max_depth).unwrap_or(u8::MAX),
        refresh: m.refresh,
        lifetime: m.lifetime,
        refresh_lifetime: m.refresh_lifetime,
    }
}

fn claim_name(c: &ClaimPass) -> String {
    format!("{}→{}", c.from, c.to)
}

fn mapping_name(m: &ScopeMapping) -> String {
    serde_json::to_string(m).unwrap_or_default()
}

fn reach_of_new(r: &NewTrustRule) -> RuleReach {
    RuleReach {
        enabled: true,
        scopes: r.scopes.clone(),
        claims: r.claims.iter().map(claim_name).collect(),
        mappings: r.mappings.iter().map(mapping_name).collect(),
        pairwise: r.pairwise,
        delegation: r.delegation,
        delegation_only: r.delegation_only,
        max_depth: r.max_depth,
        refresh: r.refresh,
        lifetime: r.lifetime,
        refresh_lifetime: r.refresh_lifetime,
    }
}

/// The partner a change is about, its row locked for the rest of the transaction (on
/// PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers): a decision and a
/// direct edit of the same partner never interleave.
async fn partner_of(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
) -> Result<partner::Model> {
    let id = match change {
        Change::EnableTrustRule { rule_id } => {
            trust_rule::Entity::find_by_id(rule_id.to_owned())
                .one(txn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("trust rule {rule_id}")))?
                .partner_id
        }
        other => {
            let slug = other.partner().unwrap_or_default();
            partner_by_slug_in(txn, slug).await?.id
        }
    };
    let p = partner::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound("the partner".into()))?;
    crate::reserved::check_partner(actor, &p)?;
    Ok(p)
}

/// What a request is about and one line for the approver (a rule's request names its issuer,
/// audience and scopes, and shares the rule's target with edits of it).
async fn describe(
    txn: &DatabaseTransaction,
    p: &partner::Model,
    change: &Change,
) -> Result<(String, String)> {
    if let Change::EnableTrustRule { rule_id } = change {
        let r = rule_of(txn, p, rule_id).await?;
        let (issuer, audience) = rule_names(txn, &r).await?;
        return Ok((
            format!("trust_rule:{}:{issuer}:{audience}", p.slug),
            format!(
                "enable {}'s trust rule {rule_id}: tokens from {issuer} for \"{}\" on {audience}",
                p.slug, r.scopes
            ),
        ));
    }
    Ok((change.target(), change.summary()))
}

async fn rule_names(txn: &DatabaseTransaction, r: &trust_rule::Model) -> Result<(String, String)> {
    let issuer = trusted_issuer::Entity::find_by_id(r.issuer_id.clone())
        .one(txn)
        .await?
        .map_or_else(|| r.issuer_id.clone(), |i| i.issuer);
    let audience = audience::Entity::find_by_id(r.audience_id.clone())
        .one(txn)
        .await?
        .map_or_else(|| r.audience_id.clone(), |a| a.identifier);
    Ok((issuer, audience))
}

/// The partner's access as an approver reads it: grants, then enabled trust rules of enabled
/// issuers. A promotion records it when filed and is refused if it changed before approval.
async fn access_of(txn: &DatabaseTransaction, p: &partner::Model) -> Result<String> {
    let mut lines = vec![];
    for g in grant::Entity::find()
        .filter(grant::Column::PartnerId.eq(&p.id))
        .all(txn)
        .await?
    {
        let aud = audience::Entity::find_by_id(g.audience_id.clone())
            .one(txn)
            .await?
            .map_or(g.audience_id, |a| a.identifier);
        lines.push(format!("grant on {aud}: {}", g.scopes));
    }
    let issuers: std::collections::HashMap<String, trusted_issuer::Model> =
        trusted_issuer::Entity::find()
            .filter(trusted_issuer::Column::PartnerId.eq(&p.id))
            .all(txn)
            .await?
            .into_iter()
            .map(|i| (i.id.clone(), i))
            .collect();
    for r in trust_rule::Entity::find()
        .filter(trust_rule::Column::PartnerId.eq(&p.id))
        .filter(trust_rule::Column::Enabled.eq(true))
        .all(txn)
        .await?
    {
        if !issuers.get(&r.issuer_id).is_some_and(|i| i.enabled) {
            continue;
        }
        let (issuer, audience) = rule_names(txn, &r).await?;
        let reach = reach_of(&r);
        lines.push(format!(
            "trust rule {issuer} → {audience}: {} (claims: {}; {}{}{})",
            r.scopes,
            if reach.claims.is_empty() {
                "sub only".to_owned()
            } else {
                reach.claims.join(", ")
            },
            if r.pairwise {
                "pairwise subject"
            } else {
                "public subject"
            },
            if r.delegation { ", delegation" } else { "" },
            if r.refresh { ", refresh tokens" } else { "" },
        ));
    }
    lines.sort();
    if lines.is_empty() {
        lines.push("no grants and no trust rules".into());
    }
    Ok(lines.join("\n"))
}

/// Whether `change` widens production access today (read inside `txn`), with the partner.
async fn needs_approval(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
) -> Result<(partner::Model, bool)> {
    let mut p = partner_of(txn, actor, change).await?;
    // While a promotion waits, the partner counts as production: what the approver was shown
    // cannot be widened underneath the request.
    if p.stage == PartnerStage::Sandbox && pending_promotion(txn, &p).await? {
        p.stage = PartnerStage::Production;
    }
    let needs = match change {
        Change::Promote { .. } => governance::stage_change_needs_approval(Stage::Production),
        // Reactivation restores whatever the partner had; it always waits for a second person.
        Change::Reactivate { .. } => true,
        Change::Grant {
            audience, scopes, ..
        } => {
            let a = audience_by_identifier_in(txn, audience).await?;
            let before = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                .one(txn)
                .await?
                .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                .unwrap_or_default();
            governance::grant_needs_approval(effective_for(&p, &a), &before, scopes)
        }
        Change::Grants { grants, .. } => {
            let mut widens = false;
            for g in grants {
                let a = audience_by_identifier_in(txn, &g.audience).await?;
                let before = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                    .one(txn)
                    .await?
                    .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                    .unwrap_or_default();
                widens |=
                    governance::grant_needs_approval(effective_for(&p, &a), &before, &g.scopes);
            }
            widens
        }
        Change::TrustRule {
            issuer,
            audience,
            rule,
            ..
        } => {
            let i = trusted_issuer_in(txn, &p.id, issuer).await?;
            let a = audience_by_identifier_in(txn, audience).await?;
            let before = trust_rule::Entity::find()
                .filter(trust_rule::Column::IssuerId.eq(&i.id))
                .filter(trust_rule::Column::AudienceId.eq(&a.id))
                .one(txn)
                .await?;
            governance::rule_needs_approval(
                effective_for(&p, &a),
                before.as_ref().map(reach_of).as_ref(),
                &reach_of_new(rule),
            )
        }
        Change::EnableTrustRule { rule_id } => {
            let before = rule_of(txn, &p, rule_id).await?;
            let after = RuleReach {
                enabled: true,
                ..reach_of(&before)
            };
            let a = audience::Entity::find_by_id(before.audience_id.clone())
                .one(txn)
                .await?
                .ok_or_else(|| StoreError::NotFound(format!("audience of rule {rule_id}")))?;
            governance::rule_needs_approval(effective_for(&p, &a), Some(&reach_of(&before)), &after)
        }
        Change::EnableIssuer { issuer, .. } => {
            let i = trusted_issuer_in(txn, &p.id, issuer).await?;
            !i.enabled && effective(&p) == Stage::Production
        }
        // New production credentials always have a second person look at them, and what a
        // partner asks for itself always waits for an administrator.
        Change::ProductionClient { .. } | Change::AddScopes { .. } => true,
    };
    Ok((p, needs))
}

async fn pending_promotion(txn: &DatabaseTransaction, p: &partner::Model) -> Result<bool> {
    Ok(change_request::Entity::find()
        .filter(change_request::Column::PartnerId.eq(&p.id))
        .filter(change_request::Column::Kind.eq("promote"))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .count(txn)
        .await?
        > 0)
}

/// A suspended partner counts as the stage it returns to: widening a suspended production
/// partner's access takes effect at reactivation, so it needs approval too.
fn effective(p: &partner::Model) -> Stage {
    match (p.stage, p.resume_stage) {
        (PartnerStage::Suspended, Some(resume)) => resume.into(),
        (s, _) => s.into(),
    }
}

/// The stage that decides approval for access to `a`: a sandbox audience is never production
/// access, whatever the partner's stage.
fn effective_for(p: &partner::Model, a: &audience::Model) -> Stage {
    if a.environment == EnvironmentColumn::Sandbox {
        Stage::Sandbox
    } else {
        effective(p)
    }
}

async fn rule_of(
    db: &impl ConnectionTrait,
    p: &partner::Model,
    rule_id: &str,
) -> Result<trust_rule::Model> {
    trust_rule::Entity::find_by_id(rule_id.to_owned())
        .filter(trust_rule::Column::PartnerId.eq(&p.id))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("trust rule {rule_id} of {}", p.slug)))
}

/// Applies `change` inside `txn` with the same code the direct edits use (and so the same
/// checks, audit events and change-feed notices).
async fn apply(
    txn: &DatabaseTransaction,
    actor: &Actor,
    change: &Change,
    now: i64,
) -> Result<Option<String>> {
    let mut id = None;
    match change {
        Change::Promote { partner } => {
            // Promotion waits for a complete onboarding checklist, when filed and when approved.
            let p = partner_by_slug_in(txn, partner).await?;
            let o = crate::onboarding::onboarding_in(txn, p, now).await?;
            entente_domain::onboarding::check_ready(&o.checklist).map_err(invalid)?;
            set_partner_stage_in(txn, actor, partner, Stage::Production, now).await?;
        }
        Change::Reactivate { partner } => {
            reactivate_partner_in(txn, actor, partner, now).await?;
        }
        Change::Grant {
            partner,
            audience,
            scopes,
        } => {
            set_grant_in(txn, actor, partner, audience, scopes, now).await?;
        }
        Change::TrustRule {
            partner,
            issuer,
            audience,
            rule,
        } => {
            let m =
                set_trust_rule_in(txn, actor, partner, issuer, audience, rule.clone(), now).await?;
            id = Some(m.id);
        }
        Change::EnableTrustRule { rule_id } => {
            set_trust_rule_enabled_in(txn, actor, rule_id, true, now).await?;
            id = Some(rule_id.clone());
        }
        Change::EnableIssuer { partner, issuer } => {
            set_trusted_issuer_enabled_in(txn, actor, partner, issuer, true, now).await?;
        }
        Change::Grants { partner, grants } => {
            for g in grants {
                set_grant_in(txn, actor, partner, &g.audience, &g.scopes, now).await?;
            }
        }
        Change::AddScopes {
            partner,
            audience,
            scopes,
        } => {
            let p = partner_by_slug_in(txn, partner).await?;
            let a = audience_by_identifier_in(txn, audience).await?;
            let held = grant::Entity::find_by_id((p.id.clone(), a.id.clone()))
                .one(txn)
                .await?
                .map(|g| ScopeSet::from_tokens(g.scopes.split_whitespace()))
                .unwrap_or_default();
            let after = ScopeSet::from_tokens(held.iter().chain(scopes.iter()).map(str::to_owned));
            set_grant_in(txn, actor, partner, audience, &after, now).await?;
        }
        Change::ProductionClient {
            partner,
            name,
            scopes,
            grant_types,
        } => {
            let p = partner_by_slug_in(txn, partner).await?;
            let c = crate::catalog::NewClient {
                secret_hash: None,
                owner: None,
                ..crate::catalog::NewClient::partner_secret(
                    p.id,
                    name.clone(),
                    scopes.clone(),
                    grant_types.clone(),
                    vec![],
                )
            }
            .in_environment(Some(entente_domain::environment::Environment::Production));
            let m = crate::catalog::create_client_in(
                txn,
                actor,
                c,
                entente_domain::secret::new_client_id(),
                now,
            )
            .await?;
            id = Some(m.client_id);
        }
    }
    Ok(id)
}

impl Store {
    /// Applies `change` at once unless it widens production access. Then, with `request`, it is
    /// filed as a change request (after checking, in a rolled-back trial, that it would apply
    /// today); without, it is refused with `NeedsApproval`.
    pub async fn submit(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        request: bool,
        now: i64,
    ) -> Result<Submitted> {
        let txn = self.write().await?;
        let out = submit_in(&txn, actor, change, reason, request, now).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Approves (applying the change in the same transaction) or rejects a pending request.
    /// `decider_is_admin` is the decider's role now; the requester can never decide.
    /// Files `change` as a request whatever it widens: what a partner asks for in the portal
    /// is never applied by the partner, only by an administrator's approval.
    pub async fn file_request(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model> {
        let reason = reason.trim();
        if reason.chars().count() > 1000 {
            return Err(invalid("the reason is longer than 1000 characters"));
        }
        let txn = self.write().await?;
        let p = partner_of(&txn, actor, &change).await?;
        if matches!(change, Change::ProductionClient { .. }) {
            crate::catalog::check_client_cap(&txn, actor, &p.id, self.caps().clients_per_partner)
                .await?;
        }
        let Submitted::Requested(model) = file_in(&txn, actor, &p, change, reason, now).await?
        else {
            return Err(invalid("the request was not filed"));
        };
        txn.commit().await?;
        Ok(*model)
    }

    pub async fn decide_change_request(
        &self,
        actor: &Actor,
        decider_is_admin: bool,
        id: i64,
        decision: Decision,
        comment: &str,
        now: i64,
    ) -> Result<change_request::Model> {
        governance::check_comment(decision, comment).map_err(invalid)?;
        let comment = comment.trim();
        let txn = self.write().await?;
        // Locked: of two deciders at once, the second waits and then finds it decided.
        let row = change_request::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("change request #{id}")))?;
        governance::check_decision(
            row.status.into(),
            &person_in(&txn, &row.requested_by).await?,
            &person_in(&txn, &actor.name).await?,
            decider_is_admin,
        )
        .map_err(refused)?;
        let status = match decision {
            Decision::Approve => {
                let change: Change = serde_json::from_str(&row.payload)
                    .map_err(|e| invalid(format!("the request cannot be read: {e}")))?;
                let p = partner_of(&txn, actor, &change).await?;
                if matches!(change, Change::ProductionClient { .. }) {
                    let cap = self.caps().clients_per_partner;
                    crate::catalog::check_client_cap(&txn, actor, &p.id, cap).await?;
                }
                if matches!(change, Change::Promote { .. })
                    && access_of(&txn, &p).await? != row.details
                {
                    return Err(StoreError::Stale(
                        "the partner's grants or trust rules changed since the request was filed; reject it and file it again".into(),
                    ));
                }
                apply(&txn, actor, &change, now)
                    .await
                    .map_err(|e| match e {
                        StoreError::Db(_) => e,
                        other => invalid(format!(
                            "the change no longer applies ({other}); reject the request instead"
                        )),
                    })?;
                RequestStatus::Approved
            }
            Decision::Reject => RequestStatus::Rejected,
        };
        let model = close(&txn, &row, status, actor, Some(comment), now).await?;
        audit::record(
            &txn,
            actor,
            match decision {
                Decision::Approve => entente_domain::audit::AuditAction::ChangeRequestApprove,
                Decision::Reject => entente_domain::audit::AuditAction::ChangeRequestReject,
            },
            &format!("change_request:{id}"),
            json!({"summary": row.summary, "requested_by": row.requested_by, "partner": slug_of(&txn, &row).await?,
                   "before": row.status, "after": model.status, "comment": comment}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The person who filed a pending request takes it back.
    pub async fn withdraw_change_request(
        &self,
        actor: &Actor,
        id: i64,
        now: i64,
    ) -> Result<change_request::Model> {
        let txn = self.write().await?;
        let row = request_in(&txn, id).await?;
        governance::check_withdraw(row.status.into(), &row.requested_by, &actor.name)
            .map_err(refused)?;
        let model = close(&txn, &row, RequestStatus::Withdrawn, actor, None, now).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ChangeRequestWithdraw,
            &format!("change_request:{id}"),
            json!({"summary": row.summary, "partner": slug_of(&txn, &row).await?,
                   "before": row.status, "after": model.status}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    pub async fn change_request(&self, id: i64) -> Result<change_request::Model> {
        request_in(self.db(), id).await
    }

    /// Newest first, with each request's partner slug.
    /// The requests a filter selects, newest first (not yet paged).
    async fn requests_matching(
        &self,
        f: &RequestFilter,
    ) -> Result<sea_orm::Select<change_request::Entity>> {
        let mut q = change_request::Entity::find().order_by_desc(change_request::Column::Id);
        if let Some(s) = f.status {
            q = q.filter(change_request::Column::Status.eq(RequestStatusColumn::from(s)));
        }
        if let Some(slug) = &f.partner {
            let p = self.partner_by_slug(slug).await?;
            q = q.filter(change_request::Column::PartnerId.eq(p.id));
        }
        Ok(q)
    }

    /// How many requests the filter selects (all pages).
    pub async fn count_change_requests(&self, f: &RequestFilter) -> Result<u64> {
        Ok(self.requests_matching(f).await?.count(self.db()).await?)
    }

    pub async fn list_change_requests(
        &self,
        f: &RequestFilter,
    ) -> Result<Vec<(change_request::Model, String)>> {
        let q = self.requests_matching(f).await?;
        let rows = q
            .offset(crate::bounded(f.offset))
            .limit(f.limit.clamp(1, 500))
            .all(self.db())
            .await?;
        let ids: Vec<String> = rows.iter().map(|r| r.partner_id.clone()).collect();
        let slugs: std::collections::HashMap<String, String> = partner::Entity::find()
            .filter(partner::Column::Id.is_in(ids))
            .all(self.db())
            .await?
            .into_iter()
            .map(|p| (p.id, p.slug))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| {
                let slug = slugs.get(&r.partner_id).cloned().unwrap_or_default();
                (r, slug)
            })
            .collect())
    }

    pub async fn pending_change_requests(&self) -> Result<u64> {
        Ok(change_request::Entity::find()
            .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
            .count(self.db())
            .await?)
    }
}

async fn request_in(db: &impl ConnectionTrait, id: i64) -> Result<change_request::Model> {
    change_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("change request #{id}")))
}

/// Moves a request out of `pending` only if it still is (two deciders at once: one wins).
async fn close(
    txn: &DatabaseTransaction,
    row: &change_request::Model,
    to: RequestStatus,
    actor: &Actor,
    comment: Option<&str>,
    now: i64,
) -> Result<change_request::Model> {
    let res = change_request::Entity::update_many()
        .col_expr(
            change_request::Column::Status,
            Expr::value(RequestStatusColumn::from(to).as_str()),
        )
        .col_expr(
            change_request::Column::DecidedBy,
            Expr::value(actor.name.clone()),
        )
        .col_expr(change_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            change_request::Column::DecisionComment,
            Expr::value(comment.filter(|c| !c.is_empty()).map(str::to_owned)),
        )
        .filter(change_request::Column::Id.eq(row.id))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Stale(format!(
            "change request #{} was decided meanwhile",
            row.id
        )));
    }
    request_in(txn, row.id).await
}

/// `Store::submit` inside a caller's transaction (a configuration applied as a whole).
pub(crate) async fn submit_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    change: Change,
    reason: &str,
    request: bool,
    now: i64,
) -> Result<Submitted> {
    let reason = reason.trim();
    if reason.chars().count() > 1000 {
        return Err(invalid("the reason is longer than 1000 characters"));
    }
    let (p, needs) = needs_approval(txn, actor, &change).await?;
    if !needs {
        let id = apply(txn, actor, &change, now).await?;
        return Ok(Submitted::Applied { id });
    }
    if !request {
        return Err(StoreError::NeedsApproval(change.summary()));
    }
    file_in(txn, actor, &p, change, reason, now).await
}

/// Files `change` as a pending request of `p` (after checking, in a rolled-back trial, that it
/// would apply today); one pending request per target.
async fn file_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: &partner::Model,
    change: Change,
    reason: &str,
    now: i64,
) -> Result<Submitted> {
    // Four eyes need to know whose request it is: an API client that answers to nobody
    // could be approved by whoever holds its token.
    if actor.name.starts_with("api:") && person_in(txn, &actor.name).await? == actor.name {
        return Err(StoreError::Forbidden(
            "this API client has no owner, so nobody can tell who filed the change: make it again with `entente admin api-client --owner`".into(),
        ));
    }
    let p = p.clone();
    let trial = txn.begin().await?;
    apply(&trial, actor, &change, now).await?;
    trial.rollback().await?;
    let (target, summary) = describe(txn, &p, &change).await?;
    let details = match change {
        Change::Promote { .. } => access_of(txn, &p).await?,
        _ => String::new(),
    };
    if let Some(open) = change_request::Entity::find()
        .filter(change_request::Column::Target.eq(&target))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .one(txn)
        .await?
    {
        return Err(StoreError::Stale(format!(
            "change request #{} ({}) is already pending for this",
            open.id, open.summary
        )));
    }
    let model = change_request::ActiveModel {
        kind: Set(change.kind().to_owned()),
        partner_id: Set(p.id.clone()),
        target: Set(target.clone()),
        summary: Set(summary),
        details: Set(details),
        payload: Set(serde_json::to_string(&change)
            .map_err(|e| invalid(format!("the change cannot be recorded: {e}")))?),
        status: Set(RequestStatusColumn::Pending),
        requested_by: Set(actor.name.clone()),
        requested_at: Set(now),
        reason: Set(reason.to_owned()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_comment: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("a pending request for {target}")))?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::ChangeRequestFile,
        &format!("change_request:{}", model.id),
        json!({"partner": p.slug, "kind": model.kind, "summary": model.summary, "reason": reason}),
        now,
    )
    .await?;
    Ok(Submitted::Requested(Box::new(model)))
}
