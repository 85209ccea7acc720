//! A partner's life: created, moved between stages (production only with a second
//! administrator's approval), suspended at once, reactivated with approval.

use entente_domain::lifecycle::Stage;
use entente_store::catalog::NewPartner;
use entente_store::entities::partner;
use entente_store::governance::Change;

use crate::actor::Actor;
use crate::error::OpError;
use crate::governance::Outcome;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// What happened to a stage change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageMoved {
    Moved(partner::Model),
    Submitted(Outcome),
}

impl Operations {
    /// Whether `actor` may do `op` on partner `slug` (their own partner when `None`); the
    /// partner. Doors that must parse a request before its operation can read it ask this
    /// first, so that a caller who may not act gets 403 or 404, never a judgement of their input.
    pub async fn may(
        &self,
        actor: &Actor,
        op: Operation,
        partner: Option<&str>,
    ) -> Result<partner::Model, OpError> {
        let p = self.partner_named(actor, partner).await?;
        authorize(actor, op, Target::Partner(&p))?;
        Ok(p)
    }

    /// A new partner, in `applied` (default), `in_review` or `sandbox`: production only by
    /// promotion.
    pub async fn create_partner(
        &self,
        actor: &Actor,
        slug: String,
        name: String,
        stage: Option<&str>,
        now: i64,
    ) -> Result<partner::Model, OpError> {
        authorize(actor, Operation::CreatePartner, Target::Global)?;
        let stage: Stage = stage
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("applied")
            .parse()
            .map_err(OpError::Invalid)?;
        entente_domain::governance::check_initial_stage(stage).map_err(OpError::Invalid)?;
        let p = self
            .store
            .create_partner(actor.audit(), NewPartner { slug, name, stage }, now)
            .await?;
        self.publish().await;
        Ok(p)
    }

    /// Moves a partner to `to`; promotion to production is submitted for approval.
    pub async fn move_partner_stage(
        &self,
        actor: &Actor,
        slug: &str,
        to: &str,
        reason: &str,
        now: i64,
    ) -> Result<StageMoved, OpError> {
        let p = self.store.partner_by_slug(slug).await?;
        authorize(actor, Operation::MovePartnerStage, Target::Partner(&p))?;
        let to: Stage = to.parse().map_err(OpError::Invalid)?;
        if entente_domain::governance::stage_change_needs_approval(to) {
            let change = Change::Promote {
                partner: slug.to_owned(),
            };
            return self
                .submit(actor, change, reason, true, now)
                .await
                .map(StageMoved::Submitted);
        }
        let p = self
            .store
            .move_partner_stage(actor.audit(), slug, to, reason, now)
            .await?;
        self.publish().await;
        Ok(StageMoved::Moved(p))
    }

    /// The kill switch: no approval, it only takes access away.
    pub async fn suspend_partner(
        &self,
        actor: &Actor,
        slug: &str,
        reason: &str,
        now: i64,
    ) -> Result<partner::Model, OpError> {
        let p = self.store.partner_by_slug(slug).await?;
        authorize(actor, Operation::SuspendPartner, Target::Partner(&p))?;
        let p = self
            .store
            .suspend_partner(actor.audit(), slug, reason, now)
            .await?;
        self.publish().await;
        Ok(p)
    }

    /// Reactivation restores access, so it is submitted for approval.
    pub async fn reactivate_partner(
        &self,
        actor: &Actor,
        slug: &str,
        reason: &str,
        now: i64,
    ) -> Result<Outcome, OpError> {
        let change = Change::Reactivate {
            partner: slug.to_owned(),
        };
        self.submit(actor, change, reason, true, now).await
    }
}
