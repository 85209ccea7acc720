//! `entente exchange explain`: the decision trace of a token request, nothing issued.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Subcommand;
use entente_domain::federation::Env;
use entente_domain::federation::explain::ExplainRequest;
use serde_json::json;

use super::{Ctx, print};
use crate::config::FetchArgs;
use crate::state::issuer_keys::IssuerKeys;

#[derive(Debug, Subcommand)]
pub enum ExchangeCmd {
    /// Evaluate a token request (JSON) without issuing anything; prints the decision trace.
    Explain {
        #[arg(long)]
        file: PathBuf,
        /// Entente's own issuer identifier (as the server is configured).
        #[arg(
            long = "entente-issuer",
            env = "ENTENTE_ISSUER",
            default_value = "http://127.0.0.1:3000"
        )]
        entente_issuer: String,
        #[command(flatten)]
        fetch: FetchArgs,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: ExchangeCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        common,
        out,
        now,
        ..
    } = *cx;
    let ExchangeCmd::Explain {
        file,
        entente_issuer,
        fetch,
    } = cmd;
    let text = std::fs::read_to_string(&file)
        .map_err(|e| anyhow::anyhow!("--file {}: {e}", file.display()))?;
    let req: ExplainRequest = serde_json::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "--file {}: not a valid explain request: {e}",
            file.display()
        )
    })?;
    let master = common.master_key()?;
    let snapshot = crate::state::snapshot::Snapshot::build(store.load_catalog(now).await?);
    let models = store.signing_keys().await?;
    let keys = |e| Arc::new(crate::state::signing_keys::build(&models, e, &master));
    let revocations = crate::state::revocations::load_revocations(store, now).await?;
    let revoked = |c: &entente_domain::token::AccessTokenClaims| {
        crate::state::revocations::revoked_in(&revocations, c)
    };
    let fetcher = IssuerKeys::new(fetch.fetch_policy()?)?;
    let pairwise = master.derive(crate::startup::PAIRWISE_PURPOSE);
    let env = Env {
        issuer: &entente_issuer,
        entente: &entente_issuer,
        pairwise_secret: &pairwise,
    };
    let answer = crate::admin_api::explain::explain(
        &snapshot,
        &fetcher,
        &keys,
        &revoked,
        &env,
        &req,
        crate::admin_api::explain::Reader::Staff,
        now,
    )
    .await;
    print(out, json!(answer), answer.render());
    Ok(())
}
