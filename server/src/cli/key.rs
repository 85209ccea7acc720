//! `entente key`: Signing keys: list, rotate.

use clap::Subcommand;
use entente_domain::keys::SigningAlgorithm;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    List,
    /// Publish a successor key; it signs after the publish lead (or at once with --immediate).
    Rotate {
        #[arg(long)]
        immediate: bool,
        /// Algorithm of the new key: ES256, EdDSA, PS256 or RS256.
        #[arg(long, env = "ENTENTE_SIGNING_ALG", default_value = "ES256")]
        algorithm: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: KeyCmd) -> anyhow::Result<()> {
    let Ctx {
        store,
        actor,
        common,
        out,
        now,
    } = *cx;
    match cmd {
        KeyCmd::List => {
            let ks = store.signing_keys().await?;
            let v: Vec<_> = ks.iter().map(|k| json!({"kid": k.kid, "algorithm": k.algorithm, "state": k.state, "created_at": k.created_at, "state_since": k.state_since})).collect();
            let t = ks
                .iter()
                .map(|k| format!("{:<44} {:<6} {}", k.kid, k.algorithm, k.state))
                .collect::<Vec<_>>()
                .join("\n");
            print(out, json!(v), t);
        }
        KeyCmd::Rotate {
            immediate,
            algorithm,
        } => {
            let alg: SigningAlgorithm =
                algorithm.parse().map_err(|e: String| anyhow::anyhow!(e))?;
            let kid = crate::state::signing_keys::rotate_now(
                store,
                &common.master_key()?,
                alg,
                immediate,
                actor,
                now,
            )
            .await?;
            print(
                out,
                json!({"kid": kid, "immediate": immediate}),
                format!(
                    "new key {kid} published{}",
                    if immediate {
                        " and signing"
                    } else {
                        "; it signs after the publish lead"
                    }
                ),
            );
        }
    }
    Ok(())
}
