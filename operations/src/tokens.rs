//! Lineage revocation: a token and everything derived from it, or everything of a client, a
//! partner or one partner user, on every replica within a second (through the revocation marks
//! every replica follows).

use entente_domain::federation::subject;
use entente_store::refresh::MARK_RETENTION;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// What to revoke.
#[derive(Debug, Clone)]
pub enum Lineage {
    /// A token (its `jti`) and every token exchanged from it.
    Token(String),
    /// Every token of a client.
    Client(String),
    /// Every token of a partner (its slug), refresh tokens included.
    Partner(String),
    /// Every token of one partner user: the trusted issuer and its subject. Under pairwise
    /// rules each audience's tokens carry their own copy of the subject key, derived with
    /// `pairwise_secret`.
    Subject {
        issuer: String,
        subject: String,
        pairwise_secret: Vec<u8>,
    },
}

impl Operations {
    /// Revokes `what`; the lineage key every replica now refuses.
    pub async fn revoke_lineage(
        &self,
        actor: &Actor,
        what: Lineage,
        now: i64,
    ) -> Result<String, OpError> {
        let until = now + MARK_RETENTION;
        let key = match what {
            Lineage::Token(jti) => {
                authorize(actor, Operation::RevokeTokens, Target::Global)?;
                subject::token_key(&jti)
            }
            Lineage::Client(id) => {
                let c = self.store.client(&id).await?;
                self.revoke_in(actor, c.partner_id.as_deref()).await?;
                subject::client_key(&id)
            }
            Lineage::Partner(slug) => {
                let p = self.store.partner_by_slug(&slug).await?;
                authorize(actor, Operation::RevokeTokens, Target::Partner(&p))?;
                self.store.revoke_partner_families(&p.id).await?;
                subject::partner_key(&slug)
            }
            Lineage::Subject {
                issuer,
                subject: sub,
                pairwise_secret,
            } => {
                authorize(actor, Operation::RevokeTokens, Target::Global)?;
                for (a, _) in self.store.list_audiences().await? {
                    let key = subject::pairwise_subject_key(
                        &pairwise_secret,
                        &a.identifier,
                        &issuer,
                        &sub,
                    );
                    self.store
                        .revoke_mark(actor.audit(), &key, until, now)
                        .await?;
                }
                subject::subject_key(&issuer, &sub)
            }
        };
        self.store
            .revoke_mark(actor.audit(), &key, until, now)
            .await?;
        Ok(key)
    }

    async fn revoke_in(&self, actor: &Actor, partner_id: Option<&str>) -> Result<(), OpError> {
        match partner_id {
            Some(id) => {
                let p = self.store.partner_by_id(id).await?;
                authorize(actor, Operation::RevokeTokens, Target::Partner(&p))
            }
            None => authorize(actor, Operation::RevokeTokens, Target::Global),
        }
    }
}
