//! `entente partner`: Partners: organisations that get access to your APIs.

use clap::Subcommand;
use entente_domain::governance;
use entente_domain::lifecycle::Stage;
use entente_store::enums::Role;
use entente_store::governance::Change;
use serde_json::json;

use super::change::{ApprovalArgs, submit};
use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum PartnerCmd {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        /// Where it starts: applied, in_review or sandbox (production is reached by an
        /// approved promotion).
        #[arg(long, default_value = "applied")]
        stage: Stage,
    },
    List,
    /// Move a partner along its lifecycle: applied, in_review, sandbox, production, offboarded.
    /// Promotion to production needs a different administrator's approval (`--request-approval`).
    Stage {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        to: Stage,
        #[command(flatten)]
        approval: ApprovalArgs,
    },
    /// The kill switch: the partner's clients get no new tokens and every outstanding token
    /// derived from it is revoked (within a second on every replica).
    Suspend {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        reason: String,
    },
    /// Back to the stage the partner was suspended from, once a different administrator
    /// approves (`--request-approval`).
    Reactivate {
        #[arg(long)]
        partner: String,
        #[command(flatten)]
        approval: ApprovalArgs,
    },
    /// The partner's own users and its pending invitations.
    Users {
        #[arg(long)]
        partner: String,
    },
    /// Whether each of the partner's sandbox testers may get a sandbox client of their own in
    /// the playground (as the partner's admins set it on the portal's Team page). `off` stops
    /// every tester's client at once.
    TesterClients {
        #[arg(long)]
        partner: String,
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// The partner's single-sign-on settings, as its admins set them in the portal (never the
    /// client secret).
    SignIn {
        #[arg(long)]
        partner: String,
    },
    /// A one-time link (72 hours) for someone of the partner to set a password and sign in to
    /// the portal; only `--email` can use it. Prints the link once.
    Invite {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        email: String,
        /// partner_admin, partner_viewer or sandbox_tester (the playground only).
        #[arg(long, default_value = "partner_admin")]
        role: Role,
        /// Entente's issuer identifier (as the server is configured): the link's base.
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: PartnerCmd) -> anyhow::Result<()> {
    match cmd {
        PartnerCmd::Users { partner } => users(cx, partner).await?,
        PartnerCmd::SignIn { partner } => sign_in(cx, partner).await?,
        PartnerCmd::TesterClients { partner, state } => {
            tester_clients(cx, partner, state == "on").await?
        }
        PartnerCmd::Invite {
            partner,
            email,
            role,
            entente_issuer,
        } => invite(cx, partner, email, role, entente_issuer).await?,
        PartnerCmd::Create { slug, name, stage } => create(cx, slug, name, stage).await?,
        PartnerCmd::List => list(cx).await?,
        PartnerCmd::Stage {
            partner,
            to,
            approval,
        } => move_stage(cx, partner, to, approval).await?,
        PartnerCmd::Suspend { partner, reason } => suspend(cx, partner, reason).await?,
        PartnerCmd::Reactivate { partner, approval } => reactivate(cx, partner, approval).await?,
    }
    Ok(())
}

async fn users(cx: &Ctx<'_>, partner: String) -> anyhow::Result<()> {
    let Ctx {
        store, out, now, ..
    } = *cx;
    let p = store.partner_by_slug(&partner).await?;
    let users = store.partner_users(&p.id).await?;
    let invites = store.pending_partner_invites(&p.id, now).await?;
    let mut lines: Vec<String> = users
        .iter()
        .map(|u| {
            format!(
                "{:<40} {:<15} {}",
                u.email,
                u.role,
                if u.enabled { "enabled" } else { "disabled" }
            )
        })
        .collect();
    lines.extend(invites.iter().map(|i| {
        format!(
            "{:<40} {:<15} invited, until {}",
            i.email.as_deref().unwrap_or_default(),
            i.role,
            crate::admin_api::time_text(i.expires_at)
        )
    }));
    print(
        out,
        json!({
            "users": users.iter().map(|u| json!({"email": u.email, "role": u.role, "enabled": u.enabled})).collect::<Vec<_>>(),
            "invitations": invites.iter().map(|i| json!({"email": i.email, "role": i.role, "expires_at": i.expires_at})).collect::<Vec<_>>(),
        }),
        if lines.is_empty() {
            format!("{} has no users and no pending invitations", p.slug)
        } else {
            lines.join("\n")
        },
    );
    Ok(())
}

async fn sign_in(cx: &Ctx<'_>, partner: String) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let p = store.partner_by_slug(&partner).await?;
    match store.partner_sign_in(&p.id).await? {
        None => print(
            out,
            json!(null),
            format!("{} has not set up single sign-on", p.slug),
        ),
        Some(s) => print(
            out,
            json!({"issuer": s.issuer, "client_id": s.client_id, "enabled": s.enabled,
                   "join_domains": s.domains.split_whitespace().collect::<Vec<_>>(),
                   "join_role": s.join_role}),
            format!(
                "issuer:        {}\nclient_id:     {}\nenabled:       {}\njoin domains:  {}\njoin role:     {}",
                s.issuer,
                s.client_id,
                s.enabled,
                if s.domains.is_empty() {
                    "(none)"
                } else {
                    &s.domains
                },
                s.join_role
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "(nobody joins)".into())
            ),
        ),
    }
    Ok(())
}

