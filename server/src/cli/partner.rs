//! `entente partner`: Partners: organisations that get access to your APIs.

use clap::Subcommand;
use entente_domain::lifecycle::Stage;
use entente_store::catalog::NewPartner;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum PartnerCmd {
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "production")]
        environment: String,
    },
    List,
    /// Move a partner along its lifecycle: applied, in_review, sandbox, production, offboarded.
    Stage {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        to: Stage,
    },
    /// The kill switch: the partner's clients get no new tokens and every outstanding token
    /// derived from it is revoked (within a second on every replica).
    Suspend {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        reason: String,
    },
    /// Back to the stage the partner was suspended from.
    Reactivate {
        #[arg(long)]
        partner: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: PartnerCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        out,
        now,
        ..
    } = *cx;
    match cmd {
        PartnerCmd::Create {
            slug,
            name,
            environment,
        } => {
            let p = store
                .create_partner(
                    actor,
                    NewPartner {
                        slug,
                        name,
                        environment,
                    },
                    now,
                )
                .await?;
            print(
                out,
                json!({"id": p.id, "slug": p.slug, "name": p.name, "environment": p.environment}),
                format!("created partner {} ({})", p.slug, p.name),
            );
        }
        PartnerCmd::List => {
            let ps = store.list_partners().await?;
            let v: Vec<_> = ps.iter().map(|p| json!({"id": p.id, "slug": p.slug, "name": p.name, "environment": p.environment, "stage": p.stage, "enabled": p.enabled})).collect();
            let t = ps
                .iter()
                .map(|p| format!("{:<24} {:<12} {}", p.slug, p.stage, p.name))
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        PartnerCmd::Stage { partner, to } => {
            let p = store.set_partner_stage(actor, &partner, to, now).await?;
            print(
                out,
                json!({"slug": p.slug, "stage": p.stage}),
                format!("partner {} is now {}", p.slug, p.stage),
            );
        }
        PartnerCmd::Suspend { partner, reason } => {
            let p = store.suspend_partner(actor, &partner, &reason, now).await?;
            print(
                out,
                json!({"slug": p.slug, "stage": p.stage, "reason": p.suspended_reason}),
                format!(
                    "partner {} suspended: no new tokens, every token derived from it revoked",
                    p.slug
                ),
            );
        }
        PartnerCmd::Reactivate { partner } => {
            let p = store.reactivate_partner(actor, &partner, now).await?;
            print(
                out,
                json!({"slug": p.slug, "stage": p.stage}),
                format!("partner {} reactivated ({})", p.slug, p.stage),
            );
        }
    }
    Ok(())
}
