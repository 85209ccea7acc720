//! Entente's signing keys: the rotation policy, a successor now, an emergency revocation.
//! Security controls: administrators only (the policy table).

use entente_domain::environment::Environment;
use entente_domain::keyring::RotationPolicy;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

impl Operations {
    /// Sets the rotation policy (seconds): checked against the longest token lifetime, so no
    /// key retires while a token it signed is still valid.
    pub async fn set_key_policy(
        &self,
        actor: &Actor,
        rotation_interval: i64,
        publish_lead: i64,
        retirement_grace: i64,
        now: i64,
    ) -> Result<RotationPolicy, OpError> {
        authorize(actor, Operation::SetKeyPolicy, Target::Global)?;
        let longest = self.store.longest_token_lifetime().await?;
        let policy = RotationPolicy::checked(
            self.signing().defaults().algorithm,
            rotation_interval,
            publish_lead,
            retirement_grace,
            longest,
        )
        .map_err(OpError::Invalid)?;
        self.store
            .set_key_policy(actor.audit(), &policy, now)
            .await?;
        self.publish().await;
        Ok(policy)
    }

    /// The rotation policy in force: the stored periods over the configured defaults.
    pub async fn rotation_policy(&self) -> Result<RotationPolicy, OpError> {
        let stored = self.store.key_policy().await?;
        Ok(self.signing().defaults().with_periods(
            stored.map(|p| (p.rotation_interval, p.publish_lead, p.retirement_grace)),
        ))
    }

    /// Publishes a successor key now; its kid.
    pub async fn rotate_key(
        &self,
        actor: &Actor,
        environment: Environment,
        immediate: bool,
        now: i64,
    ) -> Result<String, OpError> {
        authorize(actor, Operation::RotateKey, Target::Global)?;
        let kid = self
            .signing()
            .rotate(actor.audit(), environment, immediate, now)
            .await?;
        self.publish().await;
        Ok(kid)
    }

    /// Revokes a key at once (`confirm`: its kid, typed again); the successor's kid when it
    /// was signing.
    pub async fn revoke_key(
        &self,
        actor: &Actor,
        kid: &str,
        confirm: &str,
        now: i64,
    ) -> Result<Option<String>, OpError> {
        authorize(actor, Operation::RevokeKey, Target::Global)?;
        if confirm.trim() != kid {
            return Err(OpError::Invalid(
                "type the key's ID exactly to confirm its revocation".into(),
            ));
        }
        let successor = self.signing().revoke(actor.audit(), kid, now).await?;
        self.publish().await;
        Ok(successor)
    }
}