async fn invite(
    cx: &Ctx<'_>,
    partner: String,
    email: String,
    role: Role,
    entente_issuer: String,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let invitation = cx
        .operations_at(&entente_issuer)?
        .invite_partner_user(&cx.host(), Some(&partner), &email, &role.as_str(), now)
        .await?;
    let link = invitation.link;
    print(
        out,
        json!({"partner": partner, "email": email, "role": role, "link": link}),
        format!("send this link to {email} (once, valid 72 hours):\n{link}"),
    );
    Ok(())
}

async fn create(cx: &Ctx<'_>, slug: String, name: String, stage: Stage) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let p = cx
        .operations()?
        .create_partner(&cx.host(), slug, name, Some(stage.as_str()), now)
        .await?;
    print(
        out,
        json!({"id": p.id, "slug": p.slug, "name": p.name, "stage": p.stage}),
        format!("created partner {} ({}), {}", p.slug, p.name, p.stage),
    );
    Ok(())
}

async fn list(cx: &Ctx<'_>) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let ps = store.list_partners().await?;
    let v: Vec<_> = ps.iter().map(|p| json!({"id": p.id, "slug": p.slug, "name": p.name, "stage": p.stage, "enabled": p.enabled})).collect();
    let t = ps
        .iter()
        .map(|p| format!("{:<24} {:<12} {}", p.slug, p.stage, p.name))
        .collect::<Vec<_>>()
        .join("\n");
    print(out, json!(v), t);
    Ok(())
}

/// Promotion to production is filed for approval; other moves are made at once.
async fn move_stage(
    cx: &Ctx<'_>,
    partner: String,
    to: Stage,
    approval: ApprovalArgs,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    if governance::stage_change_needs_approval(to) {
        let change = Change::Promote {
            partner: partner.clone(),
        };
        submit(cx, change, &approval, |_| {
            (
                json!({"slug": partner, "stage": to.as_str()}),
                format!("partner {partner} is now {}", to.as_str()),
            )
        })
        .await?;
    } else {
        let moved = cx
            .operations()?
            .move_partner_stage(&cx.host(), &partner, to.as_str(), &approval.reason, now)
            .await?;
        if let entente_operations::partners::StageMoved::Moved(p) = moved {
            print(
                out,
                json!({"slug": p.slug, "stage": p.stage}),
                format!("partner {} is now {}", p.slug, p.stage),
            );
        }
    }
    Ok(())
}

async fn tester_clients(cx: &Ctx<'_>, partner: String, allowed: bool) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let p = cx
        .operations()?
        .set_tester_clients(&cx.host(), Some(&partner), allowed, now)
        .await?;
    print(
        out,
        json!({"slug": p.slug, "testers_get_clients": p.testers_get_clients}),
        if allowed {
            format!(
                "{}'s sandbox testers may get their own sandbox client",
                p.slug
            )
        } else {
            format!(
                "{}'s sandbox testers' own clients are off, and those they had stopped",
                p.slug
            )
        },
    );
    Ok(())
}

async fn suspend(cx: &Ctx<'_>, partner: String, reason: String) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let p = cx
        .operations()?
        .suspend_partner(&cx.host(), &partner, &reason, now)
        .await?;
    print(
        out,
        json!({"slug": p.slug, "stage": p.stage, "reason": p.suspended_reason}),
        format!(
            "partner {} suspended: no new tokens, every token derived from it revoked",
            p.slug
        ),
    );
    Ok(())
}

async fn reactivate(cx: &Ctx<'_>, partner: String, approval: ApprovalArgs) -> anyhow::Result<()> {
    let change = Change::Reactivate {
        partner: partner.clone(),
    };
    submit(cx, change, &approval, |_| {
        (
            json!({"slug": partner, "reactivated": true}),
            format!("partner {partner} reactivated"),
        )
    })
    .await?;
    Ok(())
}
