//! `entente grant`: Grants: a partner's allowance of scopes on an audience.

use clap::Subcommand;
use entente_domain::ScopeSet;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum GrantCmd {
    Set {
        #[arg(long)]
        partner: String,
        #[arg(long)]
        audience: String,
        #[arg(long)]
        scopes: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: GrantCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        out,
        now,
        ..
    } = *cx;
    match cmd {
        GrantCmd::Set {
            partner,
            audience,
            scopes,
        } => {
            let scopes =
                ScopeSet::parse(&scopes).map_err(|e| anyhow::anyhow!("{}", e.description))?;
            let g = store
                .set_grant(actor, &partner, &audience, &scopes, now)
                .await?;
            print(
                out,
                json!({"partner": partner, "audience": audience, "scopes": g.scopes}),
                format!("grant set: {partner} may use {} on {audience}", g.scopes),
            );
        }
    }
    Ok(())
}
