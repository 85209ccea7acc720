//! `entente resource-server`: An API's own client, used to introspect tokens issued for its audience.

use clap::Subcommand;
use entente_domain::secret::{generate_secret, new_client_id};
use entente_store::catalog::NewClient;
use serde_json::json;

use super::{Ctx, print};
use crate::startup::secret_hasher;

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
    let Ctx {
        store,
        actor,
        common,
        out,
        now,
    } = *cx;
    match cmd {
        ResourceServerCmd::Create { audience, name } => {
            let a = store.audience_by_identifier(&audience).await?;
            let secret = generate_secret();
            let client_id = new_client_id();
            let hash = secret_hasher(&common.master_key()?).hash(&secret);
            let new = NewClient::resource_server(a.id, name, hash);
            store
                .create_client(actor, new, client_id.clone(), now)
                .await?;
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
