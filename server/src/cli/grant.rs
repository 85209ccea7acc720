//! `entente grant`: Grants: a partner's allowance of scopes on an audience.

use clap::Subcommand;
use entente_domain::ScopeSet;
use serde_json::json;

use entente_store::governance::Change;

use super::Ctx;
use super::change::{ApprovalArgs, submit};

#[derive(Debug, Subcommand)]
pub enum GrantCmd {
    Set {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scopes: String,
        #[command(flatten)]
        approval: ApprovalArgs,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: GrantCmd) -> anyhow::Result<()> {
    match cmd {
        GrantCmd::Set {
            partner,
            audience,
            scopes,
            approval,
        } => {
            let scopes =
                ScopeSet::parse(&scopes).map_err(|e| anyhow::anyhow!("{}", e.description))?;
            let change = Change::Grant {
                partner: partner.clone(),
                audience: audience.clone(),
                scopes: scopes.clone(),
            };
            submit(cx, change, &approval, |_| {
                (
                    json!({"partner": partner, "audience": audience, "scopes": scopes.to_string()}),
                    format!("grant set: {partner} may use {scopes} on {audience}"),
                )
            })
            .await?;
        }
    }
    Ok(())
}
