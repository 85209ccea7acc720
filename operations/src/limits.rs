//! Rate limits: named tiers, and the limit of a partner or one of its clients (a tier, a rate
//! of its own, or nothing of its own).

use entente_domain::rate_limit::{Rate, Setting};
use entente_store::entities::rate_tier;
use entente_store::limits::Subject;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

impl Operations {
    /// Creates or changes a tier; `default: Some(true)` makes it the default.
    pub async fn set_tier(
        &self,
        actor: &Actor,
        name: &str,
        rate: Rate,
        default: Option<bool>,
        now: i64,
    ) -> Result<rate_tier::Model, OpError> {
        authorize(actor, Operation::SetTier, Target::Global)?;
        let t = self
            .store
            .set_rate_tier(actor.audit(), name.trim(), rate, default, now)
            .await?;
        self.publish().await;
        Ok(t)
    }

    /// Deletes a tier nobody uses.
    pub async fn delete_tier(&self, actor: &Actor, name: &str, now: i64) -> Result<(), OpError> {
        authorize(actor, Operation::DeleteTier, Target::Global)?;
        self.store
            .delete_rate_tier(actor.audit(), name.trim(), now)
            .await?;
        self.publish().await;
        Ok(())
    }

    /// Sets (or with `None`, clears) the limit of a partner or a client.
    pub async fn set_rate_limit(
        &self,
        actor: &Actor,
        subject: &Subject,
        setting: Option<&Setting>,
        now: i64,
    ) -> Result<(), OpError> {
        match subject {
            Subject::Partner { slug } => {
                let p = self.store.partner_by_slug(slug).await?;
                authorize(actor, Operation::SetRateLimit, Target::Partner(&p))?;
            }
            Subject::Client { client_id, .. } => {
                self.client_for(actor, Operation::SetRateLimit, client_id)
                    .await?;
            }
        }
        self.store
            .set_rate_limit(actor.audit(), subject, setting, now)
            .await?;
        self.publish().await;
        Ok(())
    }
}
