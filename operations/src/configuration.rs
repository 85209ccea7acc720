//! Configuration as code: a whole document's changes applied in one transaction by the host,
//! with the changes that widen production access filed for approval by a named console user.

use std::collections::HashMap;

use entente_domain::config::Step;
use entente_store::catalog::NewClient;
use entente_store::config::Done;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize, offers};
use crate::ports::Operations;

impl Operations {
    /// Applies `steps` (planned against the stored catalog), creating `clients` as drafted
    /// with `draft_client`. `filer`: who files what needs approval (a console user who may
    /// submit grants); without one, such a step refuses the whole document.
    pub async fn apply_configuration(
        &self,
        actor: &Actor,
        filer: Option<&Actor>,
        steps: &[Step],
        clients: HashMap<String, NewClient>,
        reason: &str,
        now: i64,
    ) -> Result<Vec<Done>, OpError> {
        authorize(actor, Operation::ApplyConfiguration, Target::Global)?;
        if let Some(f) = filer
            && !offers(f, Operation::SetGrant)
        {
            return Err(OpError::Forbidden(
                "the console user filing the requests may not change grants (an auditor changes nothing)".into(),
            ));
        }
        let done = self
            .store
            .apply_config(
                actor.audit(),
                filer.map(Actor::audit),
                steps,
                clients,
                reason,
                now,
            )
            .await?;
        self.publish().await;
        Ok(done)
    }
}
