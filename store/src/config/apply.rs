//! A configuration plan applied in one transaction: every step audited as itself, changes that
//! need approval refused or filed.

use std::collections::HashMap;

use entente_domain::ScopeSet;
use entente_domain::config::{AudienceConfig, ClientConfig, RuleConfig, ScopeConfig, Step};
use entente_domain::lifecycle::Stage;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde_json::json;

use super::{Done, issuer_of_config, rule_of_config};
use crate::catalog::{
    NewAudience, NewClient, NewPartner, audience_by_identifier_in, create_audience_in,
    create_client_in, create_partner_in, partner_by_slug_in, set_partner_stage_in,
    suspend_partner_in,
};
use crate::entities::{change_request, trust_rule};
use crate::enums::RequestStatusColumn;
use crate::federation::{
    create_trusted_issuer_in, set_trust_rule_enabled_in, set_trusted_issuer_enabled_in,
};
use crate::governance::{Change, Submitted, submit_in};
use crate::matrix::set_scope_info_in;
use crate::onboarding::set_partner_record_in;
use crate::{Actor, Result, Store, StoreError, audit};

fn invalid(e: impl Into<String>) -> StoreError {
    StoreError::Invalid(e.into())
}

/// What every step of one apply shares: who applies it, who files what needs approval, why
/// and when.
struct Applying<'a> {
    actor: &'a Actor,
    filer: Option<&'a Actor>,
    reason: &'a str,
    now: i64,
}

impl Applying<'_> {
    /// A change that may need approval: applied, filed by the filer, or (without a filer)
    /// refused. The same change already pending is that request, so applying a document again
    /// while its request waits does not fail.
    async fn submit(&self, txn: &DatabaseTransaction, change: Change) -> Result<Done> {
        if self.filer.is_some() {
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
        let by = self.filer.unwrap_or(self.actor);
        Ok(
            match submit_in(txn, by, change, self.reason, self.filer.is_some(), self.now).await? {
                Submitted::Applied { .. } => Done::Applied,
                Submitted::Requested(r) => Done::Requested(r.id),
            },
        )
    }
}

