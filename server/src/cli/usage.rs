//! `entente usage`: the usage rollups over a range, as the console's charts and the admin API
//! show them (every replica summed).

use clap::Args;
use entente_domain::audit::parse_time;
use entente_domain::usage::{self, Report};

use super::{Ctx, Output};
use crate::admin_api::time_text;

#[derive(Debug, Args)]
pub struct UsageCmd {
    /// Only this partner (slug).
    #[arg(long)]
    partner: Option<String>,
    /// Only this client (of that partner, when both are given).
    #[arg(long)]
    client: Option<String>,
    /// Start: a time ago (15m, 1h, 7d), 2026-11-26, 2026-11-26T10:00, RFC 3339 or Unix seconds.
    #[arg(long, default_value = "1h")]
    since: String,
    /// End (exclusive), in the same forms; default now.
    #[arg(long)]
    until: Option<String>,
    /// 1m, 5m, 15m, 1h, 6h or 1d.
    #[arg(long, default_value = "1m")]
    step: String,
}

pub async fn run(cx: &Ctx<'_>, cmd: UsageCmd) -> anyhow::Result<()> {
    let from = parse_time(&cmd.since, cx.now).map_err(anyhow::Error::msg)?;
    let to = match &cmd.until {
        Some(u) => parse_time(u, cx.now).map_err(anyhow::Error::msg)?,
        None => usage::through(cx.now),
    };
    let step = usage::parse_step(&cmd.step)
        .ok_or_else(|| anyhow::anyhow!("--step must be one of 1m, 5m, 15m, 1h, 6h, 1d"))?;
    let filter = cx
        .store
        .usage_filter(cmd.partner.as_deref(), cmd.client.as_deref())
        .await?;
    let report = cx.store.usage_report(&filter, from, to, step).await?;
    match cx.out {
        Output::Json => println!("{}", serde_json::to_string(&report)?),
        Output::Text => print!("{}", table(&report)),
    }
    Ok(())
}

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.2}"))
}

/// The report as a table: one line per step with traffic, then totals and top callers.
pub fn table(r: &Report) -> String {
    let mut out = format!(
        "{:<20}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}\n",
        "step (UTC)", "requests", "tokens", "refused", "limited", "p50 ms", "p95 ms", "p99 ms"
    );
    let mut quiet = 0;
    for p in &r.points {
        if p.requests == 0 {
            quiet += 1;
            continue;
        }
        out += &format!(
            "{:<20}  {:>9}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}  {:>8}\n",
            time_text(p.t).trim_end_matches('Z').replace('T', " "),
            p.requests,
            p.tokens_issued(),
            p.refused(),
            p.rate_limited(),
            ms(p.p50_ms),
            ms(p.p95_ms),
            ms(p.p99_ms)
        );
    }
    if quiet > 0 {
        out += &format!("({quiet} steps without requests not shown)\n");
    }
    let t = &r.total;
    out += &format!(
        "total {} – {}: {} requests, {} tokens, {} refused ({} rate limited), p99 {} ms, {} active partners\n",
        time_text(r.from),
        time_text(r.to),
        t.requests,
        t.tokens_issued(),
        t.refused(),
        t.rate_limited(),
        ms(t.p99_ms),
        r.active_partners
    );
    for (title, tops) in [("partners", &r.top_partners), ("clients", &r.top_clients)] {
        if tops.is_empty() {
            continue;
        }
        out += &format!("top {title}:\n");
        for top in tops {
            let name = if top.label.is_empty() {
                top.name.clone()
            } else {
                format!("{} ({})", top.label, top.name)
            };
            out += &format!(
                "  {:<40} {:>9} requests {:>8} tokens {:>8} refused\n",
                name, top.requests, top.tokens, top.refused
            );
        }
    }
    for (code, n) in &t.errors {
        out += &format!("refused {code}: {n}\n");
    }
    out
}
