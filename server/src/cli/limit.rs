//! `entente limit`: rate-limit tiers, and the limit of a partner or client.

use clap::Subcommand;
use entente_domain::rate_limit::{Effective, Rate, Setting, Source, SubjectLimit};
use entente_store::limits::Subject;
use serde_json::json;

use super::{Ctx, print};

#[derive(Debug, Subcommand)]
pub enum LimitCmd {
    /// Tiers: named rates that partners and clients can be given.
    #[command(subcommand)]
    Tier(TierCmd),
    /// Set (or `--clear`) the limit of a partner, or of one of its clients with `--client`.
    Set {
        /// The partner's slug (required for a partner's client; omit for a resource server).
        #[arg(long)]
        partner: Option<String>,
        #[arg(long)]
        client: Option<String>,
        /// Use this tier.
        #[arg(long)]
        tier: Option<String>,
        /// Or this sustained rate (requests per second) ...
        #[arg(long)]
        per_second: Option<i64>,
        /// ... with this burst.
        #[arg(long)]
        burst: Option<i64>,
        /// Remove the setting: the partner follows the default tier, the client its partner.
        #[arg(long, conflicts_with_all = ["tier", "per_second", "burst"])]
        clear: bool,
    },
    /// The limit of a partner and its clients, or of one client.
    Show {
        #[arg(long, required_unless_present = "client")]
        partner: Option<String>,
        #[arg(long)]
        client: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum TierCmd {
    /// Create or change a tier.
    Set {
        #[arg(long)]
        name: String,
        #[arg(long)]
        per_second: i64,
        #[arg(long)]
        burst: i64,
        /// Make it the default tier (`true`), or stop it being the default (`false`).
        #[arg(long)]
        default: Option<bool>,
    },
    List,
    /// Delete a tier nobody uses.
    Delete {
        #[arg(long)]
        name: String,
    },
}

pub async fn run(cx: &Ctx<'_>, cmd: LimitCmd) -> anyhow::Result<()> {
    match cmd {
        LimitCmd::Tier(TierCmd::Set {
            name,
            per_second,
            burst,
            default,
        }) => set_tier(cx, name, per_second, burst, default).await?,
        LimitCmd::Tier(TierCmd::List) => list_tiers(cx).await?,
        LimitCmd::Tier(TierCmd::Delete { name }) => delete_tier(cx, name).await?,
        LimitCmd::Set {
            partner,
            client,
            tier,
            per_second,
            burst,
            clear,
        } => set_limit(cx, partner, client, tier, per_second, burst, clear).await?,
        LimitCmd::Show {
            partner: Some(slug),
            client: None,
        } => show_partner(cx, slug).await?,
        LimitCmd::Show {
            partner,
            client: Some(client_id),
        } => show_client(cx, partner, client_id).await?,
        LimitCmd::Show {
            partner: None,
            client: None,
        } => anyhow::bail!("name a --partner or a --client"),
    }
    Ok(())
}

async fn set_tier(
    cx: &Ctx<'_>,
    name: String,
    per_second: i64,
    burst: i64,
    default: Option<bool>,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let rate = Rate::new(per_second, burst).map_err(anyhow::Error::msg)?;
    let t = cx
        .operations()?
        .set_tier(&cx.host(), &name, rate, default, now)
        .await?;
    print(
        out,
        json!({"name": t.name, "per_second": t.per_second, "burst": t.burst, "default": t.is_default}),
        format!(
            "tier {}: {}/s, burst {}{}",
            t.name,
            t.per_second,
            t.burst,
            if t.is_default { " (default)" } else { "" }
        ),
    );
    Ok(())
}

async fn list_tiers(cx: &Ctx<'_>) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let tiers = store.tier_views().await?;
    let text = if tiers.is_empty() {
        "no tiers: nothing is rate-limited (create one with `entente limit tier set --default true`)".into()
    } else {
        tiers
            .iter()
            .map(|t| {
                format!(
                    "{:<20} {:>9}/s  burst {:>9}  used by {}{}",
                    t.name,
                    t.per_second,
                    t.burst,
                    t.used_by,
                    if t.default { "  (default)" } else { "" }
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    print(out, json!(tiers), text);
    Ok(())
}

async fn delete_tier(cx: &Ctx<'_>, name: String) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    cx.operations()?.delete_tier(&cx.host(), &name, now).await?;
    print(
        out,
        json!({"deleted": name}),
        format!("deleted tier {name}"),
    );
    Ok(())
}

/// The limit of a partner, or of its client when `client` is named.
async fn set_limit(
    cx: &Ctx<'_>,
    partner: Option<String>,
    client: Option<String>,
    tier: Option<String>,
    per_second: Option<i64>,
    burst: Option<i64>,
    clear: bool,
) -> anyhow::Result<()> {
    let Ctx { out, now, .. } = *cx;
    let setting = if clear {
        None
    } else {
        Some(Setting::from_parts(tier.as_deref(), per_second, burst).map_err(anyhow::Error::msg)?)
    };
    let subject = match (partner, client) {
        (partner_slug, Some(client_id)) => Subject::Client {
            partner_slug,
            client_id,
        },
        (Some(slug), None) => Subject::Partner { slug },
        (None, None) => anyhow::bail!("name a --partner, a --client, or both"),
    };
    cx.operations()?
        .set_rate_limit(&cx.host(), &subject, setting.as_ref(), now)
        .await?;
    let who = match &subject {
        Subject::Partner { slug } => format!("partner {slug}"),
        Subject::Client { client_id, .. } => format!("client {client_id}"),
    };
    print(
        out,
        json!({"subject": who, "setting": setting}),
        format!("{who}: {}", setting_text(setting.as_ref())),
    );
    Ok(())
}

async fn show_partner(cx: &Ctx<'_>, slug: String) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let v = store.partner_limits(&slug).await?;
    let mut text = format!("partner {}: {}", v.partner, limit_text(&v.limit));
    for c in &v.clients {
        text.push_str(&format!(
            "\n  client {} ({}): {}",
            c.client_id,
            c.name,
            limit_text(&c.limit)
        ));
    }
    print(out, json!(v), text);
    Ok(())
}

async fn show_client(
    cx: &Ctx<'_>,
    partner: Option<String>,
    client_id: String,
) -> anyhow::Result<()> {
    let Ctx { store, out, .. } = *cx;
    let c = store.client_limit(&client_id).await?;
    if let Some(slug) = partner {
        // A client named with another partner is answered as unknown.
        let p = store.partner_by_slug(&slug).await?;
        let owner = store.client(&client_id).await?.partner_id;
        if owner.as_deref() != Some(p.id.as_str()) {
            anyhow::bail!("client {client_id} not found");
        }
    }
    let text = format!(
        "client {} ({}): {}",
        c.client_id,
        c.name,
        limit_text(&c.limit)
    );
    print(out, json!(c), text);
    Ok(())
}

fn setting_text(s: Option<&Setting>) -> String {
    match s {
        None => "no setting of its own".into(),
        Some(Setting::Tier(t)) => format!("tier {t}"),
        Some(Setting::Custom(r)) => format!("{}/s, burst {}", r.per_second, r.burst),
    }
}

fn limit_text(l: &SubjectLimit) -> String {
    match &l.effective {
        None => "unlimited (no default tier)".into(),
        Some(Effective { rate, source }) => {
            let from = match source {
                Source::Default(t) => format!("default tier {t}"),
                Source::Tier(t) => format!("tier {t}"),
                Source::Custom => "own setting".into(),
                Source::Partner => "its partner's rate".into(),
            };
            format!("{}/s, burst {} ({from})", rate.per_second, rate.burst)
        }
    }
}
