//! A partner's onboarding record: who they are, the agreement, contacts, the accepted security
//! questionnaire and a live check of their identity providers' keys — the evidence promotion
//! to production asks for.

use entente_domain::onboarding::PartnerRecord;

use crate::actor::Actor;
use crate::error::OpError;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// What the key check found: whether every enabled issuer answered, one line per issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerCheck {
    pub passed: bool,
    pub detail: String,
}

impl Operations {
    pub async fn save_partner_record(
        &self,
        actor: &Actor,
        slug: &str,
        record: PartnerRecord,
        now: i64,
    ) -> Result<(), OpError> {
        let p = self.store.partner_by_slug(slug).await?;
        authorize(actor, Operation::SavePartnerRecord, Target::Partner(&p))?;
        Ok(self
            .store
            .set_partner_record(actor.audit(), slug, record, now)
            .await?)
    }

    pub async fn accept_questionnaire(
        &self,
        actor: &Actor,
        slug: &str,
        now: i64,
    ) -> Result<(), OpError> {
        let p = self.store.partner_by_slug(slug).await?;
        authorize(actor, Operation::AcceptQuestionnaire, Target::Partner(&p))?;
        Ok(self
            .store
            .accept_questionnaire(actor.audit(), slug, now)
            .await?)
    }

    /// Fetches every enabled trusted issuer's keys now (bypassing caches) and records the
    /// result as of `now` (an issuer changed meanwhile makes the record outdated).
    pub async fn check_issuer_keys(
        &self,
        actor: &Actor,
        slug: &str,
        now: i64,
    ) -> Result<IssuerCheck, OpError> {
        let p = self.store.partner_by_slug(slug).await?;
        authorize(actor, Operation::CheckIssuerKeys, Target::Partner(&p))?;
        let issuers = self.store.list_trusted_issuers(Some(&p.id)).await?;
        let mut passed = true;
        let mut lines = vec![];
        for i in issuers.iter().filter(|i| i.enabled) {
            let found = match (&i.jwks_uri, &i.jwks) {
                (Some(uri), _) => self.probe_jwks_uri(uri, &i.algorithms).await,
                (None, Some(doc)) => {
                    let rsa_default =
                        entente_domain::federation::rules::parse_algorithms(&i.algorithms)
                            .ok()
                            .and_then(|a| entente_domain::jwks::sole_rsa(&a));
                    entente_domain::jwks::parse_with(doc, rsa_default).and_then(|(keys, _)| {
                        if keys.is_empty() {
                            Err("no usable key".into())
                        } else {
                            Ok(keys.len())
                        }
                    })
                }
                (None, None) => Err("no keys registered".into()),
            };
            match found {
                Ok(n) => lines.push(format!(
                    "{}: {}",
                    i.issuer,
                    entente_types::words::counted(n as u64, "key", "keys")
                )),
                Err(e) => {
                    passed = false;
                    lines.push(format!("{}: {e}", i.issuer));
                }
            }
        }
        if lines.is_empty() {
            return Err(OpError::Invalid(
                "the partner has no enabled trusted issuer".into(),
            ));
        }
        let detail = lines.join("; ");
        self.store
            .record_issuer_check(actor.audit(), slug, passed, &detail, now)
            .await?;
        Ok(IssuerCheck { passed, detail })
    }
}
