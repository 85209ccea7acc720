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
        /// Also check the chain against checkpoints exported earlier and kept elsewhere
        /// (`entente audit checkpoints --output json`), each verified with the key in that file.
        /// Without it, the database's own checkpoints and key.
        #[arg(long)]
        checkpoints: Option<std::path::PathBuf>,
    },
    /// Verify the chain since the last checkpoint and sign its head now (the server does it
    /// every hour).
    Checkpoint,
    /// The audit key's public JWK and every signed checkpoint, to keep outside the database;
    /// each verifies offline with the key alone (compact JWS, EdDSA).
    Checkpoints,
}

pub async fn run(cx: &Ctx<'_>, cmd: AuditCmd) -> anyhow::Result<()> {
    let (partner, actor, action, since, until, limit, csv) = match cmd {
        AuditCmd::Verify { from, checkpoints } => return verify(cx, from, checkpoints).await,
        AuditCmd::Checkpoint => return checkpoint(cx).await,
        AuditCmd::Checkpoints => return checkpoints(cx).await,
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

async fn checkpoint(cx: &Ctx<'_>) -> anyhow::Result<()> {
    let master = cx.common.master_key()?;
    match crate::audit_checkpoints::checkpoint_now(cx.store, &master, cx.now).await? {
        Some(c) => super::print(
            cx.out,
            serde_json::to_value(&c)?,
            format!("checkpoint signed: event {}, head {}", c.seq, c.head),
        ),
        None => super::print(
            cx.out,
            json!(null),
            "nothing was audited since the last checkpoint".into(),
        ),
    }
    Ok(())
}

async fn checkpoints(cx: &Ctx<'_>) -> anyhow::Result<()> {
    match crate::audit_checkpoints::export(cx.store).await? {
        Some(e) => super::print(
            cx.out,
            serde_json::to_value(&e)?,
            e.checkpoints
                .iter()
                .map(|c| {
                    format!(
                        "{:>8}  {}  {}",
                        c.seq,
                        crate::admin_api::time_text(c.at),
                        c.head
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        None => super::print(
            cx.out,
            json!(null),
            "no checkpoint has been signed yet".into(),
        ),
    }
    Ok(())
}

async fn verify(
    cx: &Ctx<'_>,
    from: Option<i64>,
    file: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    use entente_store::audit::ChainState;
    let export = match &file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            Some(
                serde_json::from_str::<crate::audit_checkpoints::Export>(&text).map_err(|e| {
                    anyhow::anyhow!("{} is not a checkpoints export: {e}", path.display())
                })?,
            )
        }
        None => crate::audit_checkpoints::export(cx.store).await?,
    };
    let state = cx.store.verify_audit_chain(from).await?;
    let against = match &export {
        Some(e) => Some(crate::audit_checkpoints::check(cx.store, e).await?),
        None => None,
    };
    let broken = match (&state, &against) {
        (ChainState::Broken(b), _) | (_, Some(Err(b))) => Some(b.clone()),
        _ => None,
    };
    if let Some(b) = broken {
        super::print(
            cx.out,
            json!({"verified": false, "seq": b.seq, "why": b.why}),
            format!("BROKEN at event {}: {}", b.seq, b.why),
        );
        anyhow::bail!("the audit chain does not verify");
    }
    let checked = against.and_then(Result::ok).unwrap_or(0);
    if let ChainState::Verified {
        from,
        last_seq,
        head,
        events,
    } = state
    {
        super::print(
            cx.out,
            json!({"verified": true, "from": from, "last_seq": last_seq, "head": head,
                   "events": events, "checkpoints": checked}),
            if events == 0 {
                format!("verified: no events from {from}")
            } else {
                format!(
                    "verified: events {from} to {last_seq} ({events}), head {head}; \
                     {checked} signed checkpoint(s) agree"
                )
            },
        );
    }
    Ok(())
}
