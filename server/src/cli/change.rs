//! `entente change`: change requests, the changes that widen production access and wait for a
//! different administrator's approval. They are approved or rejected in the console (or the
//! admin API), where the decider is a signed-in person; here they are filed, listed and withdrawn.

use clap::{Args, Subcommand};
use entente_domain::governance::RequestStatus;
use entente_store::Actor;
use entente_store::entities::change_request;
use entente_store::governance::{Change, RequestFilter};
use serde_json::json;

use super::{Ctx, Output, print};

/// How a command that may widen production access behaves when it does.
#[derive(Debug, Clone, Args)]
pub struct ApprovalArgs {
    /// When the change needs approval, file it as a change request instead of failing.
    #[arg(long)]
    pub request_approval: bool,
    /// Why the change is wanted (shown to the approver).
    #[arg(long, default_value = "")]
    pub reason: String,
    /// The console user (e-mail) filing the request; they cannot approve it themselves.
    #[arg(long = "as", value_name = "EMAIL")]
    pub as_user: Option<String>,
}

/// The console user a command line acts for when it files or withdraws a request: a person
/// the four-eyes rule can tell apart from the approver (an operator or administrator).
pub(crate) async fn filer(
    cx: &Ctx<'_>,
    email: Option<&str>,
) -> anyhow::Result<entente_operations::Actor> {
    let Some(email) = email else {
        anyhow::bail!("name the console user filing the request with --as EMAIL");
    };
    let user = cx
        .store
        .admin_by_email(email)
        .await?
        .filter(|u| u.enabled && !u.role.is_partner())
        .ok_or_else(|| anyhow::anyhow!("{email} is not an enabled console user"))?;
    Ok(entente_operations::Actor::console(
        user.id,
        user.email,
        user.role,
        Actor::new(String::new()),
    ))
}

#[derive(Debug, Subcommand)]
pub enum ChangeCmd {
    /// Change requests, newest first.
    List {
        #[arg(long)]
        status: Option<RequestStatus>,
        #[arg(long)]
        partner: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
    /// Take back a pending request (`--as` the console user who filed it).
    Withdraw {
        #[arg(long)]
        id: i64,
        #[arg(long = "as", value_name = "EMAIL")]
        as_user: Option<String>,
    },
}

pub fn request_json(r: &change_request::Model, partner: &str) -> serde_json::Value {
    json!({"id": r.id, "kind": r.kind, "partner": partner, "summary": r.summary, "details": r.details,
           "diff": r.diff_lines(), "status": r.status,
           "requested_by": r.requested_by, "requested_at": r.requested_at, "reason": r.reason,
           "decided_by": r.decided_by, "decided_at": r.decided_at, "comment": r.decision_comment})
}

/// Submits `change` and prints what happened: `applied` when nothing
/// needed approval.
pub async fn submit(
    cx: &Ctx<'_>,
    change: Change,
    approval: &ApprovalArgs,
    applied: impl FnOnce(Option<String>) -> (serde_json::Value, String),
) -> anyhow::Result<()> {
    use entente_operations::governance::Outcome;
    let partner = change.partner().unwrap_or_default().to_owned();
    let actor = if approval.request_approval {
        filer(cx, approval.as_user.as_deref()).await?
    } else {
        cx.host()
    };
    let outcome = cx
        .operations()?
        .submit(
            &actor,
            change,
            &approval.reason,
            approval.request_approval,
            cx.now,
        )
        .await?;
    match outcome {
        Outcome::Applied { id } => {
            let (v, t) = applied(id);
            print(cx.out, v, t);
        }
        Outcome::Requested(r) => print(
            cx.out,
            json!({"change_request": request_json(&r, &partner)}),
            format!(
                "change request #{} filed: {}. A different administrator approves or rejects it in the console.",
                r.id, r.summary
            ),
        ),
    }
    Ok(())
}

pub async fn run(cx: &Ctx<'_>, cmd: ChangeCmd) -> anyhow::Result<()> {
    match cmd {
        ChangeCmd::List {
            status,
            partner,
            limit,
        } => {
            let rows = cx
                .store
                .list_change_requests(&RequestFilter {
                    status,
                    partner,
                    limit,
                    ..Default::default()
                })
                .await?;
            let v: Vec<_> = rows.iter().map(|(r, p)| request_json(r, p)).collect();
            let t = rows
                .iter()
                .map(|(r, _)| {
                    let head = format!(
                        "#{:<5} {:<10} {}  ({})",
                        r.id, r.status, r.summary, r.requested_by
                    );
                    let diff = entente_types::diff::as_text(&r.diff_lines());
                    std::iter::once(head)
                        .chain(diff.lines().map(|l| format!("       {l}")))
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .collect::<Vec<_>>()
                .join("\n");
            print(
                cx.out,
                json!(v),
                if cx.out == Output::Text && rows.is_empty() {
                    "no change requests".into()
                } else {
                    t
                },
            );
        }
        ChangeCmd::Withdraw { id, as_user } => {
            let actor = filer(cx, as_user.as_deref()).await?;
            let r = cx
                .operations()?
                .withdraw_change_request(&actor, id, cx.now)
                .await?;
            print(
                cx.out,
                json!({"id": r.id, "status": r.status}),
                format!("change request #{} withdrawn", r.id),
            );
        }
    }
    Ok(())
}
