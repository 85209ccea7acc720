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
    /// Revokes `what` — its marks, its refresh families and one audit event, in one
    /// transaction; the lineage key every replica now refuses.
    pub async fn revoke_lineage(
        &self,
        actor: &Actor,
        what: Lineage,
        now: i64,
    ) -> Result<String, OpError> {
        // Whoever may not revoke at all learns nothing of what exists.
        authorize(actor, Operation::RevokeTokens, Target::Global)?;
        let until = now + MARK_RETENTION;
        let (key, also, partner_id) = match what {
            Lineage::Token(jti) => (subject::token_key(&jti), vec![], None),
            Lineage::Client(id) => {
                let c = self.store.client(&id).await?;
                if let Some(pid) = &c.partner_id {
                    let p = self.store.partner_by_id(pid).await?;
                    authorize(actor, Operation::RevokeTokens, Target::Partner(&p))?;
                }
                (subject::client_key(&id), vec![], None)
            }
            Lineage::Partner(slug) => {
                let p = self.store.partner_by_slug(&slug).await?;
                authorize(actor, Operation::RevokeTokens, Target::Partner(&p))?;
                (subject::partner_key(&slug), vec![], Some(p.id))
            }
            Lineage::Subject {
                issuer,
                subject: sub,
                pairwise_secret,
            } => {
                let also = self
                    .store
                    .list_audiences()
                    .await?
                    .into_iter()
                    .map(|(a, _)| {
                        subject::pairwise_subject_key(
                            &pairwise_secret,
                            &a.identifier,
                            &issuer,
                            &sub,
                        )
                    })
                    .collect();
                (subject::subject_key(&issuer, &sub), also, None)
            }
        };
        self.store
            .revoke_lineage(
                actor.audit(),
                &key,
                &also,
                partner_id.as_deref(),
                until,
                now,
            )
            .await?;
        Ok(key)
    }
}
