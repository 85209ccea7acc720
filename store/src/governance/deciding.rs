//! Deciding a pending request: a different administrator approves it (the change is applied
//! in the same transaction) or rejects it, or the person who filed it withdraws it.

use entente_domain::governance::{self, Decision, RequestStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use super::apply::apply;
use super::describe::access_of;
use super::held::{diff_of, held_by};
use super::listing::request_in;
use super::subject::{partner_of, slug_of};
use super::{Change, invalid};
use crate::entities::change_request;
use crate::enums::RequestStatusColumn;
use crate::people::person_in;
use crate::{Actor, Result, Store, StoreError, audit};

fn refused(r: governance::Refusal) -> StoreError {
    match r {
        governance::Refusal::Decided(m) => StoreError::Stale(m),
        governance::Refusal::NotAllowed(m) => StoreError::Forbidden(m),
    }
}

impl Store {
    /// Approves (applying the change in the same transaction) or rejects a pending request.
    /// `decider_is_admin` is the decider's role now; the requester can never decide.
    pub async fn decide_change_request(
        &self,
        actor: &Actor,
        decider_is_admin: bool,
        id: i64,
        decision: Decision,
        comment: &str,
        now: i64,
    ) -> Result<change_request::Model> {
        governance::check_comment(decision, comment).map_err(invalid)?;
        let comment = comment.trim();
        let txn = self.write().await?;
        // Locked: of two deciders at once, the second waits and then finds it decided.
        let row = change_request::Entity::find_by_id(id)
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("change request #{id}")))?;
        governance::check_decision(
            row.status.into(),
            &person_in(&txn, &row.requested_by).await?,
            &person_in(&txn, &actor.name).await?,
            decider_is_admin,
        )
        .map_err(refused)?;
        let status = match decision {
            Decision::Approve => {
                let change: Change = serde_json::from_str(&row.payload)
                    .map_err(|e| invalid(format!("the request cannot be read: {e}")))?;
                let p = partner_of(&txn, actor, &change).await?;
                if matches!(change, Change::ProductionClient { .. }) {
                    let cap = self.caps().clients_per_partner;
                    crate::catalog::check_client_cap(&txn, actor, &p.id, cap).await?;
                }
                if matches!(change, Change::Promote { .. })
                    && access_of(&txn, &p).await? != row.details
                {
                    return Err(StoreError::Stale(
                        "the partner's grants or trust rules changed since the request was filed; reject it and file it again".into(),
                    ));
                }
                let before = held_by(&txn, &p.id).await?;
                apply(&txn, actor, &change, now)
                    .await
                    .map_err(|e| match e {
                        StoreError::Db(_) => e,
                        other => invalid(format!(
                            "the change no longer applies ({other}); reject the request instead"
                        )),
                    })?;
                // The request now shows what its approval did, which may differ from what
                // was filed if the partner's access moved meanwhile.
                let done = diff_of(&change, &before, &held_by(&txn, &p.id).await?)?;
                change_request::Entity::update_many()
                    .col_expr(change_request::Column::Diff, Expr::value(done))
                    .filter(change_request::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
                RequestStatus::Approved
            }
            Decision::Reject => RequestStatus::Rejected,
        };
        let model = close(&txn, &row, status, actor, Some(comment), now).await?;
        audit::record(
            &txn,
            actor,
            match decision {
                Decision::Approve => entente_domain::audit::AuditAction::ChangeRequestApprove,
                Decision::Reject => entente_domain::audit::AuditAction::ChangeRequestReject,
            },
            &format!("change_request:{id}"),
            json!({"summary": row.summary, "requested_by": row.requested_by, "partner": slug_of(&txn, &row).await?,
                   "before": row.status, "after": model.status, "comment": comment}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }

    /// The person who filed a pending request takes it back.
    pub async fn withdraw_change_request(
        &self,
        actor: &Actor,
        id: i64,
        now: i64,
    ) -> Result<change_request::Model> {
        let txn = self.write().await?;
        let row = request_in(&txn, id).await?;
        governance::check_withdraw(row.status.into(), &row.requested_by, &actor.name)
            .map_err(refused)?;
        let model = close(&txn, &row, RequestStatus::Withdrawn, actor, None, now).await?;
        audit::record(
            &txn,
            actor,
            entente_domain::audit::AuditAction::ChangeRequestWithdraw,
            &format!("change_request:{id}"),
            json!({"summary": row.summary, "partner": slug_of(&txn, &row).await?,
                   "before": row.status, "after": model.status}),
            now,
        )
        .await?;
        txn.commit().await?;
        Ok(model)
    }
}

/// Moves a request out of `pending` only if it still is (two deciders at once: one wins).
async fn close(
    txn: &DatabaseTransaction,
    row: &change_request::Model,
    to: RequestStatus,
    actor: &Actor,
    comment: Option<&str>,
    now: i64,
) -> Result<change_request::Model> {
    let res = change_request::Entity::update_many()
        .col_expr(
            change_request::Column::Status,
            Expr::value(RequestStatusColumn::from(to).as_str()),
        )
        .col_expr(
            change_request::Column::DecidedBy,
            Expr::value(actor.name.clone()),
        )
        .col_expr(change_request::Column::DecidedAt, Expr::value(now))
        .col_expr(
            change_request::Column::DecisionComment,
            Expr::value(comment.filter(|c| !c.is_empty()).map(str::to_owned)),
        )
        .filter(change_request::Column::Id.eq(row.id))
        .filter(change_request::Column::Status.eq(RequestStatusColumn::Pending))
        .exec(txn)
        .await?;
    if res.rows_affected != 1 {
        return Err(StoreError::Stale(format!(
            "change request #{} was decided meanwhile",
            row.id
        )));
    }
    request_in(txn, row.id).await
}
