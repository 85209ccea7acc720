//! `entente audit`: read the audit log (who did what, to which partner, from where).

use std::collections::HashMap;

use clap::Subcommand;
use serde_json::json;

use super::{Ctx, Output};
use entente_store::audit::AuditFilter;

use crate::admin_api::audit::{event_json, events_csv};

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Events newest first; `--output json` for machines, `--csv` for spreadsheets.
    List {
        /// Events about this partner (slug).
        #[arg(long)]
        partner: Option<String>,
        /// An actor (`admin:alice@example.com`) or part of one.
        #[arg(long)]
        actor: Option<String>,
        /// An action (`partner.suspend`) or a family ending in a dot (`partner.`).
        #[arg(long)]
        action: Option<String>,
        /// From: 2026-11-26, 2026-11-26T10:00, RFC 3339, Unix seconds, or 15m/24h/7d ago.
        #[arg(long)]
        since: Option<String>,
        /// Until (same forms), exclusive.
        #[arg(long)]
        until: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Write CSV instead of text or JSON.
        #[arg(long)]
        csv: bool,
    },
    /// Walk the audit chain and name the first event that does not verify (an edited, deleted,
    /// reordered or inserted row); exits 1 when the chain is broken.
    Verify {
        /// Start at this sequence number (the event before it must still be there).
        #[arg(long)]
        from: Option<i64>,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: AuditCmd) -> anyhow::Result<()> {
    let (partner, actor, action, since, until, limit, csv) = match cmd {
        AuditCmd::Verify { from } => return verify(cx, from).await,
        AuditCmd::List {
            partner,
            actor,
            action,
            since,
            until,
            limit,
            csv,
        } => (partner, actor, action, since, until, limit, csv),
    };
    let mut q = HashMap::new();
    for (k, v) in [
        ("partner", partner),
        ("actor", actor),
        ("action", action),
        ("since", since),
        ("until", until),
        ("limit", Some(limit.to_string())),
    ] {
        if let Some(v) = v {
            q.insert(k.to_owned(), v);
        }
    }
    let filter = AuditFilter::from_query(&q, cx.now).map_err(anyhow::Error::msg)?;
    let events = cx.store.audit_events(&filter).await?;
    if csv {
        let bytes = events_csv(&events).map_err(anyhow::Error::msg)?;
        print!("{}", String::from_utf8_lossy(&bytes));
        return Ok(());
    }
    match cx.out {
        Output::Json => println!(
            "{}",
            json!(events.iter().map(event_json).collect::<Vec<_>>())
        ),
        Output::Text => {
            if events.is_empty() {
                println!("no audit events match");
            }
            for e in &events {
                let v = event_json(e);
                println!(
                    "{}  {:<32} {:<28} {}  {}",
                    v["at"].as_str().unwrap_or_default(),
                    e.actor,
                    e.action,
                    e.target,
                    e.details
                );
            }
        }
    }
    Ok(())
}

async fn verify(cx: &Ctx<'_>, from: Option<i64>) -> anyhow::Result<()> {
    use entente_store::audit::ChainState;
    match cx.store.verify_audit_chain(from).await? {
        ChainState::Verified {
            from,
            last_seq,
            head,
            events,
        } => {
            super::print(
                cx.out,
                json!({"verified": true, "from": from, "last_seq": last_seq, "head": head,
                       "events": events}),
                if events == 0 {
                    format!("verified: no events from {from}")
                } else {
                    format!("verified: events {from} to {last_seq} ({events}), head {head}")
                },
            );
            Ok(())
        }
        ChainState::Broken(b) => {
            super::print(
                cx.out,
                json!({"verified": false, "seq": b.seq, "why": b.why}),
                format!("BROKEN at event {}: {}", b.seq, b.why),
            );
            anyhow::bail!("the audit chain does not verify")
        }
    }
}
