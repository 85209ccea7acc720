//! Changing what an existing client may ask for: its scopes and grant types.

use entente_domain::ScopeSet;
use entente_store::entities::client;

use crate::actor::Actor;
use crate::clients::grant_types_of;
use crate::error::OpError;
use crate::operation::Operation;
use crate::ports::Operations;

/// A client's new scopes and grant types as a person typed or ticked them.
#[derive(Debug, Clone)]
pub struct ClientChange {
    /// Space-separated; at least one.
    pub scopes: String,
    /// `grant_type` values; at least one.
    pub grant_types: Vec<String>,
}

impl Operations {
    /// Replaces a client's scopes and grant types. The client's tokens stay within the
    /// partner's grants whatever it lists, so this widens nobody's access on its own: granting
    /// the partner is where four eyes apply.
    pub async fn update_client(
        &self,
        actor: &Actor,
        client_id: &str,
        change: ClientChange,
        now: i64,
    ) -> Result<client::Model, OpError> {
        let (c, _) = self
            .client_for(actor, Operation::UpdateClient, client_id)
            .await?;
        entente_domain::names::check_scope_list(&change.scopes)
            .map_err(|e| OpError::Invalid(format!("scopes: {e}")))?;
        let scopes = ScopeSet::parse(&change.scopes)
            .map_err(|e| OpError::Invalid(format!("scopes: {}", e.description)))?;
        if scopes.is_empty() {
            return Err(OpError::Invalid(
                "give the client at least one scope".into(),
            ));
        }
        if !actor.is_host() {
            self.not_reserved(None, scopes.iter())?;
        }
        if c.partner_id.is_none() {
            return Err(OpError::Invalid(
                "an API's own client is not changed here".into(),
            ));
        }
        if change.grant_types.iter().all(|g| g.trim().is_empty()) {
            return Err(OpError::Invalid("tick at least one grant type".into()));
        }
        let names: Vec<String> = grant_types_of(&change.grant_types)?
            .iter()
            .map(|g| g.as_str().to_owned())
            .collect();
        let m = self
            .store
            .update_client(actor.audit(), &c.client_id, &scopes, &names, now)
            .await?;
        self.publish().await;
        Ok(m)
    }
}
