//! Filing a change: applied at once when it widens nothing, otherwise refused or filed as a
//! pending request (one per target) for a different administrator.

use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use serde_json::json;

use super::apply::apply;
use super::approval::needs_approval;
use super::describe::{access_of, describe};
use super::held::{diff_of, held_by};
use super::subject::partner_of;
use super::{Change, Submitted, invalid};
use crate::entities::{change_request, partner};
use crate::enums::RequestStatusColumn;
use crate::people::person_in;
use crate::{Actor, Result, Store, StoreError, audit};

impl Store {
    /// Applies `change` at once unless it widens production access. Then, with `request`, it is
    /// filed as a change request (after checking, in a rolled-back trial, that it would apply
    /// today); without, it is refused with `NeedsApproval`.
    pub async fn submit(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        request: bool,
        now: i64,
    ) -> Result<Submitted> {
        let txn = self.write().await?;
        let out = submit_in(&txn, actor, change, reason, request, now).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Files `change` as a request whatever it widens: what a partner asks for in the portal
    /// is never applied by the partner, only by an administrator's approval.
    pub async fn file_request(
        &self,
        actor: &Actor,
        change: Change,
        reason: &str,
        now: i64,
    ) -> Result<change_request::Model> {
        let txn = self.write().await?;
        let p = partner_of(&txn, actor, &change).await?;
        if matches!(change, Change::ProductionClient { .. }) {
            crate::catalog::check_client_cap(&txn, actor, &p.id, self.caps().clients_per_partner)
                .await?;
        }
        let Submitted::Requested(model) = file_in(&txn, actor, &p, change, reason, now).await?
        else {
            return Err(invalid("the request was not filed"));
        };
        txn.commit().await?;
        Ok(*model)
    }
}

/// `Store::submit` inside a caller's transaction (a configuration applied as a whole).
pub(crate) async fn submit_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    change: Change,
    reason: &str,
    request: bool,
    now: i64,
) -> Result<Submitted> {
    let reason = reason.trim();
    if reason.chars().count() > 1000 {
        return Err(invalid("the reason is longer than 1000 characters"));
    }
    let (p, needs) = needs_approval(txn, actor, &change).await?;
    if !needs {
        let id = apply(txn, actor, &change, now).await?;
        return Ok(Submitted::Applied { id });
    }
    if !request {
        return Err(StoreError::NeedsApproval(change.summary()));
    }
    file_in(txn, actor, &p, change, reason, now).await
}

/// Files `change` as a pending request of `p` (after checking, in a rolled-back trial, that it
/// would apply today); one pending request per target.
async fn file_in(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Actor,
    p: &partner::Model,
    change: Change,
    reason: &str,
    now: i64,
) -> Result<Submitted> {
    // Four eyes need to know whose request it is: an API client that answers to nobody
    // could be approved by whoever holds its token.
    if actor.name.starts_with("api:") && person_in(txn, &actor.name).await? == actor.name {
        return Err(StoreError::Forbidden(
            "this API client has no owner, so nobody can tell who filed the change: make it again with `entente admin api-client --owner`".into(),
        ));
    }
    entente_domain::governance::check_reason(reason).map_err(invalid)?;
    let reason = reason.trim();
    let p = p.clone();
    let before = held_by(txn, &p.id).await?;
    let trial = txn.begin().await?;
    apply(&trial, actor, &change, now).await?;
    let after = held_by(&trial, &p.id).await?;
    trial.rollback().await?;
    let diff = diff_of(&change, &before, &after)?;
    let (target, summary) = describe(txn, &p, &change).await?;
    let details = match change {
        Change::Promote { .. } => access_of(txn, &p).await?,
        _ => String::new(),
    };
    if let Some(open) = change_request::Entity::find()
        .filter(change_request::Column::Target.eq(&target))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .one(txn)
        .await?
    {
        return Err(StoreError::Stale(format!(
            "change request #{} ({}) is already pending for this",
            open.id, open.summary
        )));
    }
    let model = change_request::ActiveModel {
        kind: Set(change.kind().to_owned()),
        partner_id: Set(p.id.clone()),
        target: Set(target.clone()),
        summary: Set(summary),
        details: Set(details),
        payload: Set(serde_json::to_string(&change)
            .map_err(|e| invalid(format!("the change cannot be recorded: {e}")))?),
        diff: Set(diff),
        status: Set(RequestStatusColumn::Pending),
        requested_by: Set(actor.name.clone()),
        requested_at: Set(now),
        reason: Set(reason.to_owned()),
        decided_by: Set(None),
        decided_at: Set(None),
        decision_comment: Set(None),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| StoreError::from_insert(e, &format!("a pending request for {target}")))?;
    audit::record(
        txn,
        actor,
        entente_domain::audit::AuditAction::ChangeRequestFile,
        &format!("change_request:{}", model.id),
        json!({"partner": p.slug, "kind": model.kind, "summary": model.summary, "reason": reason}),
        now,
    )
    .await?;
    Ok(Submitted::Requested(Box::new(model)))
}
