//! Changes that may need a second administrator: submitted (applied at once, or filed as a
//! change request when they widen production access), decided, withdrawn.

use entente_domain::governance::Decision;
use entente_store::entities::{change_request, partner};
use entente_store::governance::{Change, Submitted};

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// What became of a submitted change, as every door reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// In effect now (`id`: the trust rule it set, if any).
    Applied { id: Option<String> },
    /// Waiting for a different administrator's approval as this request.
    Requested(Box<change_request::Model>),
}

/// The operation a change is: what the policy table authorizes it as.
pub fn operation_of(change: &Change) -> Operation {
    match change {
        Change::Promote { .. } => Operation::MovePartnerStage,
        Change::Reactivate { .. } => Operation::ReactivatePartner,
        Change::Grant { .. } => Operation::SetGrant,
        Change::Grants { .. } => Operation::ApplyMatrix,
        Change::TrustRule { .. } => Operation::SetTrustRule,
        Change::EnableTrustRule { .. } => Operation::SetTrustRuleEnabled,
        Change::EnableIssuer { .. } => Operation::SetIssuerEnabled,
        // What a partner asks for: the administrators decide; staff change grants directly.
        Change::AddScopes { .. } | Change::ProductionClient { .. } => Operation::FileChangeRequest,
    }
}

impl Operations {
    /// The partner a change is about (a rule is named by its id alone).
    pub(crate) async fn partner_of_change(
        &self,
        change: &Change,
    ) -> Result<partner::Model, OpError> {
        match change {
            Change::EnableTrustRule { rule_id } => {
                let rules = self.store.list_trust_rules(None).await?;
                let rule = rules
                    .into_iter()
                    .find(|r| r.id == *rule_id)
                    .ok_or_else(|| OpError::NotFound(format!("trust rule {rule_id}")))?;
                Ok(self.store.partner_by_id(&rule.partner_id).await?)
            }
            other => Ok(self
                .store
                .partner_by_slug(other.partner().unwrap_or_default())
                .await?),
        }
    }

    /// Refuses a change that would grant the admin API's audience or an `entente:` scope
    /// (grants, rules and their mappings, requests): those are the host's.
    fn change_not_reserved(&self, actor: &Actor, change: &Change) -> Result<(), OpError> {
        if actor.is_host() {
            return Ok(());
        }
        match change {
            Change::Grant {
                audience, scopes, ..
            }
            | Change::AddScopes {
                audience, scopes, ..
            } => self.not_reserved(Some(audience), scopes.iter()),
            Change::Grants { grants, .. } => grants
                .iter()
                .try_for_each(|g| self.not_reserved(Some(&g.audience), g.scopes.iter())),
            Change::TrustRule { audience, rule, .. } => self.not_reserved(
                Some(audience),
                rule.scopes
                    .iter()
                    .chain(rule.mappings.iter().map(|m| m.scope.as_str())),
            ),
            Change::ProductionClient { scopes, .. } => self.not_reserved(None, scopes.iter()),
            Change::Promote { .. }
            | Change::Reactivate { .. }
            | Change::EnableTrustRule { .. }
            | Change::EnableIssuer { .. } => Ok(()),
        }
    }

    /// Submits `change`: applied at once when it widens nothing, filed as a change request when
    /// it does (`request`: false refuses instead of filing). The operation it is authorized as
    /// follows from the change itself, never from the door.
    pub async fn submit(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        request: bool,
        now: i64,
    ) -> Result<Outcome, OpError> {
        let op = operation_of(&change);
        let p = self.partner_of_change(&change).await?;
        authorize(actor, op, Target::Partner(&p))?;
        self.change_not_reserved(actor, &change)?;
        let out = self
            .store
            .submit(actor.audit(), change, reason, request, now)
            .await?;
        self.publish().await;
        Ok(match out {
            Submitted::Applied { id } => Outcome::Applied { id },
            Submitted::Requested(r) => Outcome::Requested(r),
        })
    }

    /// A partner's request to its administrators (production, more scopes, a production
    /// client): filed, never applied, by the partner.
    pub async fn file_change_request(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        let p = self.partner_of_change(&change).await?;
        authorize(actor, Operation::FileChangeRequest, Target::Partner(&p))?;
        self.change_not_reserved(actor, &change)?;
        Ok(self
            .store
            .file_request(actor.audit(), change, reason, now)
            .await?)
    }

    /// Approves or rejects a pending request; never the filer's own, nor one filed by the
    /// same person under another name (the store's four-eyes check, inside the transaction).
    pub async fn decide_change_request(
        &self,
        actor: &Actor,
        id: i64,
        decision: Decision,
        comment: &str,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        authorize(actor, Operation::DecideChangeRequest, Target::Global)?;
        let r = self.store.change_request(id).await?;
        let p = self.store.partner_by_id(&r.partner_id).await?;
        authorize(actor, Operation::DecideChangeRequest, Target::Partner(&p))?;
        let decider_is_admin =
            actor.is_host() || actor.role() == Some(entente_store::enums::Role::Admin);
        let r = self
            .store
            .decide_change_request(actor.audit(), decider_is_admin, id, decision, comment, now)
            .await?;
        self.publish().await;
        Ok(r)
    }

    /// Withdraws a pending request: only its filer (checked by the store), and a partner's
    /// people only their own partner's.
    pub async fn withdraw_change_request(
        &self,
        actor: &Actor,
        id: i64,
        now: i64,
    ) -> Result<change_request::Model, OpError> {
        let r = self.store.change_request(id).await?;
        let p = self.store.partner_by_id(&r.partner_id).await?;
        match authorize(actor, Operation::WithdrawChangeRequest, Target::Partner(&p)) {
            Err(OpError::NotFound(_)) => {
                return Err(OpError::NotFound(format!("change request #{id}")));
            }
            other => other?,
        }
        Ok(self
            .store
            .withdraw_change_request(actor.audit(), id, now)
            .await?)
    }
}