impl Store {
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
        let applying = Applying {
            actor,
            filer,
            reason,
            now,
        };
        let mut done = vec![];
        for step in steps {
            let d = self.apply_step(&txn, &applying, step, &mut clients).await?;
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

    /// One step of `apply_config`, inside its transaction.
    async fn apply_step(
        &self,
        txn: &DatabaseTransaction,
        applying: &Applying<'_>,
        step: &Step,
        clients: &mut HashMap<String, NewClient>,
    ) -> Result<Done> {
        let (actor, now) = (applying.actor, applying.now);
        Ok(match step {
            Step::CreateAudience(a) => {
                create_audience_in(txn, actor, new_audience(a), now).await?;
                Done::Applied
            }
            Step::AddScopes { audience, scopes } => {
                add_scopes_in(txn, actor, audience, scopes, now).await?;
                Done::Applied
            }
            Step::SetScopeInfo { audience, scope } => {
                set_scope_info_in(
                    txn,
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
                    txn,
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
            Step::MoveStage { partner, to, .. } => {
                move_stage_step(txn, applying, partner, *to).await?
            }
            Step::Suspend { partner, reason } => {
                suspend_partner_in(txn, actor, partner, reason, now).await?;
                Done::Applied
            }
            Step::Reactivate { partner } => {
                let partner = partner.clone();
                applying.submit(txn, Change::Reactivate { partner }).await?
            }
            Step::SetRecord { partner, record } => {
                set_partner_record_in(txn, actor, partner, record.clone(), now).await?;
                Done::Applied
            }
            Step::CreateClient { partner, client } => {
                self.create_client_step(txn, applying, partner, client, clients)
                    .await?
            }
            Step::SetGrant {
                partner,
                audience,
                after,
                ..
            } => set_grant_step(txn, applying, partner, audience, after).await?,
            Step::CreateIssuer { partner, issuer } => {
                let new = issuer_of_config(issuer).map_err(invalid)?;
                create_trusted_issuer_in(txn, actor, partner, new, now).await?;
                Done::Applied
            }
            Step::SetIssuerEnabled {
                partner,
                issuer,
                enabled,
            } => set_issuer_enabled_step(txn, applying, partner, issuer, *enabled).await?,
            Step::SetRule { partner, rule } => set_rule_step(txn, applying, partner, rule).await?,
            Step::SetRuleEnabled {
                partner,
                issuer,
                audience,
                enabled,
            } => set_rule_enabled_step(txn, applying, partner, issuer, audience, *enabled).await?,
        })
    }

    /// A new client as the caller prepared it, within the partner's cap on clients.
    async fn create_client_step(
        &self,
        txn: &DatabaseTransaction,
        applying: &Applying<'_>,
        partner: &str,
        client: &ClientConfig,
        clients: &mut HashMap<String, NewClient>,
    ) -> Result<Done> {
        let (actor, now) = (applying.actor, applying.now);
        if !client.enabled {
            return Err(invalid(format!(
                "client {}: configuration creates enabled clients only",
                client.client_id
            )));
        }
        let mut new = clients
            .remove(&client.client_id)
            .ok_or_else(|| invalid(format!("client {} was not prepared", client.client_id)))?;
        let pid = partner_by_slug_in(txn, partner).await?.id;
        crate::catalog::check_client_cap(txn, actor, &pid, self.caps().clients_per_partner).await?;
        new.partner_id = Some(pid);
        create_client_in(txn, actor, new, client.client_id.clone(), now).await?;
        Ok(Done::Applied)
    }
}

/// An audience as the document states it, as the store creates it.
fn new_audience(a: &AudienceConfig) -> NewAudience {
    NewAudience {
        identifier: a.identifier.clone(),
        name: a.name.clone(),
        scopes: a.scopes.iter().map(|s| s.name.clone()).collect(),
        token_lifetime: a.token_lifetime,
        environment: a.environment,
    }
}

/// To production is a promotion, which may need approval; any other stage moves at once.
async fn move_stage_step(
    txn: &DatabaseTransaction,
    applying: &Applying<'_>,
    partner: &str,
    to: Stage,
) -> Result<Done> {
    match to {
        Stage::Production => {
            let partner = partner.to_owned();
            applying.submit(txn, Change::Promote { partner }).await
        }
        to => {
            set_partner_stage_in(txn, applying.actor, partner, to, "", applying.now).await?;
            Ok(Done::Applied)
        }
    }
}

async fn set_grant_step(
    txn: &DatabaseTransaction,
    applying: &Applying<'_>,
    partner: &str,
    audience: &str,
    after: &[String],
) -> Result<Done> {
    let scopes = ScopeSet::parse(&after.join(" ")).map_err(|e| invalid(e.description))?;
    let change = Change::Grant {
        partner: partner.to_owned(),
        audience: audience.to_owned(),
        scopes,
    };
    applying.submit(txn, change).await
}

/// Enabling an issuer may need approval (its rules resume); disabling it never does.
async fn set_issuer_enabled_step(
    txn: &DatabaseTransaction,
    applying: &Applying<'_>,
    partner: &str,
    issuer: &str,
    enabled: bool,
) -> Result<Done> {
    if enabled {
        let change = Change::EnableIssuer {
            partner: partner.to_owned(),
            issuer: issuer.to_owned(),
        };
        return applying.submit(txn, change).await;
    }
    let (actor, now) = (applying.actor, applying.now);
    set_trusted_issuer_enabled_in(txn, actor, partner, issuer, false, now).await?;
    Ok(Done::Applied)
}

async fn set_rule_step(
    txn: &DatabaseTransaction,
    applying: &Applying<'_>,
    partner: &str,
    rule: &RuleConfig,
) -> Result<Done> {
    let new = rule_of_config(rule).map_err(invalid)?;
    let change = Change::TrustRule {
        partner: partner.to_owned(),
        issuer: rule.issuer.clone(),
        audience: rule.audience.clone(),
        rule: new,
    };
    applying.submit(txn, change).await
}

/// Enabling a rule may need approval; disabling it never does. The document names the rule by
/// its issuer and audience.
async fn set_rule_enabled_step(
    txn: &DatabaseTransaction,
    applying: &Applying<'_>,
    partner: &str,
    issuer: &str,
    audience: &str,
    enabled: bool,
) -> Result<Done> {
    let p = partner_by_slug_in(txn, partner).await?;
    let i = crate::federation::trusted_issuer_in(txn, &p.id, issuer).await?;
    let a = audience_by_identifier_in(txn, audience).await?;
    let rule = trust_rule::Entity::find()
        .filter(trust_rule::Column::IssuerId.eq(&i.id))
        .filter(trust_rule::Column::AudienceId.eq(&a.id))
        .one(txn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("trust rule {issuer} → {audience}")))?;
    if enabled {
        return applying
            .submit(txn, Change::EnableTrustRule { rule_id: rule.id })
            .await;
    }
    set_trust_rule_enabled_in(txn, applying.actor, &rule.id, false, applying.now).await?;
    Ok(Done::Applied)
}

/// New scopes on an existing audience (default sensitivity medium; later steps set info).
async fn add_scopes_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    audience: &str,
    scopes: &[ScopeConfig],
    now: i64,
) -> Result<()> {
    let names: Vec<String> = scopes.iter().map(|s| s.name.clone()).collect();
    let set = ScopeSet::parse(&names.join(" ")).map_err(|e| invalid(e.description))?;
    crate::catalog::add_scopes_in(txn, actor, audience, &set, now).await?;
    Ok(())
}
