//! `entente resource-server`: An API's own client, used to introspect tokens issued for its audience.

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum ResourceServerCmd {
    Create {
        #[arg(long)]
        audience: String,
        #[arg(long)]
        name: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: ResourceServerCmd) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    match cmd {
        ResourceServerCmd::Create { audience, name } => {
            let (c, a, secret) = cx
                .operations()?
                .create_resource_server(&cx.host(), &audience, name, now)
                .await?;
            let client_id = c.client_id;
            print(
                out,
                json!({"client_id": client_id, "client_secret": secret, "audience": audience, "environment": a.environment}),
                format!(
                    "client_id:     {client_id}\nclient_secret: {secret}\nenvironment:   {} (introspect at that environment's endpoint)\n(shown once: store it now)",
                    a.environment
                ),
            );
        }
    }
    Ok(())
}
