//! The scope matrix's change set: scopes added to and removed from partners' grants, applied
//! per partner on top of the grants as they are now (each partner's set at once, or filed as
//! one change request when it widens a production partner's access).

use std::collections::{BTreeMap, HashMap};

use entente_domain::ScopeSet;
use entente_store::governance::{Change, GrantSet};

use crate::actor::Actor;
use crate::error::OpError;
use crate::governance::Outcome;
use crate::operation::Operation;
use crate::policy::{Target, authorize};
use crate::ports::Operations;

/// One cell of the matrix changed: `scope` of `audience` granted to `partner`, or taken away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixEdit {
    pub partner: String,
    pub audience: String,
    pub scope: String,
    pub grant: bool,
}

/// The most edits one change set may carry.
pub const MAX_EDITS: usize = 5000;

impl Operations {
    /// Applies a change set; what became of each partner's part. Nothing is applied when any
    /// edit names a reserved audience or scope.
    pub async fn apply_matrix(
        &self,
        actor: &Actor,
        edits: Vec<MatrixEdit>,
        reason: &str,
        now: i64,
    ) -> Result<Vec<(String, Outcome)>, OpError> {
        authorize(actor, Operation::ApplyMatrix, Target::Global)?;
        if edits.is_empty() || edits.len() > MAX_EDITS {
            return Err(OpError::Invalid(format!(
                "a change set has 1 to {MAX_EDITS} edits"
            )));
        }
        if !actor.is_host() {
            for e in &edits {
                self.not_reserved(Some(&e.audience), [e.scope.as_str()])?;
            }
        }
        /// Scopes added and removed on one audience.
        type Delta = (Vec<String>, Vec<String>);
        let mut by_partner: BTreeMap<String, BTreeMap<String, Delta>> = BTreeMap::new();
        for e in edits {
            let slot = by_partner
                .entry(e.partner)
                .or_default()
                .entry(e.audience)
                .or_default();
            if e.grant {
                slot.0.push(e.scope);
            } else {
                slot.1.push(e.scope);
            }
        }
        // Every partner is authorized before anything is applied: a set naming one the actor
        // may not change applies nothing.
        for partner in by_partner.keys() {
            let p = self.store.partner_by_slug(partner).await?;
            authorize(actor, Operation::ApplyMatrix, Target::Partner(&p))?;
        }
        let mut done = vec![];
        for (partner, audiences) in by_partner {
            let p = self.store.partner_by_slug(&partner).await?;
            let current: HashMap<String, String> =
                self.store.grants_of(&p.id).await?.into_iter().collect();
            let grants = audiences
                .into_iter()
                .map(|(audience, (added, removed))| {
                    let mut scopes: Vec<String> = current
                        .get(&audience)
                        .map(|s| s.split_whitespace().map(str::to_owned).collect())
                        .unwrap_or_default();
                    scopes.retain(|s| !removed.contains(s));
                    scopes.extend(added);
                    GrantSet {
                        audience,
                        scopes: ScopeSet::from_tokens(scopes),
                    }
                })
                .collect();
            let change = Change::Grants {
                partner: partner.clone(),
                grants,
            };
            let out = self.submit(actor, change, reason, true, now).await?;
            done.push((partner, out));
        }
        Ok(done)
    }
}
