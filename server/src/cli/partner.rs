//! `entente partner`: Partners: organisations that get access to your APIs.

use clap::Subcommand;
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
            let v: Vec<_> = ps.iter().map(|p| json!({"id": p.id, "slug": p.slug, "name": p.name, "environment": p.environment, "enabled": p.enabled})).collect();
            let t = ps
                .iter()
                .map(|p| format!("{:<24} {:<12} {}", p.slug, p.environment, p.name))
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
    }
    Ok(())
}
