//! Server functions of the rate limits page: tiers, partners' and clients' limits, and the
//! rates they call at now (polled every two seconds, from memory: no database read).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::ConsoleError;
#[cfg(feature = "ssr")]
use crate::ssr::{authorize, bad_request, console, user_error};

/// Partners per page.
pub const PAGE: u64 = 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierRow {
    pub name: String,
    pub per_second: u32,
    pub burst: u32,
    pub default: bool,
    pub used_by: u64,
}

/// A limit as shown: its numbers (`None`: unlimited), where it comes from, and the setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRow {
    /// `partner:<slug>` or `client:<client_id>`: the key of its live rate.
    pub key: String,
    pub label: String,
    pub per_second: Option<u32>,
    pub burst: Option<u32>,
    /// "default tier standard", "tier gold", "own setting", "partner's rate", "unlimited".
    pub source: String,
    /// What the edit form starts from: the tier named, or empty.
    pub tier: String,
    pub custom: Option<(u32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerRow {
    pub slug: String,
    pub limit: LimitRow,
    pub clients: Vec<LimitRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitsPage {
    pub tiers: Vec<TierRow>,
    pub partners: Vec<PartnerRow>,
    pub total: u64,
    pub offset: u64,
}

/// Requests per second allowed and refused in the last second, by `LimitRow::key`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Rates(pub Vec<(String, u64, u64)>);

#[cfg(feature = "ssr")]
fn row(key: String, label: String, l: &entente_domain::rate_limit::SubjectLimit) -> LimitRow {
    use entente_domain::rate_limit::{Setting, Source};
    let source = match l.effective.as_ref().map(|e| &e.source) {
        None => "unlimited (no default tier)".to_owned(),
        Some(Source::Default(t)) => format!("default tier {t}"),
        Some(Source::Tier(t)) => format!("tier {t}"),
        Some(Source::Custom) => "own setting".to_owned(),
        Some(Source::Partner) => "its partner's rate".to_owned(),
    };
    LimitRow {
        key,
        label,
        per_second: l.effective.as_ref().map(|e| e.rate.per_second),
        burst: l.effective.as_ref().map(|e| e.rate.burst),
        source,
        tier: match &l.setting {
            Some(Setting::Tier(t)) => t.clone(),
            _ => String::new(),
        },
        custom: match &l.setting {
            Some(Setting::Custom(r)) => Some((r.per_second, r.burst)),
            _ => None,
        },
    }
}

#[server]
pub async fn rate_limits(filter: String, offset: u64) -> Result<LimitsPage, ConsoleError> {
    authorize("rate_limits").await?;
    let store = &console()?.store;
    let tiers = store.tier_views().await.map_err(user_error)?;
    let (partners, total) = store
        .partner_limits_page(Some(&filter), offset, PAGE)
        .await
        .map_err(user_error)?;
    Ok(LimitsPage {
        tiers: tiers
            .into_iter()
            .map(|t| TierRow {
                name: t.name,
                per_second: t.per_second,
                burst: t.burst,
                default: t.default,
                used_by: t.used_by,
            })
            .collect(),
        partners: partners
            .into_iter()
            .map(|p| PartnerRow {
                limit: row(format!("partner:{}", p.partner), p.name.clone(), &p.limit),
                clients: p
                    .clients
                    .iter()
                    .map(|c| row(format!("client:{}", c.client_id), c.name.clone(), &c.limit))
                    .collect(),
                slug: p.partner,
            })
            .collect(),
        total,
        offset,
    })
}

/// The live rates of the subjects on screen (`keys` space-separated, at most 500).
#[server]
pub async fn live_rates(keys: String) -> Result<Rates, ConsoleError> {
    authorize("live_rates").await?;
    let c = console()?;
    let keys: Vec<String> = keys
        .split_whitespace()
        .take(500)
        .map(str::to_owned)
        .collect();
    // A partner's limit is two budgets (production, and `<slug>/sandbox`): its row shows the
    // busier one, the one nearer its limit.
    let mut asked = keys.clone();
    asked.extend(
        keys.iter()
            .filter(|k| k.starts_with("partner:"))
            .map(|k| format!("{k}/sandbox")),
    );
    let seen: std::collections::HashMap<String, (u64, u64)> = c
        .telemetry
        .0
        .observed(asked)
        .await
        .into_iter()
        .map(|(k, a, r)| (k, (a, r)))
        .collect();
    let rates = keys
        .into_iter()
        .filter_map(|k| {
            let own = seen.get(&k).copied();
            let sandbox = seen.get(&format!("{k}/sandbox")).copied();
            let (a, r) = match (own, sandbox) {
                (Some(p), Some(s)) if s.0 + s.1 > p.0 + p.1 => s,
                (Some(p), _) => p,
                (None, s) => s?,
            };
            Some((k, a, r))
        })
        .collect();
    Ok(Rates(rates))
}

#[cfg(feature = "ssr")]
fn number(field: &str, v: &str) -> Result<Option<i64>, ConsoleError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse()
        .map(Some)
        .map_err(|_| bad_request(format!("{field} must be a whole number")))
}

/// Creates or changes a tier; `default` present makes it the default tier.
#[server]
pub async fn set_tier(
    name: String,
    per_second: String,
    burst: String,
    default: Option<String>,
) -> Result<String, ConsoleError> {
    let me = authorize("set_tier").await?;
    let per = number("the per-second rate", &per_second)?
        .ok_or_else(|| bad_request("give the per-second rate"))?;
    let b = number("the burst", &burst)?.ok_or_else(|| bad_request("give the burst"))?;
    let rate = entente_domain::rate_limit::Rate::new(per, b).map_err(bad_request)?;
    let name = name.trim().to_owned();
    let t = console()?
        .ops
        .set_tier(
            &me.acting(),
            &name,
            rate,
            default.is_some().then_some(true),
            crate::ssr::now(),
        )
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!(
        "Tier {} saved: {}/s, burst {}{}.",
        t.name,
        t.per_second,
        t.burst,
        if t.is_default { " (the default)" } else { "" }
    ))
}

