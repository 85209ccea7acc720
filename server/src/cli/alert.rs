//! `entente alert list`: usage anomaly alerts (a client's tokens or refusals far from its
//! baseline), newest first.

use clap::Subcommand;
use entente_domain::audit::parse_time;

use super::{Ctx, Output};
use crate::admin_api::time_text;

#[derive(Debug, Subcommand)]
pub enum AlertCmd {
    /// Alerts newest first.
    List {
        /// Only this partner's (slug).
        #[arg(long)]
        partner: Option<String>,
        /// Only this client's.
        #[arg(long)]
        client: Option<String>,
        /// Since: a time ago (24h, 7d), 2026-11-26, RFC 3339 or Unix seconds.
        #[arg(long, default_value = "24h")]
        since: String,
        #[arg(long, default_value_t = 100)]
        limit: u64,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: AlertCmd) -> anyhow::Result<()> {
    let AlertCmd::List {
        partner,
        client,
        since,
        limit,
    } = cmd;
    let since = parse_time(&since, cx.now).map_err(anyhow::Error::msg)?;
    if !(1..=1000).contains(&limit) {
        anyhow::bail!("--limit must be between 1 and 1000");
    }
    let filter = cx
        .store
        .usage_filter(partner.as_deref(), client.as_deref())
        .await?;
    let alerts = cx.store.alert_views(&filter, since, limit).await?;
    match cx.out {
        Output::Json => println!("{}", serde_json::to_string(&alerts)?),
        Output::Text => {
            if alerts.is_empty() {
                println!("no usage alerts");
            }
            for a in &alerts {
                println!(
                    "{}  {:<15} {:<20} {:<40} observed {:.2}, expected {:.2} ({:.1} σ, {} s window)",
                    time_text(a.at),
                    a.kind,
                    a.partner,
                    a.client_id,
                    a.observed,
                    a.expected,
                    a.score,
                    a.window_secs
                );
            }
        }
    }
    Ok(())
}