#[server]
pub async fn delete_tier(name: String) -> Result<String, ConsoleError> {
    let me = authorize("delete_tier").await?;
    console()?
        .ops
        .delete_tier(&me.acting(), &name, crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    Ok(format!("Tier {name} deleted."))
}

/// Sets the limit of `subject` (`partner:<slug>` or `client:<client_id>`): a tier, a rate
/// with its burst, or (`clear` present) nothing of its own. The numbers are optional: a form
/// with a tier chosen disables its number inputs, and a browser sends no disabled field.
#[server]
pub async fn set_limit(
    subject: String,
    tier: String,
    per_second: Option<String>,
    burst: Option<String>,
    clear: Option<String>,
) -> Result<String, ConsoleError> {
    use entente_store::limits::Subject;
    let me = authorize("set_limit").await?;
    let target = match subject.split_once(':') {
        Some(("partner", slug)) => Subject::Partner {
            slug: slug.to_owned(),
        },
        Some(("client", id)) => Subject::Client {
            partner_slug: None,
            client_id: id.to_owned(),
        },
        _ => return Err(bad_request("choose a partner or a client")),
    };
    let setting = if clear.is_some() {
        None
    } else {
        Some(
            entente_domain::rate_limit::Setting::from_parts(
                Some(tier.as_str()),
                number("the per-second rate", per_second.as_deref().unwrap_or(""))?,
                number("the burst", burst.as_deref().unwrap_or(""))?,
            )
            .map_err(bad_request)?,
        )
    };
    console()?
        .ops
        .set_rate_limit(&me.acting(), &target, setting.as_ref(), crate::ssr::now())
        .await
        .map_err(crate::ssr::op_error)?;
    let (_, who) = subject.split_once(':').unwrap_or(("", &subject));
    Ok(match setting {
        None => format!("{who} follows its default again."),
        Some(entente_domain::rate_limit::Setting::Tier(t)) => format!("{who} is on tier {t}."),
        Some(entente_domain::rate_limit::Setting::Custom(r)) => {
            format!("{who}: {}/s, burst {}.", r.per_second, r.burst)
        }
    })
}
